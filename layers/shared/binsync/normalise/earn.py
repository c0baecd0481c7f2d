"""Simple Earn (flexible and locked): subscriptions and redemptions move money between spot and
earn; rewards credit earn (flexible) or spot (locked), per docs/ledger.md.

Rewards rows carry no id (spec §5.9.1): their native keys are built from type, asset/position
and time as the ledger table says.
"""

from __future__ import annotations

from collections.abc import Callable

from binsync.model import Transaction

from .base import Row, RowContext, RowError, Skip, dstr, leg, require_status
from .derived_keys import ident_or_derived

COMPLETED = ("SUCCESS", "PAID")  # docs/ledger.md principle 5, earn/staking


def _move(prefix: str, id_field: str, source: str, target: str,
          label: str) -> Callable[[Row, RowContext], Transaction | Skip]:
    def normalise(row: Row, ctx: RowContext) -> Transaction | Skip:
        skip = require_status(row, "status", COMPLETED)
        if skip:
            return skip
        asset, amount = row.text("asset"), row.dec("amount", nonneg=True)
        legs = [leg(asset, -amount, source, "out"), leg(asset, amount, target, "in")]
        meta = {key: row.get(key) for key in ("productId", "projectId", "positionId", "type", "sourceAccount",
                                              "destAccount", "amtFromSpot", "amtFromFunding", "lockPeriod",
                                              "rewardAsset", "rewardAmt", "lossAmount", "originalAmount")}
        return ctx.tx(f"{prefix}:{row.ident(id_field)}", "transfer", legs, row.ms("time"), meta=meta,
                      description=f"{label} {dstr(amount)} {asset}")
    return normalise


def flexible_rewards(row: Row, ctx: RowContext) -> Transaction:
    reward_type = str(row.get("type") or ctx.param("type") or "")
    if not reward_type:
        raise RowError(row.name("type"), "missing in the row and in the request context")
    asset, rewards = row.text("asset"), row.dec("rewards", nonneg=True)
    time_ms = row.ms("time")
    meta = {"type": reward_type, "projectId": row.get("projectId"), "productId": row.get("productId")}
    return ctx.tx(f"earn_flex_reward:{reward_type}:{asset}:{time_ms}", "interest",
                  [leg(asset, rewards, "earn")], time_ms, meta=meta,
                  description=f"Simple Earn flexible {reward_type} reward {dstr(rewards)} {asset}")


def locked_rewards(row: Row, ctx: RowContext) -> Transaction:
    asset, amount = row.text("asset"), row.dec("amount", nonneg=True)
    time_ms, reward_type = row.ms("time"), row.get("type")
    position = row.ident("positionId")
    # `type` is absent in some recorded responses: the amount then tells rewards of one time apart.
    type_key = row.text("type") if reward_type is not None else ident_or_derived(row, "type", ("amount",))
    meta = {"type": reward_type, "positionId": position, "lockPeriod": row.get("lockPeriod")}
    return ctx.tx(f"earn_locked_reward:{position}:{time_ms}:{type_key}", "reward",
                  [leg(asset, amount, "spot")], time_ms, meta=meta,
                  description=f"Simple Earn locked {reward_type or 'reward'} {dstr(amount)} {asset}")


NORMALISERS = {
    "earn.flexible_subscriptions": _move("earn_flex_sub", "purchaseId", "spot", "earn",
                                         "Subscribe Simple Earn flexible"),
    "earn.flexible_redemptions": _move("earn_flex_red", "redeemId", "earn", "spot",
                                       "Redeem Simple Earn flexible"),
    "earn.flexible_rewards": flexible_rewards,
    "earn.locked_subscriptions": _move("earn_locked_sub", "purchaseId", "spot", "earn",
                                       "Subscribe Simple Earn locked"),
    "earn.locked_redemptions": _move("earn_locked_red", "redeemId", "earn", "spot",
                                     "Redeem Simple Earn locked"),
    "earn.locked_rewards": locked_rewards,
}
