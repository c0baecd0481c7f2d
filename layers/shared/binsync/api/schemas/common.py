"""Shapes shared by every route: the error body."""

from __future__ import annotations

from pydantic import BaseModel, Field


class ErrorItem(BaseModel):
    code: str = Field(description="Machine-readable reason, e.g. `missing`, `ip_restricted`.")
    message: str = Field(description="What is wrong and what to do, for the end user.")
    field: str | None = Field(None, description="The request field concerned, e.g. `api_key`, "
                              "`query.limit`, `prices.0.price`; null when none is.")


class ErrorDetail(ErrorItem):
    details: list[ErrorItem] = Field(
        default_factory=list, description="Every problem found (one per failed check or invalid field).")


class ErrorBody(BaseModel):
    """Every 4xx/5xx answer of the API has this body."""

    error: ErrorDetail
