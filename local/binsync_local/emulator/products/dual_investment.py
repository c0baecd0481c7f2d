"""Dual investment (spec §5.9.6): subscriptions listed by /sapi/v1/dci/product/positions and
settlements that only the statement shows.

A subscription moves `subscriptionAmount` of `investCoin` from spot into the product (earn). At
`settleDate` Binance pays back principal plus yield, either in `investCoin` (not exercised) or
converted at `strikePrice` into `exercisedCoin` (exercised). The positions endpoint never says
which: the settlement event here has statement rows and no API record, exactly the gap the
catalogue names (`statement_only`).
"""

from __future__ import annotations

import random
from decimal import Decimal
from typing import TYPE_CHECKING

from ..account import ApiRecord, LegT
from .common import DAY, HOUR, Ids, amount_of, at, window

if TYPE_CHECKING:
    from ..generator import Gen

# (optionType, investCoin, exercisedCoin): PUT buys the base low with USDT, CALL sells it high.
PAIRS = (("PUT", "USDT", "BNB"), ("CALL", "BNB", "USDT"), ("PUT", "USDT", "BTC"), ("CALL", "ETH", "USDT"))
E8 = Decimal("1E-8")


def _position(g: Gen, prices: dict[str, float], rng: random.Random, ids: Ids, t: int) -> None:
    option, invest, exercised = rng.choice(PAIRS)
    base = exercised if option == "PUT" else invest
    spot_price = prices.get(base, 300.0)
    strike = Decimal(repr(round(spot_price * (0.95 if option == "PUT" else 1.05), 2)))
    amount = amount_of(rng.uniform(100, 3000), prices.get(invest, 1.0) if invest != "USDT" else 1.0, 8)
    duration = rng.choice((1, 2, 4, 7, 14))
    settle = t - t % DAY + (duration + 1) * DAY + 8 * HOUR
    settled = settle <= g.now - HOUR
    apr = Decimal(rng.randint(100, 9000)) / 10_000
    pid = ids.next("position", 10_160_000, 5_000)
    raw = {
        "id": str(pid),
        "investCoin": invest,
        "exercisedCoin": exercised,
        "subscriptionAmount": f"{amount:.8f}",
        "strikePrice": f"{strike}",
        "duration": duration,
        "settleDate": settle,
        "purchaseStatus": "SETTLED" if settled else "PURCHASE_SUCCESS",
        "apr": f"{apr}",
        "orderId": ids.next("order", 7_973_000_000, 50_000),
        "purchaseEndTime": t,
        "optionType": option,
        "autoCompoundPlan": rng.choice(("NULL", "STANDARD", "ADVANCED")),
    }
    legs: list[LegT] = [(invest, -amount, "spot", "out"), (invest, amount, "earn", "in")]
    rec = ApiRecord("dual_investment.positions", f"dual_investment:{pid}", raw, t, legs=tuple(legs))
    g.add("transfer", t, legs, [rec], g.rows_of(t, legs, "Dual Investment Subscribe"))
    if not settled:
        return
    grown = (amount * (1 + apr * duration / 365)).quantize(E8)
    if rng.random() < 0.4:  # exercised: paid in the other coin at the strike
        paid_coin = exercised
        paid = (grown / strike if option == "PUT" else grown * strike).quantize(E8)
    else:
        paid_coin, paid = invest, grown
    out: list[LegT] = [(invest, -amount, "earn", "out"), (paid_coin, paid, "spot", "in")]
    g.add("trade", settle, out, [], g.rows_of(settle, out, "Dual Investment Settlement"),
          note="dual investment settlement: statement only")


def generate(g: Gen, prices: dict[str, float], rng: random.Random, volumes: dict[str, int]) -> None:
    ids = Ids(rng)
    lo, hi = window(g, 700)
    for _ in range(volumes["dual_positions"]):
        _position(g, prices, rng, ids, at(rng, lo, hi - 2 * DAY))
    # a failed purchase: listed, skipped by the normaliser, no balance change
    t = at(rng, lo, hi)
    pid = ids.next("position", 10_160_000, 5_000)
    g.noise.append(ApiRecord("dual_investment.positions", f"dual_investment:{pid}", {
        "id": str(pid), "investCoin": "USDT", "exercisedCoin": "BNB", "subscriptionAmount": "50.00000000",
        "strikePrice": "300", "duration": 4, "settleDate": t + 5 * DAY, "purchaseStatus": "PURCHASE_FAIL",
        "apr": "0.0365", "orderId": ids.next("order", 7_973_000_000, 50_000), "purchaseEndTime": t,
        "optionType": "PUT", "autoCompoundPlan": "NULL"}, t, completed=False))
