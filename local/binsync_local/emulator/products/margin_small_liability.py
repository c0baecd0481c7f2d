"""Margin small-liability exchange (spec §5.5.8): a tiny cross-margin debt (often accrued
interest) of one coin paid with another coin of the cross-margin wallet. The debt is not a wallet
balance in the ledger, so the event is one leg: -targetAmount targetAsset (margin_cross)."""

from __future__ import annotations

import random
from decimal import Decimal
from typing import TYPE_CHECKING

from ..account import ApiRecord, LegT
from .common import amount_of, at, window

if TYPE_CHECKING:
    from ..generator import Gen

DEBTS = ("ETH", "BTC", "DOT", "ADA", "XRP")


def generate(g: Gen, prices: dict[str, float], rng: random.Random, volumes: dict[str, int]) -> None:
    lo, hi = window(g, 720)
    used: set[tuple[int, str]] = set()
    for _ in range(volumes["small_liability"]):
        t, asset = at(rng, lo, hi), rng.choice([a for a in DEBTS if a in prices] or ["ETH"])
        if (t, asset) in used:  # the native key is (timestamp, asset)
            continue
        used.add((t, asset))
        usd = rng.uniform(0.2, 4.5)
        debt = amount_of(usd, prices[asset])
        paid = amount_of(usd * rng.uniform(1.0, 1.01), 1.0)
        target = "USDT"
        raw = {
            "asset": asset,
            "amount": f"{debt:.8f}",
            "targetAsset": target,
            "targetAmount": f"{paid:.8f}",
            "bizType": "EXCHANGE_SMALL_LIABILITY",
            "timestamp": t,
        }
        legs: list[LegT] = [(target, -paid, "margin_cross", "out")]
        rec = ApiRecord("margin.small_liability", f"small_liability:{t}:{asset}", raw, t, legs=tuple(legs))
        g.add(
            "repay",
            t,
            legs,
            [rec],
            g.rows_of(t, legs, "Cross Margin Small Liability Exchange"),
            note=f"small liability {Decimal(debt)} {asset}",
        )
