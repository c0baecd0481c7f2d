"""Sync worker: run one Map item, a batch of planned tasks (binsync.sync.fetch.run_batch).

Event (one Map item): {"user_id", "connection_id", "run_id", "task_ids": [...]}; a single
"task_id" is accepted too (a task re-run by hand). Binance errors propagate
with their class name (RateLimited, IpBanned, TransientError, ClockSkew are retried by the state
machine from the task's checkpoint; CredentialsInvalid and PermissionMissing end the sync).
"""

from __future__ import annotations

import time
from typing import Any

from aws_lambda_powertools import Logger
from binsync.storage import tenant_tables
from binsync.sync.fetch import run_batch

logger = Logger()
HANDOVER_MARGIN_S = 15.0  # a page fetched and stored after the last pacing wait fits in it


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    task_ids = list(event.get("task_ids") or [event["task_id"]])
    logger.append_keys(run_id=event["run_id"], task_id=task_ids[0], batch_size=len(task_ids))
    remaining_s = context.get_remaining_time_in_millis() / 1000
    deadline = time.time() + remaining_s - max(HANDOVER_MARGIN_S, remaining_s / 10)
    with tenant_tables.scoped_to(event["user_id"]):
        return run_batch(event["user_id"], event["connection_id"], event["run_id"], task_ids,
                         deadline=deadline)
