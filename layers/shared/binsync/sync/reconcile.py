"""Reconcile reconstructed spot balances against /api/v3/account (DESIGN.md §3.5).

The sum of every stored leg in the spot wallet, per asset, is the balance the history explains.
It equals the live balance only when every product that moves the spot wallet was synced (and
the statement filled what lies beyond the API), so differences are reported, never fatal: they
point at what is missing (an unsynced product, a delisted market, dust older than 100 records).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, localcontext
from typing import Any

from binsync.model import format_decimal
from binsync.storage.models import TransactionModel, account_key
from binsync.sync.markets import trade_market_of

MAX_LISTED = 100


@dataclass
class StoredTotals:
    """What one pass over an account's stored transactions tells Finish."""

    balances: dict[str, Decimal] = field(default_factory=dict)  # per asset, one wallet
    trade_markets: set[str] = field(default_factory=set)  # markets with a stored API fill


# Exact sums of any stored amounts (the default context keeps 28 digits; amounts carry up to 18
# decimals on values of up to 12 digits).
SUM_PRECISION = 80


def stored_totals(user_id: str, binance_uid: str, wallet: str = "spot") -> StoredTotals:
    """Balances and traded markets in a single query: reading a large history twice is the
    slowest part of Finish."""
    balances: dict[str, Decimal] = defaultdict(Decimal)
    markets: set[str] = set()
    with localcontext() as ctx:
        ctx.prec = SUM_PRECISION
        for item in TransactionModel.by_account.query(account_key(user_id, binance_uid), attributes_to_get=[
                "body", "source_ref", "source_kind"]):
            for leg in (item.body or {}).get("legs", []):
                if leg.get("wallet", "spot") == wallet:
                    balances[leg["asset"]] += Decimal(str(leg["amount"]))
            symbol = trade_market_of(item)
            if symbol:
                markets.add(symbol)
    return StoredTotals(dict(balances), markets)


def compare(stored: dict[str, Decimal], live: dict[str, Decimal]) -> dict[str, Any]:
    differences = []
    matched = 0
    for asset in sorted(set(stored) | set(live)):
        ours, theirs = stored.get(asset, Decimal(0)), live.get(asset, Decimal(0))
        if ours == theirs:
            matched += 1
            continue
        differences.append({"asset": asset, "stored": format_decimal(ours),
                            "binance": format_decimal(theirs), "difference": format_decimal(theirs - ours)})
    return {"wallet": "spot", "assets": matched + len(differences), "matched": matched,
            "differences": differences[:MAX_LISTED], "differences_total": len(differences),
            "balanced": not differences}


def reconcile_spot(user_id: str, binance_uid: str, live: dict[str, Decimal], *,
                   totals: StoredTotals | None = None) -> dict[str, Any]:
    report = compare((totals or stored_totals(user_id, binance_uid)).balances, live)
    if not report["balanced"]:
        report["note"] = ("differences come from products not synced through the API or history the "
                          "API cannot return; upload the account statement to fill them")
    return report
