"""Sync runs: start one, read its live progress and outcome."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class SyncStart(BaseModel):
    model_config = ConfigDict(extra="forbid")

    mode: Literal["full", "since_last", "incremental"] = "incremental"


class RunOut(BaseModel):
    run_id: str
    connection_id: str
    status: str = Field(description="planning | running | succeeded | failed")
    mode: str
    trigger: str
    started_at: int
    finished_at: int | None = None
    tasks_total: int
    tasks_done: int
    tasks_failed: int
    percent: float = Field(description="tasks_done / tasks_total, in percent.")
    records: int
    requests: int
    weight: int
    http_429: int
    http_418: int
    counts: dict[str, Any] | None = Field(None, description="Per product: records stored.")
    coverage: dict[str, Any] | None = Field(None, description="Per product: the period covered.")
    beyond_retention: list[Any] | None = Field(None, description="Periods the API cannot reach any "
                                               "more (upload the statement to fill them).")
    reconciliation: dict[str, Any] | None = None
    error: dict[str, Any] | None = None


class RunList(BaseModel):
    items: list[RunOut]
