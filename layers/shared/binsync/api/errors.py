"""One error body for every failure: `{"error": {"code", "message", "field", "details"}}`.

Status codes: 400 malformed request (bad JSON, bad cursor, disallowed base_url), 401 no identity,
404 unknown id (including another user's), 409 state conflict (sync running, duplicate key,
disabled connection), 422 a field fails validation or the Binance key fails a check (`details`
has one entry per failed check), 503 Binance unreachable. A 500 only for a bug; its body
carries the request id and never the exception text. No error body ever echoes request input.
"""

from __future__ import annotations

import base64
import contextlib
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import ServiceError
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)

from binsync.api.auth import Unauthorized
from binsync.api.schemas.common import ErrorBody, ErrorDetail, ErrorItem
from binsync.api.schemas.patterns import PATTERN_WORDS
from binsync.connections.errors import (
    Conflict,
    DomainError,
    InvalidInput,
    InvalidValue,
    KeyRefused,
    NotFound,
    UpstreamUnavailable,
)

logger = Logger(service="binsync", child=True)

STATUS: dict[type[DomainError], int] = {  # the first class that matches wins: subclasses first
    InvalidValue: 422,
    Unauthorized: 401,
    NotFound: 404,
    Conflict: 409,
    InvalidInput: 400,
    KeyRefused: 422,
    UpstreamUnavailable: 503,
}

DESCRIPTIONS = {
    400: "Malformed request (the body names the field)",
    401: "No identity",
    404: "Not found (or not yours)",
    409: "Conflict with the current state",
    413: "The answer would be too large; narrow the time range",
    415: "Unsupported Content-Type: send application/json",
    422: "A field is invalid, or the Binance key failed a check (one detail per check)",
    503: "Binance could not be reached; retry later",
}


def error_response(status: int, code: str, message: str, field: str | None = None,
                   details: list[ErrorItem] | None = None) -> Response:
    body = ErrorBody(error=ErrorDetail(code=code, message=message, field=field, details=details or []))
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON,
                    body=body.model_dump_json())


def error_responses(*codes: int) -> dict[int, dict[str, Any]]:
    """OpenAPI `responses` entries for the given error statuses (all share ErrorBody).

    400, 401, 415 and 422 are always listed: every route needs an identity and may get a malformed
    request, and Powertools would otherwise document its own validation body for 422."""
    out: dict[int, dict[str, Any]] = {
        code: {"description": DESCRIPTIONS.get(code, "Error"),
               "content": {"application/json": {"model": ErrorBody}}}
        for code in sorted({*codes, 400, 415, 422})}
    out[401] = UNAUTHORIZED_RESPONSE
    return dict(sorted(out.items()))


# A request without a valid token is answered by API Gateway itself (`{"message": "Unauthorized"}`)
# and never reaches the function; the function's own 401 (no usable claims) has the error body.
UNAUTHORIZED_RESPONSE: dict[str, Any] = {
    "description": "No valid identity: API Gateway's answer, or the API's error body",
    "content": {"application/json": {"schema": {"anyOf": [
        {"$ref": "#/components/schemas/ErrorBody"},
        {"type": "object", "title": "GatewayUnauthorized", "required": ["message"],
         "properties": {"message": {"type": "string"}}},
    ]}}},
}


def _field_of(loc: tuple[Any, ...]) -> str:
    if not loc:
        return "body"
    where, *rest = loc
    path = ".".join(str(p) for p in rest)
    if where == "body":
        return path or "body"
    return f"{where}.{path}" if path else str(where)


def _message(err: dict[str, Any], field: str) -> str:
    kind, ctx = err.get("type"), err.get("ctx") or {}
    if kind == "missing":
        return f"{field} is required"
    if kind == "extra_forbidden":
        return f"{field} is not a known field"
    if kind == "string_pattern_mismatch":
        words = PATTERN_WORDS.get(str(ctx.get("pattern")), "a value in the documented format")
        return f"{field} must be {words}"
    if kind in ("too_short", "string_too_short"):
        unit = "item" if kind == "too_short" and not field.endswith(("secret", "key")) else "character"
        count = ctx.get("min_length")
        return f"{field} must have at least {count} {unit}{'s' if count != 1 else ''}"
    if kind in ("too_long", "string_too_long"):
        unit = "item" if kind == "too_long" and not field.endswith(("secret", "key")) else "character"
        count = ctx.get("max_length")
        return f"{field} must have at most {count} {unit}{'s' if count != 1 else ''}"
    if kind in ("int_type", "int_parsing") and isinstance(err.get("input"), list):
        return f"{field} is given more than once; give it once"
    return f"{field}: {err.get('msg', 'invalid value')}"


def validation_items(errors: list[dict[str, Any]]) -> list[ErrorItem]:
    items = []
    for err in errors:
        field = _field_of(tuple(err.get("loc") or ()))
        items.append(ErrorItem(code=str(err.get("type", "invalid")), message=_message(err, field),
                               field=field))
    return items


def _proxy_error(status: int, code: str, message: str) -> dict[str, Any]:
    body = ErrorBody(error=ErrorDetail(code=code, message=message, field="body"))
    return {"statusCode": status, "headers": {"Content-Type": "application/json"},
            "body": body.model_dump_json(), "isBase64Encoded": False}


def refuse_unparseable(event: dict[str, Any]) -> dict[str, Any] | None:
    """The proxy result of a 415 (body not JSON) or 400 (body not UTF-8 text), else None.

    Checked before resolving, because Powertools' validation (which runs before every other
    middleware) would try form/multipart parsing or decode the body and fail with a 500."""
    body = event.get("body")
    if not body:
        return None
    content_type = ""
    for key, value in (event.get("headers") or {}).items():
        if key.lower() == "content-type":
            content_type = str(value)
    media = content_type.split(";", 1)[0].strip().lower()
    if media and media != "application/json" and not media.endswith("+json"):
        return _proxy_error(415, "unsupported_media_type",
                            "The request body must be JSON (Content-Type: application/json).")
    if event.get("isBase64Encoded"):
        try:
            base64.b64decode(str(body), validate=True).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            return _proxy_error(400, "invalid_json", "The request body is not valid JSON (UTF-8 text).")
    return None


def register_handlers(app: APIGatewayRestResolver) -> None:
    @app.exception_handler(RequestValidationError)
    def _validation(exc: RequestValidationError) -> Response:
        errors = list(exc.errors())
        if any(err.get("type") == "json_invalid" for err in errors):
            return error_response(400, "invalid_json", "The request body is not valid JSON.", "body")
        items = validation_items(errors)
        first = items[0] if items else ErrorItem(code="invalid", message="invalid request", field=None)
        return error_response(422, first.code, first.message, first.field, items)

    @app.exception_handler(RequestUnsupportedContentType)
    def _content_type(exc: RequestUnsupportedContentType) -> Response:
        return error_response(415, "unsupported_media_type",
                              "The request body must be JSON (Content-Type: application/json).", "body")

    @app.exception_handler(DomainError)
    def _domain(exc: DomainError) -> Response:
        status = next((code for cls, code in STATUS.items() if isinstance(exc, cls)), 400)
        details = [ErrorItem(**p.to_dict()) for p in exc.details]
        return error_response(status, exc.code, exc.message, exc.field, details)

    @app.exception_handler(ServiceError)
    def _service(exc: ServiceError) -> Response:
        return error_response(exc.status_code, "error", exc.msg)

    @app.not_found
    def _not_found(exc: Exception) -> Response:
        event = app.current_event
        path = app._remove_prefix(event.path)
        routes = getattr(app, "_static_routes", []) + getattr(app, "_dynamic_routes", [])
        allowed = sorted({r.method for r in routes if r.rule.match(path)})
        if allowed:
            response = error_response(405, "method_not_allowed",
                                      f"{event.http_method} is not allowed here; use {', '.join(allowed)}.")
            response.headers["Allow"] = ", ".join(allowed)
            return response
        return error_response(404, "route_not_found", "No such route.")

    @app.exception_handler(Exception)
    def _bug(exc: Exception) -> Response:
        logger.exception("unhandled error")
        request_id = ""
        with contextlib.suppress(Exception):  # the answer must go out even without a request id
            request_id = app.current_event.request_context.request_id or ""
        return error_response(500, "internal_error",
                              f"Something went wrong on our side (request {request_id}). Please retry, "
                              "or report the request id.")
