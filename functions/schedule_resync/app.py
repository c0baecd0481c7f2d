"""EventBridge Scheduler target (hourly): start the weekly incremental sync of this hour's slot.

The event is the schedule's Input from template.yaml ({"scheduled_time": ..., "mode": ...,
"execution_id": ..., "attempt": ...}) or Scheduler's default envelope. All rules live in
binsync.events.resync; this handler parses, calls it, reports, and raises when some connection
could not be started so the schedule's retry (idempotent per scheduled time) covers it.
"""

from __future__ import annotations

import os
from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from binsync.events.resync import ResyncIncomplete, ResyncReport, parse_schedule_event, run_resync

logger = Logger()
tracer = Tracer()
# Ephemeral: Powertools shares one metric set between `Metrics` objects of a process, so locally,
# where every function runs in one process, one handler's flush would drop another's metrics.
metrics = EphemeralMetrics()

# A redelivery of the same scheduled time answers from this record without rescanning; the
# execution names (idempotency keys) are the real guarantee, this only saves the work.
_idempotency = IdempotencyConfig(event_key_jmespath="scheduled_time", expires_after_seconds=7 * 24 * 3600)
_STACK = os.environ.get("BINSYNC_STACK", "binsync")
_TABLE = os.environ.get("IDEMPOTENCY_TABLE", f"{_STACK}-idempotency")
_persistence = DynamoDBPersistenceLayer(table_name=_TABLE)


# The running invocation's context (its remaining time bounds the scan); one call at a time per
# execution environment, as Lambda guarantees.
_invocation: dict[str, Any] = {}


@idempotent_function(data_keyword_argument="tick", config=_idempotency, persistence_store=_persistence)
def _resync(tick: dict[str, Any]) -> dict[str, Any]:
    context = _invocation.get("context")
    clock = getattr(context, "get_remaining_time_in_millis", None)
    report = run_resync(parse_schedule_event(tick), time_left_ms=clock)
    _publish(report)
    if report.incomplete:
        raise ResyncIncomplete(report)  # the idempotency record is dropped: a retry redoes the rest
    return report.as_dict()


def _publish(report: ResyncReport) -> None:
    metrics.add_metric(name="ResyncStarted", unit=MetricUnit.Count, value=len(report.started))
    metrics.add_metric(name="ResyncAlreadyStarted", unit=MetricUnit.Count, value=len(report.already_started))
    metrics.add_metric(name="ResyncBusy", unit=MetricUnit.Count, value=len(report.busy))
    metrics.add_metric(name="ResyncStartErrors", unit=MetricUnit.Count, value=len(report.errors))
    logger.info("weekly resync", extra={
        "scheduled_time": report.scheduled_time, "spread_seconds": report.spread_seconds,
        "started": len(report.started), "already_started": len(report.already_started),
        "busy": report.busy, "not_syncable": report.not_syncable, "errors": report.errors,
        "deferred": report.deferred,
    })


@metrics.log_metrics
@tracer.capture_lambda_handler
@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    try:
        tick = parse_schedule_event(event)
    except ValueError as exc:
        # A malformed event will not get better on retry: report it and stop.
        logger.error("schedule event rejected", extra={"reason": str(exc)})
        metrics.add_metric(name="ResyncBadEvent", unit=MetricUnit.Count, value=1)
        return {"error": str(exc)}
    metrics.add_metric(name="ResyncInvocations", unit=MetricUnit.Count, value=1)
    _invocation["context"] = context
    _idempotency.register_lambda_context(context)
    return _resync(tick={"scheduled_time": tick.scheduled_time})
