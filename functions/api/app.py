"""REST API handler: Powertools Logger/Tracer/Metrics around the binsync API resolver.

All routing, validation, errors and OpenAPI live in `binsync.api`; this file only wires
observability. Secrets never reach a log line: the Logger's formatter and the process-wide log
record factory redact every API key and secret the API has seen (binsync.connections.redaction).
"""

from __future__ import annotations

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from binsync.api.resolver import build_app
from binsync.connections import redaction

redaction.install()
logger = Logger(logger_formatter=redaction.RedactingFormatter())
tracer = Tracer()
# Ephemeral: Powertools shares one metric set between `Metrics` objects of a process, so locally,
# where every function runs in one process, one handler's flush would drop another's metrics.
metrics = EphemeralMetrics()
app = build_app()


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, log_event=False)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    response = app.resolve(event, context)
    metrics.add_metric(name=f"Http{int(response.get('statusCode', 0)) // 100}xx", unit=MetricUnit.Count,
                       value=1)
    return response
