"""The served cloud checks a presigned S3 request's signature, as S3 does (moto does not).

`POST /uploads` presigns a SigV4 PUT with `Content-Type` and `Content-Length` among its signed
headers (`X-Amz-SignedHeaders=content-length;content-type;host`). S3 recomputes the signature
from the headers the PUT really sends, so a body of another size or another type gets
`403 SignatureDoesNotMatch`, and an expired URL `403 AccessDenied` ("Request has expired"). moto
accepts both; this WSGI middleware, in front of moto's server (`LocalCloud.serve`), recomputes the
signature the same way (SigV4 query auth, `UNSIGNED-PAYLOAD`) and refuses them with S3's answers.

We keep the presigned PUT (rather than a presigned POST with a `content-length-range` policy):
the API already knows the exact size and type, and a signed exact length is stricter than a
range. The check applies to requests signed with the cloud's own access key (the environment's
`AWS_ACCESS_KEY_ID`, the one the API presigns with); other keys are not known here and pass, as
moto lets them.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, quote

_ERROR = ('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code><Message>{message}</Message>'
          "</Error>")


def _sign(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def expected_signature(method: str, path: str, query: list[tuple[str, str]], headers: dict[str, str],
                       secret: str) -> str:
    """SigV4 query-auth signature of the request as received (S3's canonical request)."""
    params = dict(query)
    signed = params["X-Amz-SignedHeaders"].split(";")
    canonical_query = "&".join(
        f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}"
        for k, v in sorted((k, v) for k, v in query if k != "X-Amz-Signature"))
    canonical_headers = "".join(f"{name}:{' '.join(headers.get(name, '').split())}\n" for name in signed)
    canonical = "\n".join([method, quote(path, safe="/~"), canonical_query, canonical_headers,
                           ";".join(signed), "UNSIGNED-PAYLOAD"])
    _key_id, date, region, service, _term = params["X-Amz-Credential"].split("/")
    scope = f"{date}/{region}/{service}/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", params["X-Amz-Date"], scope,
                         hashlib.sha256(canonical.encode()).hexdigest()])
    key = _sign(_sign(_sign(_sign(f"AWS4{secret}".encode(), date), region), service), "aws4_request")
    return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()


def refusal(environ: dict[str, Any], now: float | None = None) -> tuple[str, str] | None:
    """(S3 error code, message) if S3 would refuse this presigned request, else None."""
    query = parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True)
    params = dict(query)
    if params.get("X-Amz-Algorithm") != "AWS4-HMAC-SHA256" or "X-Amz-Signature" not in params:
        return None  # not a SigV4 presigned URL (header-signed SDK calls are moto's business)
    key_id = params.get("X-Amz-Credential", "").split("/")[0]
    secret = os.environ.get("AWS_SECRET_ACCESS_KEY")
    if not secret or key_id != os.environ.get("AWS_ACCESS_KEY_ID"):
        return None  # a key this cloud does not hold: not checkable here
    signed_at = datetime.strptime(params["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC).timestamp()
    if (now if now is not None else time.time()) > signed_at + int(params.get("X-Amz-Expires", "0")):
        return "AccessDenied", "Request has expired"
    headers = {"host": environ.get("HTTP_HOST", "")}
    if "CONTENT_TYPE" in environ:
        headers["content-type"] = environ["CONTENT_TYPE"]
    if "CONTENT_LENGTH" in environ:
        headers["content-length"] = environ["CONTENT_LENGTH"]
    for name, value in environ.items():
        if name.startswith("HTTP_"):
            headers.setdefault(name[5:].replace("_", "-").lower(), value)
    path = environ.get("PATH_INFO", "/").encode("latin-1").decode("utf-8")
    expected = expected_signature(environ["REQUEST_METHOD"], path, query, headers, secret)
    if not hmac.compare_digest(expected, params["X-Amz-Signature"]):
        return ("SignatureDoesNotMatch", "The request signature we calculated does not match the "
                "signature you provided. Check your key and signing method.")
    return None


class PresignedCheck:
    """WSGI middleware: S3's presigned-URL refusals in front of moto's server."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        refused = refusal(environ)
        if refused is None:
            return self.app(environ, start_response)
        body = _ERROR.format(code=refused[0], message=refused[1]).encode()
        start_response("403 Forbidden", [("Content-Type", "application/xml"),
                                         ("Content-Length", str(len(body)))])
        return [body]


def _checked_server_class() -> type:
    from moto.moto_server.threaded_moto_server import ThreadedMotoServer
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    class _Checked(ThreadedMotoServer):
        """moto's threaded server with `PresignedCheck` in front of its WSGI app."""

        def _server_entry(self) -> None:
            app = PresignedCheck(DomainDispatcherApplication(create_backend_app))
            self._server = make_server(self._ip_address, self._port, app, True,
                                       request_handler=MotoRequestHandler)
            self._server_ready_event.set()
            self._server.serve_forever()

    return _Checked


def CheckedMotoServer(**kwargs: Any) -> Any:
    return _checked_server_class()(**kwargs)
