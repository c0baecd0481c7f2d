"""Sync step 1: cut the account's history into independent tasks (binsync.sync.plan).

Event (from the state machine): {"user_id", "connection_id", "run_id"}. Returns the task count,
whether the Map is distributed, and either the task ids (inline) or their S3 location.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from binsync.storage import tenant_tables
from binsync.sync.plan import plan_run

logger = Logger()


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    logger.append_keys(run_id=event["run_id"], connection_id=event["connection_id"])
    with tenant_tables.scoped_to(event["user_id"]):
        result = plan_run(event["user_id"], event["connection_id"], event["run_id"])
    logger.info("planned", extra={"tasks": result["task_count"], "distributed": result["distributed"]})
    return result
