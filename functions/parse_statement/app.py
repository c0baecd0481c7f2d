"""S3 ObjectCreated under uploads/ -> parse the statement (or Waltio file) and merge it.

Thin: decode each record's key (URL-encoded by S3: always unquote_plus, never split the raw
key), then `binsync.statement.upload.process_upload` does the work. S3 delivers at least once:
Powertools idempotency on (bucket, key, etag, version) returns the first result for a
redelivered record, and the writes underneath are idempotent anyway. Two deliveries at the same
time: the second waits (bounded) for the first and returns its result, whether Powertools'
in-progress record or the upload's claim (held until the invocation's deadline) stopped it;
past the bound it fails and Lambda retries it.
"""

from __future__ import annotations

import functools
import os
import time
from typing import Any
from urllib.parse import unquote_plus

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit
from aws_lambda_powertools.utilities.data_classes import S3Event, event_source
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import IdempotencyAlreadyInProgressError
from binsync.statement.upload import BadKey, process_upload, wait_while_busy

logger = Logger()
tracer = Tracer()
# Ephemeral: Powertools shares one metric set between `Metrics` objects of a process, so locally,
# where every function runs in one process, one handler's flush would drop another's metrics.
metrics = EphemeralMetrics()
idempotency_config = IdempotencyConfig(expires_after_seconds=7 * 24 * 3600)
persistence = DynamoDBPersistenceLayer(table_name=os.environ.get("IDEMPOTENCY_TABLE", "binsync-idempotency"))


@idempotent_function(data_keyword_argument="upload", config=idempotency_config, persistence_store=persistence)
def handle_upload(upload: dict[str, Any], deadline_ms: int | None = None) -> dict[str, Any]:
    result = process_upload(upload["bucket"], upload["key"], etag=upload.get("etag"),
                            version=upload.get("version"), deadline_ms=deadline_ms)
    report = result["report"]
    for name, field in (("StatementRows", "rows"), ("StatementMerged", "merged_as_duplicate"),
                        ("StatementRejectedRows", "rejected_count")):
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=report.get(field) or 0)
    logger.info("statement parsed", extra={
        "upload_id": result["upload_id"], "status": result["status"], "rows": report.get("rows"),
        "imported": report.get("imported"), "merged": report.get("merged_as_duplicate"),
        "rejected": report.get("rejected_count"), "error": report.get("error")})
    # the idempotency record keeps only a summary: the full report lives in UploadModel
    return {"upload_id": result["upload_id"], "status": result["status"],
            "imported": report.get("imported"), "merged_as_duplicate": report.get("merged_as_duplicate"),
            "rejected_count": report.get("rejected_count"), "error": report.get("error")}


@metrics.log_metrics
@tracer.capture_lambda_handler
@event_source(data_class=S3Event)
def lambda_handler(event: S3Event, context: Any) -> dict[str, Any]:
    idempotency_config.register_lambda_context(context)
    # Always one metric, so an event with nothing to parse (an ignored key, a redelivery answered
    # from the idempotency record) publishes too, instead of Powertools' "No application metrics".
    metrics.add_metric(name="StatementEvents", unit=MetricUnit.Count, value=len(list(event.records)))
    # the upload's claim lasts until this invocation must end: a killed one's retry takes over
    deadline_ms = int(time.time() * 1000) + int(context.get_remaining_time_in_millis())
    results = []
    for record in event.records:
        obj = record.s3.get_object
        key = unquote_plus(obj.key)
        upload = {"bucket": record.s3.bucket.name, "key": key, "etag": obj.etag,
                  "version": obj.version_id}
        try:
            # the same object's delivery in progress elsewhere: its record answers once it is done
            call = functools.partial(handle_upload, upload=upload, deadline_ms=deadline_ms)
            results.append(wait_while_busy(call, (IdempotencyAlreadyInProgressError,), deadline_ms))
        except BadKey as exc:  # not ours to parse; a retry would not help
            logger.warning("ignored object", extra={"key": key, "reason": str(exc)})
            results.append({"key": key, "status": "ignored", "error": str(exc)})
    return {"uploads": results}
