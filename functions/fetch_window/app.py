"""Sync worker: run one planned task (binsync.sync.fetch.run_task).

Event (one Map item): {"user_id", "connection_id", "run_id", "task_id"}. Binance errors propagate
with their class name (RateLimited, IpBanned, TransientError, ClockSkew are retried by the state
machine from the task's checkpoint; CredentialsInvalid and PermissionMissing end the sync).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from binsync.sync.fetch import run_task

logger = Logger()


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    logger.append_keys(run_id=event["run_id"], task_id=event["task_id"])
    return run_task(event["user_id"], event["connection_id"], event["run_id"], event["task_id"])
