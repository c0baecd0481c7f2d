"""Mining extra bonuses (merged mining, activity bonus, smart pool...) into the mining wallet and
cloud-mining payments and refunds from spot (spec §5.11)."""

from __future__ import annotations

import random
from decimal import Decimal
from typing import TYPE_CHECKING

from ..account import ApiRecord, LegT
from .common import DAY, Ids, amount_of, at, window

if TYPE_CHECKING:
    from ..generator import Gen

BONUS_TYPES = (1, 2, 3, 4, 6, 7)


def generate(g: Gen, prices: dict[str, float], rng: random.Random, volumes: dict[str, int]) -> None:
    lo, hi = window(g, 400)
    day0 = lo - lo % DAY
    for i in range(volumes["extra_bonus"]):
        t = day0 + (2 * i + 1) * DAY
        if t >= g.now - DAY:
            break
        typ = rng.choice(BONUS_TYPES)
        profit = Decimal(rng.randint(1_000, 90_000)).scaleb(-8)
        raw = {"time": t, "coinName": "BTC", "type": typ, "profitAmount": profit, "status": 2}
        legs: list[LegT] = [("BTC", profit, "mining", "in")]
        rec = ApiRecord("mining.extra_bonus", f"mining_other:BTC:{t}:{typ}", raw, t, legs=tuple(legs))
        g.add("mining", t, legs, [rec], g.rows_of(t, legs, "Mining Distribution"))
    ids = Ids(rng)
    lo, hi = window(g, 700)
    for i in range(volumes["cloud_mining"]):
        t = at(rng, lo, hi)
        refund = i % 3 == 2
        amt = amount_of(rng.uniform(0.01, 2) if refund else rng.uniform(20, 300), 1.0, 4)
        tran = ids.next("cloud_tran", 119_000_000_000, 10**7)
        raw = {
            "createTime": t,
            "tranId": tran,
            "type": 249 if refund else 248,
            "asset": "USDT",
            "amount": str(amt),
            "status": "S",
        }
        legs = [("USDT", amt if refund else -amt, "spot", "in" if refund else "out")]
        rec = ApiRecord("mining.cloud_mining", f"cloud_mining:{tran}", raw, t, legs=tuple(legs))
        g.add(
            "pay",
            t,
            legs,
            [rec],
            g.rows_of(t, legs, "Cloud Mining Refund" if refund else "Cloud Mining Payment"),
        )
