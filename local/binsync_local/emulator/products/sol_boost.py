"""SOL staking boost rewards (spec §5.9.4): airdrops to BNSOL holders, claimed (CLAIM) or
distributed (DISTRIBUTE), credited in spot. The endpoint's documented example has its time in
seconds; the emulator renders seconds too, so readers must accept both."""

from __future__ import annotations

import random
from decimal import Decimal
from typing import TYPE_CHECKING

from ..account import ApiRecord, LegT
from .common import at, window

if TYPE_CHECKING:
    from ..generator import Gen

TOKENS = ("SOL", "JTO", "JUP", "BNSOL")


def generate(g: Gen, prices: dict[str, float], rng: random.Random, volumes: dict[str, int]) -> None:
    lo, hi = window(g, 600)
    used: set[tuple[str, int, str]] = set()
    for _ in range(volumes["sol_boosts"]):
        typ, token, t = rng.choice(("CLAIM", "DISTRIBUTE")), rng.choice(TOKENS), at(rng, lo, hi)
        if (typ, t, token) in used:
            continue
        used.add((typ, t, token))
        amt = Decimal(rng.randint(10_000, 5_000_000)).scaleb(-8)
        raw = {
            "time": t // 1000,
            "token": token,
            "amount": f"{amt:.8f}",
            "bnsolHolding": f"{Decimal(rng.randint(10, 900)) / 100:.8f}",
            "status": "SUCCESS",
        }
        legs: list[LegT] = [(token, amt, "spot", "in")]
        rec = ApiRecord(
            "staking.sol_boost_rewards", f"sol_boost:{typ}:{t}:{token}", raw, t, (typ,), legs=tuple(legs)
        )
        g.add("reward", t, legs, [rec], g.rows_of(t, legs, "SOL Staking Rewards"))
