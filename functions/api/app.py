"""REST API handler (placeholder until the API issue lands; the API helper owns this file).

The Powertools resolver does the routing behind the `/{proxy+}` ANY route of template.yaml.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger()
app = APIGatewayRestResolver()


@app.get("/health")
def health() -> dict:
    claims = app.current_event.request_context.authorizer.claims or {}
    return {"ok": True, "user": claims.get("sub")}


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
