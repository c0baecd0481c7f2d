"""Sync step 1 (placeholder until the sync issue lands; the sync helper owns this file).

Echoes the tasks given in the input so the state machine can run end to end.
"""

from __future__ import annotations

from typing import Any


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {"run": event.get("run", {}), "tasks": list(event.get("tasks", []))}
