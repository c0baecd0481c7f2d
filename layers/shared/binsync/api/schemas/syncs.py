"""Sync runs: start one, read its live progress and outcome."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class SyncStart(BaseModel):
    model_config = ConfigDict(extra="forbid")

    mode: Literal["full", "since_last", "incremental"] = "incremental"


class GapOut(BaseModel):
    endpoint: str = Field(description="Catalogue endpoint name (`*`: the whole sync).")
    product: str
    kind: Literal["unread", "not_planned", "statement_only"] = Field(
        description="`unread`: the API can serve it and the next sync reads it; `not_planned`: the "
                    "key or account cannot read it; `statement_only`: beyond the API, only a statement "
                    "fills it.")
    cause: str
    start_ms: int | None = None
    end_ms: int | None = Field(None, description="Inclusive.")
    symbol: str | None = None
    params: dict[str, Any] = Field(default_factory=dict, description="The endpoint variant.")
    covered_by: str | None = Field(None, description="`statement` or `user_files` when files fill it.")
    words: str


class CompletenessOut(BaseModel):
    state: Literal["complete", "gaps_named", "unexplained_differences"] = Field(
        description="`complete`: every planned endpoint proven read over its whole period and every "
                    "balance explained; `gaps_named`: the parts not read are listed with period and cause; "
                    "`unexplained_differences`: a reconciled balance differs with no known cause.")
    words: str = Field(description="The state in one sentence.")
    gaps: list[GapOut]
    gaps_total: int
    covered_by_files: list[GapOut] = Field(description="Periods beyond the API that uploaded files cover.")
    differences: list[dict[str, Any]] = Field(description="Reconciliation differences (wallet, asset, "
                                              "difference, cause).")
    differences_total: int
    unexplained_differences: int


class ReconciliationPeriod(BaseModel):
    from_ms: int
    to_ms: int


class WalletAssetResult(BaseModel):
    """One (wallet, asset): the balance rebuilt from stored transactions against Binance's."""

    model_config = ConfigDict(extra="allow")

    wallet: str
    asset: str
    status: str = Field(description="balanced | difference | not_checked (no balance endpoint, or unread)")
    stored: str = Field(description="Sum of every stored leg, a decimal string.")
    live: str | None = Field(None, description="What Binance reports, a decimal string.")
    difference: str | None = Field(None, description="live - stored, a decimal string.")
    cause: str | None = Field(None, description="Most likely cause of a difference: statement_period | "
                              "beyond_retention | delisted_market | not_read | kept_as_other | unexplained")
    cause_words: str | None = None
    period: ReconciliationPeriod | None = Field(None, description="The period the difference must lie in.")
    statement_uploaded: bool | None = Field(None, description="Whether a statement was uploaded for the "
                                            "connection.")
    candidates: list[dict[str, Any]] | None = Field(None, description="Every possible cause, most likely "
                                                    "first.")
    reason: str | None = Field(None, description="Why a wallet is not checked.")


class Reconciliation(BaseModel):
    """Every wallet reconciled at the end of the sync (and after each statement import)."""

    model_config = ConfigDict(extra="allow")

    assets: int | None = Field(None, description="(wallet, asset) pairs held or ever held.")
    balanced: int | None = None
    differences: int | None = None
    not_checked: int | None = None
    wallets: int | None = None
    wallets_checked: list[str] | None = None
    complete: bool | None = Field(None, description="Every asset of every wallet balances.")
    results: list[WalletAssetResult] | None = None
    error: str | None = Field(None, description="Set when the reconciliation could not run.")


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
    reconciliation: Reconciliation | None = None
    completeness: CompletenessOut | None = Field(None, description="How complete the data is after this run.")
    near_duplicate_count: int | None = Field(None, description="Statement events an API event of this run "
                                             "matches in amounts but 2 s to 10 min apart (exact count).")
    near_duplicates: list[dict[str, Any]] | None = Field(
        None, description="Those pairs (first 200), as the upload report lists them: statement_id, api_id, "
                          "gap_seconds, kind, time_ms, api_time_ms. Both events are stored; the statement "
                          "event is marked `meta.near_duplicate_of` for the user to confirm or dismiss.")
    error: dict[str, Any] | None = None


class RunList(BaseModel):
    items: list[RunOut]
