"""A Map worker for the embedded-cloud tests: fails the way real workers do, writes DynamoDB."""

from __future__ import annotations

import os
import threading
from typing import Any

import boto3
from binsync.runtime import egress_ip

_attempts: dict[str, int] = {}
_lock = threading.Lock()


class TransientError(Exception):
    pass


class PermanentError(Exception):
    pass


class AccountLocked(Exception):
    pass


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    item = event["id"]
    with _lock:
        _attempts[item] = _attempts.get(item, 0) + 1
        attempt = _attempts[item]
    if item.startswith("perm"):
        raise PermanentError(f"bad item {item}")
    if item.startswith("locked"):
        raise AccountLocked(f"account of {item} is locked")
    if attempt <= int(event.get("fail_times", 0)):
        raise TransientError(f"{item} attempt {attempt}")
    boto3.client("dynamodb").put_item(
        TableName=os.environ["TASKS_TABLE"],
        Item={"run_id": {"S": event["run"]}, "task_id": {"S": item}, "attempts": {"N": str(attempt)}},
    )
    return {"id": item, "attempts": attempt, "egress_ip": egress_ip(), "request_id": context.aws_request_id}
