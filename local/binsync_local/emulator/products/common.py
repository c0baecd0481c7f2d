"""Helpers shared by the product builders (times and ids drawn from the family's own stream)."""

from __future__ import annotations

import random
from decimal import ROUND_DOWN, Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..generator import Gen

DAY = 86_400_000
HOUR = 3_600_000


def window(g: Gen, days_back: int, not_before_ms: int = 0) -> tuple[int, int]:
    """[lo, hi] for events: after the account opened (+30 days) and not older than `days_back`."""
    lo = max(g.opened + 30 * DAY, g.now - days_back * DAY, not_before_ms)
    return lo, max(lo, g.now - 2 * HOUR)


def at(rng: random.Random, lo: int, hi: int) -> int:
    t = rng.randint(lo, max(lo, hi))
    return t - t % 1000  # whole seconds: the statement's resolution, so both sources meet


def amount_of(usd: float, price: float, dp: int = 8) -> Decimal:
    q = Decimal(repr(usd / price)).quantize(Decimal(1).scaleb(-dp), ROUND_DOWN)
    return q if q > 0 else Decimal(1).scaleb(-dp)


class Ids:
    """Increasing ids per name, each family with its own counters."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.last: dict[str, int] = {}

    def next(self, name: str, start: int, step_max: int = 1000) -> int:
        self.last[name] = self.last.get(name, start) + self.rng.randint(1, step_max)
        return self.last[name]
