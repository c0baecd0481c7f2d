"""The spot market universe: every market exchangeInfo lists, and every market ever seen.

Markets that Binance removes disappear from exchangeInfo (spec §5.1.1), so each plan merges the
live list into a persisted one (S3 `reference/spot-markets.json`) and plans the union: a market
that was delisted since an earlier sync is still asked for (it answers -1121 once it is gone,
which the task records as beyond API reach). Workers read the same file for the base and quote
assets of a symbol, which the fill rows do not carry.

`stored_trade_markets` answers which markets already have stored fills (read once per connection,
to establish its `traded_markets`; see planner.select_markets).
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

from binsync.storage import clients
from binsync.storage.models import TransactionModel, account_key

MARKETS_KEY = "reference/spot-markets.json"
_CACHE_S = 300
_cache: dict[str, Any] = {"at": 0.0, "markets": None}


def _bucket() -> str:
    return os.environ["UPLOADS_BUCKET"]


def load_markets(*, max_age_s: float = _CACHE_S) -> dict[str, dict[str, str]]:
    """The persisted market map (cached per execution environment for a few minutes)."""
    if _cache["markets"] is not None and time.monotonic() - _cache["at"] < max_age_s:
        return _cache["markets"]
    s3 = clients.client("s3")
    try:
        body = s3.get_object(Bucket=_bucket(), Key=MARKETS_KEY)["Body"].read()
        markets = json.loads(body)
    except s3.exceptions.NoSuchKey:
        markets = {}
    _cache.update(at=time.monotonic(), markets=markets)
    return markets


def merge_and_save(live: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    """Union of the live markets and every market seen before; persisted and returned.

    A market absent from the live list keeps its last known base/quote and is marked REMOVED.
    """
    known = dict(load_markets(max_age_s=0))
    for symbol, entry in known.items():
        if symbol not in live and entry.get("status") != "REMOVED":
            known[symbol] = {**entry, "status": "REMOVED"}
    known.update(live)
    clients.client("s3").put_object(Bucket=_bucket(), Key=MARKETS_KEY,
                                  Body=json.dumps(known, sort_keys=True).encode(),
                                  ContentType="application/json")
    _cache.update(at=time.monotonic(), markets=known)
    return known


def market_of(symbol: str) -> dict[str, str] | None:
    entry = load_markets().get(symbol)
    if entry is None:
        entry = load_markets(max_age_s=0).get(symbol)
    return entry


TRADES_ENDPOINT = "spot.my_trades"
TRADE_ID_PREFIX = "spot_trade:"  # native id of an API spot fill: spot_trade:<symbol>:<id>


def trade_market_of(item: Any) -> str | None:
    """The market of a stored API spot fill (a TransactionModel with its body), else None."""
    if item.source_ref != TRADES_ENDPOINT or item.source_kind != "api":
        return None
    body = item.body or {}
    native = str((body.get("source") or {}).get("native_id") or "")
    symbol = native.split(":")[1] if native.startswith(TRADE_ID_PREFIX) else None
    symbol = symbol or (body.get("meta") or {}).get("symbol")
    return str(symbol) if symbol else None


def stored_trade_markets(user_id: str, binance_uid: str) -> set[str]:
    """Symbols with at least one stored API spot fill for this account.

    One paged query over the account's transactions (the symbol is only in the stored body);
    Finish gets the same set from the pass it makes anyway (reconcile.stored_totals).
    """
    symbols: set[str] = set()
    for item in TransactionModel.by_account.query(
        account_key(user_id, binance_uid),
        filter_condition=(TransactionModel.source_ref == TRADES_ENDPOINT)
        & (TransactionModel.source_kind == "api"),
        attributes_to_get=["body", "source_ref", "source_kind"],
    ):
        symbol = trade_market_of(item)
        if symbol:
            symbols.add(symbol)
    return symbols
