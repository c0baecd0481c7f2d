"""The API's resolver: every router, the error handlers, OpenAPI and Swagger UI."""

from __future__ import annotations

import json
from decimal import Decimal
from functools import partial
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer, Server

from binsync.api import errors
from binsync.api.query_params import refuse_unknown_query_parameters
from binsync.api.routes import connections, exports, me, syncs, transactions, uploads

TITLE = "binsync API"
VERSION = "1.0.0"
DESCRIPTION = (
    "Connect read-only Binance API keys, sync the complete history, read, annotate and export it. "
    "Every request is authenticated (Cognito JWT on AWS; `Authorization: Bearer <token>` locally) and "
    "sees only the caller's data: another user's ids answer 404. Errors always have the body "
    "`{\"error\": {\"code\", \"message\", \"field\", \"details\"}}`. Amounts are decimal strings, times "
    "epoch milliseconds (and ISO 8601 in transactions)."
)
SWAGGER_PATH = "/swagger"
# On AWS the bearer token is a Cognito ID token (JWT) checked by API Gateway; locally
# `binsync serve-api` maps it to a user (README "REST API").
SECURITY_SCHEMES = {"bearer": HTTPBearer(bearerFormat="Cognito ID token (JWT); locally the user id",
                                         description="Authorization: Bearer <token>")}
SECURITY = [{"bearer": []}]


def _json_body(text: str) -> Any:
    # Money must stay exact: numbers in request bodies are Decimals, never floats.
    try:
        return json.loads(text, parse_float=Decimal)
    except RecursionError:  # a body nested thousands deep: bad input (400), not our failure (500)
        raise json.JSONDecodeError("the body is nested too deeply", text[:100], 0) from None


class Resolver(APIGatewayRestResolver):
    """Powertools' REST resolver, refusing non-JSON bodies (415) before anything parses them."""

    def resolve(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        if isinstance(event, dict):
            refusal = errors.refuse_unparseable(event)
            if refusal is not None:
                return refusal
        return super().resolve(event, context)


def name_operations(app: APIGatewayRestResolver) -> None:
    """Each operation's id is its handler's name (`list_connections`, `create_upload`...), not
    Powertools' generated `list_connections_connections_get`: what SDK generators and Swagger UI
    show. Handler names are unique across the routers (tests/api/test_openapi.py checks)."""
    for route in [*app._static_routes, *app._dynamic_routes]:
        if route.operation_id == route._generate_operation_id():  # not set by the route itself
            route.operation_id = route.func.__name__


def build_app() -> Resolver:
    app = Resolver(enable_validation=True, json_body_deserializer=_json_body,
                   serializer=partial(json.dumps, separators=(",", ":"), default=str))
    for module in (connections, syncs, transactions, uploads, exports, me):
        app.include_router(module.router)
    name_operations(app)
    errors.register_handlers(app)
    app.use([refuse_unknown_query_parameters])
    app.enable_swagger(path=SWAGGER_PATH, title=TITLE, version=VERSION, description=DESCRIPTION,
                       security_schemes=SECURITY_SCHEMES, security=SECURITY, persist_authorization=True)
    return app


def openapi_json(app: APIGatewayRestResolver | None = None) -> str:
    """The OpenAPI document, deterministic (sorted keys), as committed in openapi.json."""
    app = app or build_app()
    raw = app.get_openapi_json_schema(title=TITLE, version=VERSION, description=DESCRIPTION,
                                      servers=[Server(url="/")], security_schemes=SECURITY_SCHEMES,
                                      security=SECURITY)
    return json.dumps(json.loads(raw), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
