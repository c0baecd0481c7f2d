"""BFUSD and RWUSD rewards, On-chain Yields (locked) and Soft Staking (spec §5.9.1, related yield
products).

- BFUSD / RWUSD rewards: the daily reward credited in spot (`rewardAsset`, BFUSD when absent; RWUSD
  rows name no asset: RWUSD). Keyed by time (one reward per day and product).
- On-chain Yields locked: subscriptions move spot -> earn, redemptions earn -> spot (like Simple
  Earn locked), rewards credit spot. Rewards are keyed by (positionId, time).
- Soft Staking: the assets never leave spot; rewards credit `rewardAsset` (the staked asset when
  absent) in spot, keyed by (asset, time).
"""

from __future__ import annotations

from collections.abc import Callable

from binsync.model import Transaction

from .base import Row, RowContext, Skip, dstr, leg, require_status

COMPLETED = ("SUCCESS", "PAID")


def _stable_rewards(prefix: str, default_asset: str, label: str) -> Callable[[Row, RowContext], Transaction]:
    def normalise(row: Row, ctx: RowContext) -> Transaction:
        time_ms = row.ms("time")
        asset, amount = row.text("rewardAsset", default=default_asset), row.dec("rewardsAmount", nonneg=True)
        meta = {k: row.get(k) for k in ("BFUSDPosition", "rwusdPosition", "annualPercentageRate")}
        return ctx.tx(f"{prefix}:{time_ms}", "reward", [leg(asset, amount, "spot")], time_ms, meta=meta,
                      description=f"{label} reward {dstr(amount)} {asset}")
    return normalise


def _locked_move(prefix: str, id_field: str, source: str, target: str,
                 label: str) -> Callable[[Row, RowContext], Transaction | Skip]:
    def normalise(row: Row, ctx: RowContext) -> Transaction | Skip:
        skip = require_status(row, "status", COMPLETED)
        if skip:
            return skip
        asset, amount = row.text("asset"), row.dec("amount", nonneg=True)
        meta = {k: row.get(k) for k in ("positionId", "projectId", "lockPeriod", "type", "sourceAccount",
                                        "amtFromSpot", "amtFromFunding", "deliverDate", "originalAmount")}
        return ctx.tx(f"{prefix}:{row.ident(id_field)}", "transfer",
                      [leg(asset, -amount, source, "out"), leg(asset, amount, target, "in")], row.ms("time"),
                      meta=meta, description=f"{label} {dstr(amount)} {asset}")
    return normalise


def onchain_rewards(row: Row, ctx: RowContext) -> Transaction:
    time_ms = row.ms("time")
    asset, amount = row.text("asset"), row.dec("amount", nonneg=True)
    position = row.ident("positionId")
    return ctx.tx(f"onchain_reward:{position}:{time_ms}", "reward", [leg(asset, amount, "spot")], time_ms,
                  meta={"positionId": position, "lockPeriod": row.get("lockPeriod")},
                  description=f"On-chain Yields reward {dstr(amount)} {asset}")


def soft_staking_rewards(row: Row, ctx: RowContext) -> Transaction:
    time_ms = row.ms("time")
    asset = row.text("asset")
    reward_asset, amount = row.text("rewardAsset", default=asset), row.dec("rewards", nonneg=True)
    return ctx.tx(f"soft_staking:{asset}:{time_ms}", "reward", [leg(reward_asset, amount, "spot")], time_ms,
                  meta={"asset": asset, "avgAmount": row.get("avgAmount")},
                  description=f"Soft Staking reward {dstr(amount)} {reward_asset} on {asset}")


NORMALISERS = {
    "earn.bfusd_rewards": _stable_rewards("bfusd_reward", "BFUSD", "BFUSD"),
    "earn.rwusd_rewards": _stable_rewards("rwusd_reward", "RWUSD", "RWUSD"),
    "onchain.subscriptions": _locked_move("onchain_sub", "purchaseId", "spot", "earn",
                                          "Subscribe On-chain Yields"),
    "onchain.redemptions": _locked_move("onchain_red", "redeemId", "earn", "spot", "Redeem On-chain Yields"),
    "onchain.rewards": onchain_rewards,
    "soft_staking.rewards": soft_staking_rewards,
}
