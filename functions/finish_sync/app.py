"""Sync last step (placeholder until the sync issue lands; the sync helper owns this file)."""

from __future__ import annotations

from typing import Any


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    results = event.get("results", [])
    failed = sum(1 for r in results if isinstance(r, dict) and r.get("failed"))
    return {"run": event.get("run", {}), "tasks": len(results), "failed": failed}
