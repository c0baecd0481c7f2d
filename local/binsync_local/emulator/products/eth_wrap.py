"""WBETH wrap/unwrap and BETH reward distributions (spec §5.9.3).

Wrapping swaps BETH for WBETH at the day's rate (unwrapping the reverse), in spot. BETH rewards
were paid out daily in BETH until BETH was replaced by WBETH (2023-04): +amount BETH in spot.
"""

from __future__ import annotations

import random
from decimal import Decimal
from typing import TYPE_CHECKING

from ..account import ApiRecord, LegT
from .common import DAY, amount_of, at, window

if TYPE_CHECKING:
    from ..generator import Gen

BETH_REWARDS_UNTIL = 1_680_307_200_000  # 2023-04-01: BETH rewards ended with the WBETH migration
BETH_REWARDS_FROM = 1_609_459_200_000  # 2021-01-01
E8 = Decimal("1E-8")


def _swap(g: Gen, rng: random.Random, price: float, t: int, wrap: bool) -> None:
    rate = Decimal(repr(round(rng.uniform(1.0, 1.06), 8)))
    amt = amount_of(rng.uniform(300, 4000), price)
    give, get = ("BETH", "WBETH") if wrap else ("WBETH", "BETH")
    received = (amt / rate if wrap else amt * rate).quantize(E8)
    name = "eth_wrap" if wrap else "eth_unwrap"
    raw = {
        "time": t,
        "fromAsset": give,
        "fromAmount": f"{amt:.8f}",
        "toAsset": get,
        "toAmount": f"{received:.8f}",
        "exchangeRate": f"{rate:.8f}",
        "status": "SUCCESS",
    }
    legs: list[LegT] = [(give, -amt, "spot", "out"), (get, received, "spot", "in")]
    rec = ApiRecord(f"staking.{name}", f"{name}:{t}:{amt:.8f}", raw, t, legs=tuple(legs))
    op = "BETH to WBETH Wrapping" if wrap else "WBETH to BETH Unwrapping"
    g.add("trade", t, legs, [rec], g.rows_of(t, legs, op))


def generate(g: Gen, prices: dict[str, float], rng: random.Random, volumes: dict[str, int]) -> None:
    price = prices.get("ETH", 2000.0)
    lo, hi = window(g, 900, not_before_ms=BETH_REWARDS_UNTIL - 30 * DAY)
    used: set[int] = set()
    for wrap, n in ((True, volumes["eth_wraps"]), (False, volumes["eth_unwraps"])):
        for _ in range(n):
            t = at(rng, lo, hi)
            if t not in used:
                used.add(t)
                _swap(g, rng, price, t, wrap)
    # a failed wrap: served, skipped by the normaliser, no event
    t = at(rng, lo, hi)
    g.noise.append(
        ApiRecord(
            "staking.eth_wrap",
            f"eth_wrap:{t}:0.50000000",
            {
                "time": t,
                "fromAsset": "BETH",
                "fromAmount": "0.50000000",
                "toAsset": "WBETH",
                "toAmount": "0.49000000",
                "exchangeRate": "1.02040816",
                "status": "FAILED",
            },
            t,
            completed=False,
        )
    )
    start = max(g.opened + 30 * DAY, BETH_REWARDS_FROM)
    end = min(BETH_REWARDS_UNTIL, g.now - DAY)
    holding = Decimal(rng.randint(5, 40)) / 10
    for d in range(volumes["beth_reward_days"]):
        t = start + d * DAY + 8 * 3_600_000
        if t > end:
            break
        amt = (holding * Decimal("0.045") / 365).quantize(E8)
        raw = {
            "time": t,
            "asset": "BETH",
            "holding": f"{holding:.8f}",
            "amount": f"{amt:.8f}",
            "annualPercentageRate": "0.045",
            "status": "SUCCESS",
        }
        legs: list[LegT] = [("BETH", amt, "spot", "in")]
        rec = ApiRecord("staking.beth_rewards", f"beth_reward:{t}:BETH", raw, t, legs=tuple(legs))
        g.add("reward", t, legs, [rec], g.rows_of(t, legs, "ETH 2.0 Staking Rewards"))
