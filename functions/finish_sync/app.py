"""Sync last step: counts, coverage, reconciliation and the run's outcome (binsync.sync.finish).

Event: {"user_id", "connection_id", "run_id", "action": "finish"} after the Map, or
{"action": "fail", "error": {"Error", "Cause"}} when an earlier step failed. Always returns
{"outcome", "error", "cause"}; the state machine fails the execution when outcome is "failed".
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from binsync.storage import tenant_tables
from binsync.sync.finish import fail_run, finish_run

logger = Logger()


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    ids = (event["user_id"], event["connection_id"], event["run_id"])
    logger.append_keys(run_id=ids[2], connection_id=ids[1])
    failing = event.get("action") == "fail"
    with tenant_tables.scoped_to(event["user_id"]):  # the user's transactions only
        result = fail_run(*ids, event.get("error") or {}) if failing else finish_run(*ids)
    logger.info("finished", extra={"outcome": result["outcome"], "error": result.get("error")})
    return result
