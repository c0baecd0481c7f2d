"""BFUSD and RWUSD daily rewards, On-chain Yields locked positions and Soft Staking rewards
(spec §5.9.1 "Related yield products"). Rewards are credited in spot; on-chain yields principal
moves spot -> earn at subscription and back at redemption (or stays locked, for open positions)."""

from __future__ import annotations

import random
from decimal import Decimal
from typing import TYPE_CHECKING

from ..account import ApiRecord, LegT
from .common import DAY, HOUR, Ids, amount_of, at, window

if TYPE_CHECKING:
    from ..generator import Gen

E8 = Decimal("1E-8")


def _daily(g: Gen, days: int, offset_ms: int) -> list[int]:
    start = g.now - days * DAY
    start -= start % DAY
    return [
        t for d in range(days) if g.opened + 30 * DAY <= (t := start + d * DAY + offset_ms) <= g.now - HOUR
    ]


def _stable_rewards(g: Gen, rng: random.Random, days: int, asset: str, offset_ms: int) -> None:
    position = Decimal(rng.randint(200, 20_000))
    name, prefix, pos_key = (
        ("earn.bfusd_rewards", "bfusd_reward", "BFUSDPosition")
        if asset == "BFUSD"
        else ("earn.rwusd_rewards", "rwusd_reward", "rwusdPosition")
    )
    for t in _daily(g, days, offset_ms):
        amt = (position * Decimal("0.0418") / 365).quantize(E8)
        raw: dict = {
            "time": t,
            "rewardsAmount": f"{amt:.8f}",
            pos_key: f"{position:.8f}",
            "annualPercentageRate": "0.0418",
        }
        if asset == "BFUSD":
            raw = {"time": t, "rewardAsset": "BFUSD", **{k: v for k, v in raw.items() if k != "time"}}
        legs: list[LegT] = [(asset, amt, "spot", "in")]
        g.add(
            "reward",
            t,
            legs,
            [ApiRecord(name, f"{prefix}:{t}", raw, t, legs=tuple(legs))],
            g.rows_of(t, legs, f"{asset} Rewards"),
        )


def _onchain(g: Gen, prices: dict[str, float], rng: random.Random, ids: Ids, reward_days: int) -> None:
    asset = rng.choice(("BNB", "ETH", "SOL"))
    lo, hi = window(g, 500)
    t0 = at(rng, lo, max(lo, hi - (reward_days + 5) * DAY))
    amt = amount_of(rng.uniform(300, 3000), prices.get(asset, 300.0))
    position, purchase = ids.next("onchain_position", 4_000_000), ids.next("onchain_purchase", 26_000)
    lock = rng.choice((30, 60, 90))
    raw = {
        "positionId": position,
        "purchaseId": str(purchase),
        "projectId": f"{asset}*{lock}",
        "time": t0,
        "asset": asset,
        "amount": f"{amt:.8f}",
        "lockPeriod": str(lock),
        "type": "NORMAL",
        "sourceAccount": "SPOT",
        "amtFromSpot": f"{amt:.8f}",
        "amtFromFunding": "0",
        "status": "SUCCESS",
    }
    legs: list[LegT] = [(asset, -amt, "spot", "out"), (asset, amt, "earn", "in")]
    g.add(
        "transfer",
        t0,
        legs,
        [ApiRecord("onchain.subscriptions", f"onchain_sub:{purchase}", raw, t0, legs=tuple(legs))],
        g.rows_of(t0, legs, "On-chain Yields Locked Subscription"),
    )
    last = t0
    for d in range(1, reward_days + 1):
        t = t0 + d * DAY
        if t > g.now - HOUR:
            break
        last = t
        reward = (amt * Decimal("0.05") / 365).quantize(E8)
        rraw = {
            "positionId": str(position),
            "time": t,
            "asset": asset,
            "lockPeriod": str(lock),
            "amount": f"{reward:.8f}",
        }
        rlegs: list[LegT] = [(asset, reward, "spot", "in")]
        g.add(
            "reward",
            t,
            rlegs,
            [ApiRecord("onchain.rewards", f"onchain_reward:{position}:{t}", rraw, t, legs=tuple(rlegs))],
            g.rows_of(t, rlegs, "On-chain Yields Locked Rewards"),
        )
    t2 = last + HOUR
    if t2 < g.now - HOUR:
        redeem = ids.next("onchain_redeem", 40_000)
        raw = {
            "positionId": position,
            "redeemId": redeem,
            "time": t2,
            "asset": asset,
            "lockPeriod": str(lock),
            "amount": f"{amt:.8f}",
            "originalAmount": f"{amt:.8f}",
            "type": "MATURE",
            "deliverDate": t2,
            "status": "PAID",
        }
        legs = [(asset, -amt, "earn", "out"), (asset, amt, "spot", "in")]
        g.add(
            "transfer",
            t2,
            legs,
            [ApiRecord("onchain.redemptions", f"onchain_red:{redeem}", raw, t2, legs=tuple(legs))],
            g.rows_of(t2, legs, "On-chain Yields Locked Redemption"),
        )


def _soft_staking(g: Gen, rng: random.Random, days: int) -> None:
    holdings = {"BNB": Decimal(rng.randint(100, 2000)) / 100, "SUI": Decimal(rng.randint(50, 900))}
    for t in _daily(g, days, 3 * HOUR + 17_000):
        for asset, avg in holdings.items():
            reward = (avg * Decimal("0.0095") / 365).quantize(E8)
            raw = {
                "asset": asset,
                "rewards": f"{reward:.8f}",
                "rewardAsset": asset,
                "avgAmount": f"{avg:.8f}",
                "time": t,
            }
            legs: list[LegT] = [(asset, reward, "spot", "in")]
            g.add(
                "reward",
                t,
                legs,
                [ApiRecord("soft_staking.rewards", f"soft_staking:{asset}:{t}", raw, t, legs=tuple(legs))],
                g.rows_of(t, legs, "Soft Staking Rewards"),
            )


def generate(g: Gen, prices: dict[str, float], rng: random.Random, volumes: dict[str, int]) -> None:
    ids = Ids(rng)
    _stable_rewards(g, rng, volumes["bfusd_days"], "BFUSD", 2 * HOUR)
    _stable_rewards(g, rng, volumes["rwusd_days"], "RWUSD", 2 * HOUR + 30_000)
    for _ in range(volumes["onchain_positions"]):
        _onchain(g, prices, rng, ids, volumes["onchain_reward_days"])
    _soft_staking(g, rng, volumes["soft_staking_days"])
