"""Sync worker (placeholder until the sync issue lands; the sync helper owns this file)."""

from __future__ import annotations

from typing import Any


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {"task": event.get("task"), "records": 0}
