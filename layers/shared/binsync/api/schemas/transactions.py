"""Transactions (the unified model, DESIGN.md §4) and the user's annotations of them."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from binsync.api.schemas import patterns

DECIMAL_PATTERN = patterns.DECIMAL
ASSET_PATTERN = patterns.ASSET


class LegOut(BaseModel):
    asset: str
    amount: str = Field(description="Signed decimal string (+ credit, - debit); never a float.")
    wallet: str
    role: str


class SourceOut(BaseModel):
    kind: str = Field(description="api | statement | manual")
    ref: str = Field(description="Catalogue endpoint name, or upload id / file name.")
    native_id: str | None = None
    raw: Any = Field(None, description="The raw record(s); only on GET /transactions/{id}.")


class PriceOverride(BaseModel):
    model_config = ConfigDict(extra="forbid")

    asset: str = Field(pattern=ASSET_PATTERN)
    price: str = Field(pattern=DECIMAL_PATTERN, description="Unit price as a decimal string.")
    currency: str = Field("EUR", pattern=patterns.CURRENCY)


class AnnotationOut(BaseModel):
    label: str | None = None
    note: str | None = None
    prices: list[PriceOverride] = Field(default_factory=list)
    updated_at: int


class TransactionOut(BaseModel):
    id: str
    time: str = Field(description="UTC, ISO 8601 with milliseconds.")
    time_ms: int
    kind: str
    account: str = Field(description="Binance uid.")
    connection_id: str | None = None
    legs: list[LegOut]
    source: SourceOut
    description: str = ""
    meta: dict[str, Any] = Field(default_factory=dict)
    merged_from: list[str] = Field(default_factory=list)
    annotation: AnnotationOut | None = None


class TransactionPage(BaseModel):
    items: list[TransactionOut]
    next_cursor: str | None = Field(None, description="Pass as `cursor` for the next page; null at the end.")


class AnnotationPatch(BaseModel):
    """Fields present replace the stored value, `null` clears it, absent fields are kept."""

    model_config = ConfigDict(extra="forbid")

    label: str | None = Field(None, max_length=100)
    note: str | None = Field(None, max_length=2000)
    prices: list[PriceOverride] | None = Field(None, max_length=20)
