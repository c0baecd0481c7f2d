"""Auto-Invest index-linked plan rebalances (spec §5.9.5): each sells some index assets and buys
others, in spot where the plan's purchases land, and pays a fee. Redemptions of index-linked
plans are not generated: their history needs the requestId of the user's own redeem call, which
no endpoint lists (the catalogue names the gap)."""

from __future__ import annotations

import random
from decimal import Decimal
from typing import TYPE_CHECKING

from ..account import ApiRecord, LegT
from .common import Ids, amount_of, at, window

if TYPE_CHECKING:
    from ..generator import Gen

INDEX = (1, "BINANCE TOP 10 EW")
ASSETS = ("BTC", "ETH", "BNB", "SOL", "XRP", "ADA")


def generate(g: Gen, prices: dict[str, float], rng: random.Random, volumes: dict[str, int]) -> None:
    ids = Ids(rng)
    lo, hi = window(g, 600)
    for _ in range(volumes["rebalances"]):
        t = at(rng, lo, hi)
        sold, bought = rng.sample(ASSETS, 2)
        usd = rng.uniform(20, 400)
        details, legs = [], []
        for asset, direction in ((sold, "SELL"), (bought, "BUY")):
            amount = amount_of(usd, prices.get(asset, 1.0))
            details.append({"asset": asset, "transactionDateTime": t, "rebalanceDirection": direction,
                            "rebalanceAmount": f"{amount:.8f}"})
            legs.append((asset, amount if direction == "BUY" else -amount, "spot",
                         "in" if direction == "BUY" else "out"))
        fee = Decimal(rng.randint(1, 50)).scaleb(-2)
        legs.append(("USDT", -fee, "spot", "fee"))
        rid = ids.next("rebalance", 11, 20)
        raw = {"indexId": INDEX[0], "indexName": INDEX[1], "rebalanceId": rid, "status": "SUCCESS",
               "rebalanceFee": f"{fee}", "rebalanceFeeUnit": "USDT", "transactionDetails": details}
        typed: list[LegT] = legs
        rec = ApiRecord("auto_invest.rebalance", f"auto_invest_rebalance:{rid}", raw, t, legs=tuple(typed))
        rows = g.net_rows(t, typed[:2], "Auto-Invest Transaction")
        rows += g.rows_of(t, typed[2:], "Auto-Invest Rebalance Fee")
        g.add("trade", t, typed, [rec], rows)
