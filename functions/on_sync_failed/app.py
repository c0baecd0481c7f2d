"""EventBridge rule target: a sync execution ended FAILED, TIMED_OUT or ABORTED.

Reads the execution (DescribeExecution: error, cause, input with user_id/connection_id/run_id),
then binsync.events.failures records the run as failed and disables the connection on
credentials/permissions errors, or counts a transient failure. Every write there is idempotent,
so a redelivered event changes nothing more.
"""

from __future__ import annotations

from typing import Any

import boto3
from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit
from binsync.events.failures import handle_failure, merge_description, parse_status_change

logger = Logger()
tracer = Tracer()
# Ephemeral: Powertools shares one metric set between `Metrics` objects of a process, so locally,
# where every function runs in one process, one handler's flush would drop another's metrics.
metrics = EphemeralMetrics()

_METRIC = {"disabled": "ConnectionsDisabled", "counted": "TransientSyncFailures", "aborted": "SyncsAborted"}


@tracer.capture_method
def _describe(execution_arn: str) -> dict[str, Any]:
    client = boto3.client("stepfunctions")
    try:
        return client.describe_execution(executionArn=execution_arn)
    except client.exceptions.ExecutionDoesNotExist:
        return {}  # the event's own detail is all there is


@metrics.log_metrics
@tracer.capture_lambda_handler
@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    try:
        facts = parse_status_change(event)
    except ValueError as exc:
        logger.error("status change event rejected", extra={"reason": str(exc)})
        metrics.add_metric(name="SyncFailureBadEvents", unit=MetricUnit.Count, value=1)
        return {"action": "ignored", "error": str(exc)}
    outcome = handle_failure(merge_description(facts, _describe(facts.execution_arn)))
    result = outcome.as_dict()
    metrics.add_metric(name="SyncFailureEvents", unit=MetricUnit.Count, value=1)
    if outcome.action in _METRIC:
        metrics.add_metric(name=_METRIC[outcome.action], unit=MetricUnit.Count, value=1)
    if outcome.warning:
        metrics.add_metric(name="RepeatedTransientFailures", unit=MetricUnit.Count, value=1)
        logger.warning("connection keeps failing", extra=result)
    else:
        logger.info("sync failure handled", extra=result)
    return result
