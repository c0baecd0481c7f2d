"""`binsync serve-api`: the REST API over the embedded cloud, for curl, browsers and Swagger UI.

    binsync serve-api --port 8080 [--host 127.0.0.1] [--tokens tokens.json]
                      [--emulator small:1] [--time-scale 60] [--ips 8]
    binsync serve-api --write-openapi openapi.json      # regenerate the committed document

A small HTTP front plays API Gateway: it turns each request into the REST proxy event the real
gateway sends (Cognito claims included) and invokes the real functions/api handler on the
embedded cloud (template.yaml on moto, real handlers, real state machine). Identity: the
`Authorization: Bearer <token>` header. Without `--tokens`, the token IS the user id (letters,
digits and `_ . @ + = -`), which is handy for trying isolation with two "users"; with
`--tokens FILE` (JSON `{"token": "user-id"}`) only listed tokens are accepted. A missing or
unknown token gets API Gateway's 401 `{"message": "Unauthorized"}` and never reaches the
handler. This mapping exists only here: on AWS, claims come from Cognito's verified JWT.

The stage prefix is optional (`/dev/connections` and `/connections` are the same route), so the
Swagger UI at /swagger works as served. `--emulator PROFILE:SEED` also starts a Binance emulator
with a generated account and prints its credentials, so a newcomer can register a key with curl.
"""

from __future__ import annotations

import argparse
import base64
import json
import re
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from .errors import (
    DEFAULT_TIME_SCALE,
    TIME_SCALE_HELP,
    CliError,
    describe_os_error,
    emulator_spec,
    time_scale,
)

SWAGGER_PATH = "/swagger"
TOKEN_RE = re.compile(r"^[A-Za-z0-9_.@+=-]{1,128}$")
MAX_BODY = 1024 * 1024  # API Gateway accepts up to 10 MB; the API never needs more than this


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("serve-api",
                              help="serve the REST API over the embedded cloud (curl, Swagger UI)")
    p.add_argument("--port", type=int, default=8080, help="port of the API (default 8080)")
    p.add_argument("--host", default="127.0.0.1", help="bind address (default loopback only)")
    p.add_argument("--tokens", metavar="FILE",
                   help='JSON {"token": "user-id"}; default: the token is the user id')
    p.add_argument("--emulator", metavar="PROFILE:SEED", type=emulator_spec,
                   help="also serve an emulated Binance account (profile small, reference or heavy; "
                        "e.g. small:1) and print two of its API keys, to try registration and rotation")
    p.add_argument("--time-scale", type=time_scale, default=DEFAULT_TIME_SCALE, help=TIME_SCALE_HELP)
    p.add_argument("--now-ms", type=int, default=None,
                   help="the emulated account's clock (default: now; printed), so that a statement "
                        "written with `binsync emulator statement --now-ms` describes the same account")
    p.add_argument("--ips", type=int, default=8, help="loopback egress addresses for sync workers")
    p.add_argument("--write-openapi", metavar="PATH", help="write the OpenAPI document to PATH and exit")
    p.set_defaults(func=run)


class TokenMap:
    """Bearer token -> user id (local only)."""

    def __init__(self, tokens: dict[str, str] | None = None) -> None:
        self.tokens = tokens

    @classmethod
    def from_file(cls, path: str | None) -> TokenMap:
        if not path:
            return cls(None)
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except OSError as exc:
            raise CliError(f"cannot read the tokens file: {describe_os_error(exc)}") from None
        except ValueError as exc:
            raise CliError(f"{path} is not valid JSON ({exc})") from None
        if not isinstance(data, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                                 for k, v in data.items()):
            raise CliError(f'{path}: expected a JSON object {{"token": "user-id"}}')
        return cls(data)

    def user(self, authorization: str | None) -> str | None:
        if not authorization or not authorization.lower().startswith("bearer "):
            return None
        token = authorization[7:].strip()
        if self.tokens is not None:
            return self.tokens.get(token)
        return token if TOKEN_RE.match(token) else None


class ApiServer:
    """The API over HTTP on a running LocalCloud (also used by the tests)."""

    def __init__(self, cloud: Any, tokens: TokenMap | None = None, host: str = "127.0.0.1", port: int = 0):
        self.cloud = cloud
        self.tokens = tokens or TokenMap()
        self.host, self.port = host, port
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> ApiServer:
        handler = type("BoundApiHandler", (_Handler,), {"server_ref": self})
        try:
            self._httpd = ThreadingHTTPServer((self.host, self.port), handler)
        except OSError as exc:
            raise CliError(f"cannot listen on {self.host}:{self.port}: {describe_os_error(exc)}") from None
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="binsync-api", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> ApiServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def handle(self, method: str, raw_path: str, headers: dict[str, str],
               body: bytes) -> tuple[int, dict[str, str], bytes]:
        """One request through the local API Gateway; returns (status, headers, body bytes)."""
        from binsync_local.cloud import api_gateway_rest_event

        user = self.tokens.user(headers.get("authorization"))
        split = urlsplit(raw_path)
        stage = self.cloud.stack.parameters.get("Stage", "dev")
        path = split.path
        if path == f"/{stage}" or path.startswith(f"/{stage}/"):
            path = path[len(stage) + 1:] or "/"
        # The Swagger UI page carries no data, and a browser cannot send a bearer token to open
        # it; locally it is served without one (its "Authorize" button sets the token for calls).
        if method == "GET" and path == "/favicon.ico":  # browsers ask for it without a token
            return 204, {"Cache-Control": "max-age=86400"}, b""
        if user is None and not (method == "GET" and path == SWAGGER_PATH):
            return 401, {"Content-Type": "application/json"}, b'{"message":"Unauthorized"}'
        query: dict[str, list[str]] = {}
        for key, value in parse_qsl(split.query, keep_blank_values=True):
            query.setdefault(key, []).append(value)
        passed = {k: v for k, v in headers.items()
                  if k.lower() not in ("authorization", "host", "content-length")}
        text: Any = None
        if body:
            try:
                text = body.decode("utf-8")
            except UnicodeDecodeError:
                text = body  # the event carries it base64-encoded, as API Gateway does
        event = api_gateway_rest_event(method, path, body=text, user=user, headers=passed, query=query,
                                       stage=stage, account_id=self.cloud.stack.account_id,
                                       region=self.cloud.region)
        payload, error = self.cloud.invoke_raw("api", event)
        if error is not None or not isinstance(payload, dict) or "statusCode" not in payload:
            return 502, {"Content-Type": "application/json"}, b'{"message":"Internal server error"}'
        out_headers = {k: str(v) for k, v in (payload.get("headers") or {}).items()}
        for key, values in (payload.get("multiValueHeaders") or {}).items():
            out_headers[key] = ",".join(str(v) for v in values)
        raw = payload.get("body") or ""
        data = base64.b64decode(raw) if payload.get("isBase64Encoded") else raw.encode("utf-8")
        return int(payload["statusCode"]), out_headers, data


class _Handler(BaseHTTPRequestHandler):
    server_ref: ApiServer
    protocol_version = "HTTP/1.1"

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self._reply(413, {"Content-Type": "application/json"}, b'{"message":"Request Too Long"}')
            return
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        try:
            status, out_headers, data = self.server_ref.handle(self.command, self.path, headers, body)
        except Exception as exc:  # the local gateway answers like API Gateway would
            sys.stderr.write(f"serve-api: {type(exc).__name__}\n")
            status, out_headers = 502, {"Content-Type": "application/json"}
            data = b'{"message":"Internal server error"}'
        self._reply(status, out_headers, data)

    def _reply(self, status: int, headers: dict[str, str], data: bytes) -> None:
        self.send_response(status)
        for key, value in headers.items():
            if key.lower() not in ("content-length", "connection", "transfer-encoding"):
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def __getattr__(self, name: str) -> Any:
        # Every method (do_GET, do_TRACE, do_QUERY...) reaches the API, which answers 405 with
        # an Allow header on a known path and 404 elsewhere.
        if name.startswith("do_"):
            return self._serve
        raise AttributeError(name)

    def log_message(self, format: str, *args: Any) -> None:
        status = args[1] if len(args) > 1 else ""
        sys.stderr.write(f"serve-api {self.command} {urlsplit(self.path).path} {status}\n")


def _start_emulator(spec: tuple[str, int], scale: float, now_ms: int | None = None) -> Any:
    from binsync_local.emulator import EmulatorServer, generate_account

    profile, seed = spec
    return EmulatorServer(generate_account(profile, seed, now_ms=now_ms), time_scale=scale).start()


def emulator_info(emulator: Any) -> dict[str, Any]:
    """The emulated account's credentials, and a second key of the same account to try key
    rotation (`PUT /connections/{id}/keys` with it, then delete the first)."""
    second = emulator.second_key
    return {"emulator": emulator.credentials,
            "emulator_second_key": {"api_key": second.api_key, "api_secret": second.secret,
                                    "use": "PUT /connections/{id}/keys (rotation: same Binance account)"}}


def run(args: argparse.Namespace) -> int:
    if args.write_openapi:
        from binsync.api.resolver import openapi_json

        Path(args.write_openapi).write_text(openapi_json(), encoding="utf-8")
        print(f"wrote {args.write_openapi}", file=sys.stderr)
        return 0

    import os

    from binsync_local.cloud import LocalCloud

    tokens = TokenMap.from_file(args.tokens)
    emulator = _start_emulator(args.emulator, args.time_scale, args.now_ms) if args.emulator else None
    if emulator is not None:
        allowed = [u for u in os.environ.get("BINSYNC_ALLOW_BASE_URLS", "").split(",") if u]
        os.environ["BINSYNC_ALLOW_BASE_URLS"] = ",".join([*allowed, emulator.base_url])
    with LocalCloud(egress_ips=args.ips, fast_retries=emulator is not None) as cloud:
        # Upload URLs must be reachable by curl: serve the cloud (moto server, same state) and
        # presign against it; the S3 notification then runs parse_statement as on AWS.
        os.environ["UPLOADS_PUBLIC_ENDPOINT"] = cloud.serve(0, host=args.host)
        server = ApiServer(cloud, tokens, args.host, args.port).start()
        info = {"api_url": server.url, "swagger": f"{server.url}/swagger",
                "aws_endpoint_url": cloud.endpoint_url,
                "auth": "Authorization: Bearer <token> (" + ("tokens file" if args.tokens
                                                              else "the token is the user id") + ")"}
        if emulator is not None:
            info.update(emulator_info(emulator))
            info["try"] = (f"curl -s -X POST {server.url}/connections -H 'Authorization: Bearer alice' "
                           "-H 'Content-Type: application/json' -d '{\"api_key\": \"...\", \"api_secret\": "
                           f"\"...\", \"base_url\": \"{emulator.base_url}\"}}'")
        print(json.dumps(info), flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass
        finally:
            server.stop()
            if emulator is not None:
                emulator.stop()
    return 0
