"""EventBridge rule target: a sync execution ended FAILED, TIMED_OUT or ABORTED.

Receives the "Step Functions Execution Status Change" event. This first version only reports
what failed (the execution's input names the connection); disabling connections on auth errors
lands with the sync issue.
"""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes import EventBridgeEvent, event_source

logger = Logger()


@event_source(data_class=EventBridgeEvent)
def lambda_handler(event: EventBridgeEvent, context: Any) -> dict[str, Any]:
    detail = event.detail
    try:
        sync_input = json.loads(detail.get("input") or "{}")
    except ValueError:
        sync_input = {}
    report = {
        "execution_arn": detail.get("executionArn"),
        "status": detail.get("status"),
        "error": detail.get("error"),
        "connection_id": sync_input.get("connection_id") if isinstance(sync_input, dict) else None,
    }
    logger.warning("sync execution did not succeed", extra=report)
    return report
