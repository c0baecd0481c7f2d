"""The endpoint catalogue (DESIGN.md §2): every Binance endpoint binsync reads, as data.

The client, the planner, the emulator and the benchmark's lower bound all read this one table.
Source of every number: shared/spec/binance-api.md. Where the spec records a disagreement (§8),
the entry's `choice` says what was chosen and why.

SCHEMA OWNER NOTE: the `Endpoint` fields below are the contract between client, planner,
emulator and benchmark. Add fields if needed; do not rename existing ones without updating every
reader.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

MINUTE_MS = 60_000
HOUR_MS = 60 * MINUTE_MS
DAY_MS = 24 * HOUR_MS

# Base URL families (spec §0): /api and /sapi live on api.binance.com, the others on their own hosts.
Family = Literal["api", "sapi", "fapi", "dapi", "eapi"]

# Spec §7.2, the five kinds of pagination (plus "none" for single-shot endpoints).
Pagination = Literal[
    "from_id",            # cursor, inclusive (>=): next fromId = last id + 1
    "from_id_exclusive",  # cursor, exclusive (>): next fromId = last id (margin capital-flow)
    "record_id",          # eapi bill: "the recordId and subsequent data"
    "offset",             # offset + limit inside a window (deposits, withdrawals)
    "current_size",       # 1-based page `current` + `size`, response carries `total`
    "page",               # `page` + `rows`/`limit` (fiat, c2c, fapi/dapi income, rebate, mining)
    "window_only",        # time window + limit only: bisect the window when a page comes back full
    "none",               # single response (account, apiRestrictions, exchangeInfo, dribblet)
]

Bucket = Literal["ip", "uid"]


@dataclass(frozen=True)
class RateBucket:
    """A rate-limit bucket an endpoint draws on.

    `scope` is "shared" when every endpoint of the family shares one counter per IP (/api:
    6000 per minute; /fapi: 2400) and "endpoint" when each endpoint has its own counter
    (/sapi: 12000 per IP per endpoint, 180000 per UID per endpoint).
    """

    kind: Bucket
    limit: int
    interval_s: int = 60
    scope: Literal["shared", "endpoint"] = "shared"
    header: str = "X-MBX-USED-WEIGHT-1M"


@dataclass(frozen=True)
class Endpoint:
    name: str                      # stable id, e.g. "spot.my_trades"; used in task ids
    product: str                   # spot, wallet, fiat, convert, dust, dividends, margin, usdm, ...
    family: Family
    path: str                      # e.g. "/api/v3/myTrades"
    weight: int
    bucket: RateBucket
    permission: str = "read"       # what the key needs: read, futures, margin, options, ...
    signed: bool = True
    pagination: Pagination = "none"
    page_size: int | None = None   # the maximum page size we request
    max_window_ms: int | None = None       # max endTime - startTime the server accepts
    default_window_ms: int | None = None   # what the server uses when times are omitted
    retention_ms: int | None = None        # how far back the server can ever return data
    retention_records: int | None = None   # e.g. dust: "only return last 100 records"
    earliest_ms: int | None = None         # e.g. dust after 2020-12-01, rebates after 2020-06-10
    requires_symbol: bool = False
    start_param: str | None = "startTime"  # some endpoints say beginTime / startTimestamp
    end_param: str | None = "endTime"
    variants: tuple[dict[str, str], ...] = ()  # fixed parameter sets, one task each
    rows_path: tuple[str, ...] = ()        # where the list lives in the response, () = top level
    id_fields: tuple[str, ...] = ()        # the record's unique key (spec "Unique key")
    time_field: str | None = None          # the record's event time field
    history: bool = True                   # False for account-state endpoints
    normaliser: str | None = None          # name of the normaliser that turns rows into transactions
    choice: str = ""                       # where spec §8 disagrees: what we chose and why
    notes: str = ""
    extra: dict[str, object] = field(default_factory=dict)


# Filled by the catalogue owner from spec §5. Keyed by Endpoint.name.
ENDPOINTS: dict[str, Endpoint] = {}


def endpoint(name: str) -> Endpoint:
    return ENDPOINTS[name]


def by_path(path: str) -> Endpoint | None:
    for ep in ENDPOINTS.values():
        if ep.path == path:
            return ep
    return None
