"""Cloud-mining payments and refunds from spot (spec §5.11). Extra bonuses (`mining.other`) come
with the mining payments, in `Gen.mining`."""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

from ..account import ApiRecord
from .common import Ids, amount_of, at, window

if TYPE_CHECKING:
    from ..generator import Gen

def generate(g: Gen, prices: dict[str, float], rng: random.Random, volumes: dict[str, int]) -> None:
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
