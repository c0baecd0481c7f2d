"""Weekly EventBridge Scheduler target: start an incremental sync for every active connection.

The schedule's Input (template.yaml) is delivered as the event itself:
{"source": "binsync.schedule", "mode": "incremental", "scheduled_time": "...",
 "execution_id": "...", "attempt": "..."}. Execution names are derived from
(connection, scheduled_time), so a redelivered attempt of the same schedule starts nothing twice
(Step Functions refuses a second execution with the same name).
"""

from __future__ import annotations

import hashlib
import json
import os
from typing import Any

import boto3
from aws_lambda_powertools import Logger
from binsync.storage.models import ConnectionModel

logger = Logger()


def execution_name(connection_id: str, scheduled_time: str) -> str:
    digest = hashlib.sha256(f"{connection_id}|{scheduled_time}".encode()).hexdigest()[:16]
    return f"resync-{digest}"  # <= 80 chars, only [A-Za-z0-9-_]


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    scheduled_time = str(event.get("scheduled_time") or "")
    if not scheduled_time:
        raise ValueError("schedule event has no scheduled_time")
    sfn = boto3.client("stepfunctions")
    started, skipped = [], 0
    for conn in ConnectionModel.scan(ConnectionModel.status == "active"):
        name = execution_name(conn.connection_id, scheduled_time)
        payload = {
            "user_id": conn.user_id,
            "connection_id": conn.connection_id,
            "mode": event.get("mode", "incremental"),
            "trigger": "schedule",
            "scheduled_time": scheduled_time,
        }
        try:
            sfn.start_execution(
                stateMachineArn=os.environ["SYNC_STATE_MACHINE_ARN"], name=name, input=json.dumps(payload)
            )
            started.append(conn.connection_id)
        except sfn.exceptions.ExecutionAlreadyExists:
            skipped += 1  # redelivery of the same scheduled run
    logger.info("weekly resync", extra={"started": len(started), "already_started": skipped})
    return {"scheduled_time": scheduled_time, "started": started, "already_started": skipped}
