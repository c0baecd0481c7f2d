"""S3 upload -> statement parser (placeholder until the statement issue lands; owned by the
statement helper). Decodes the object keys the way every S3 consumer must (unquote_plus)."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote_plus

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes import S3Event, event_source

logger = Logger()


@event_source(data_class=S3Event)
def lambda_handler(event: S3Event, context: Any) -> dict[str, Any]:
    keys = [unquote_plus(record.s3.get_object.key) for record in event.records]
    logger.info("statement upload received", extra={"bucket": event.bucket_name, "keys": keys})
    return {"bucket": event.bucket_name, "keys": keys}
