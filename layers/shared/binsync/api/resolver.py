"""The API's resolver: every router, the error handlers, OpenAPI and Swagger UI."""

from __future__ import annotations

import json
from decimal import Decimal
from functools import partial
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.event_handler.openapi.models import Server

from binsync.api import errors
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


def _json_body(text: str) -> Any:
    # Money must stay exact: numbers in request bodies are Decimals, never floats.
    return json.loads(text, parse_float=Decimal)


def build_app() -> APIGatewayRestResolver:
    app = APIGatewayRestResolver(enable_validation=True, json_body_deserializer=_json_body,
                                 serializer=partial(json.dumps, separators=(",", ":"), default=str))
    for module in (connections, syncs, transactions, uploads, exports, me):
        app.include_router(module.router)
    errors.register_handlers(app)
    app.enable_swagger(path=SWAGGER_PATH, title=TITLE, version=VERSION, description=DESCRIPTION)
    return app


def openapi_json(app: APIGatewayRestResolver | None = None) -> str:
    """The OpenAPI document, deterministic (sorted keys), as committed in openapi.json."""
    app = app or build_app()
    raw = app.get_openapi_json_schema(title=TITLE, version=VERSION, description=DESCRIPTION,
                                      servers=[Server(url="/")])
    return json.dumps(json.loads(raw), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
