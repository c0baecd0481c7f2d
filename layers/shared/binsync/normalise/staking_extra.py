"""WBETH wrap/unwrap, BETH reward distributions and SOL boost rewards (spec §5.9.3-§5.9.4).

Wrapping swaps BETH for WBETH in spot (unwrapping the reverse): kind trade, keyed like the other
ETH-staking histories by (time, fromAmount as rendered). BETH rewards were paid out (unlike WBETH
rewards, which accrue in the token's rate and are detail in `staking.py`): +amount of the row's
asset in spot. SOL boost rewards are airdrops claimed or distributed to BNSOL holders: +amount of
`token` in spot, one variant per `type` (CLAIM, DISTRIBUTE).
"""

from __future__ import annotations

from collections.abc import Callable

from binsync.model import Transaction

from .base import Row, RowContext, RowError, Skip, dstr, leg, require_status


def _wrap(prefix: str, label: str) -> Callable[[Row, RowContext], Transaction | Skip]:
    def normalise(row: Row, ctx: RowContext) -> Transaction | Skip:
        skip = require_status(row, "status", ("SUCCESS",))
        if skip:
            return skip
        time_ms = row.ms("time")
        give, amount = row.text("fromAsset"), row.dec("fromAmount", nonneg=True)
        get, received = row.text("toAsset"), row.dec("toAmount", nonneg=True)
        legs = [leg(give, -amount, "spot", "out"), leg(get, received, "spot", "in")]
        return ctx.tx(f"{prefix}:{time_ms}:{row.key_text('fromAmount')}", "trade", legs, time_ms,
                      meta={"exchangeRate": row.get("exchangeRate")},
                      description=f"{label} {dstr(amount)} {give} -> {dstr(received)} {get}")
    return normalise


def beth_rewards(row: Row, ctx: RowContext) -> Transaction | Skip:
    if row.has("status"):
        skip = require_status(row, "status", ("SUCCESS",))
        if skip:
            return skip
    time_ms = row.ms("time")
    asset, amount = row.text("asset"), row.dec("amount", nonneg=True)
    meta = {"holding": row.get("holding"), "annualPercentageRate": row.get("annualPercentageRate")}
    return ctx.tx(f"beth_reward:{time_ms}:{asset}", "reward", [leg(asset, amount, "spot")], time_ms,
                  meta=meta,
                  description=f"ETH staking reward {dstr(amount)} {asset}")


def sol_boost_rewards(row: Row, ctx: RowContext) -> Transaction | Skip:
    if row.has("status"):
        skip = require_status(row, "status", ("SUCCESS",))
        if skip:
            return skip
    reward_type = str(row.get("type") or ctx.param("type") or "")
    if not reward_type:
        raise RowError(row.name("type"), "missing in the row and in the request context")
    time_ms = row.ms("time")
    token, amount = row.text("token"), row.dec("amount", nonneg=True)
    meta = {"type": reward_type, "bnsolHolding": row.get("bnsolHolding")}
    return ctx.tx(f"sol_boost:{reward_type}:{time_ms}:{token}", "reward", [leg(token, amount, "spot")],
                  time_ms,
                  meta=meta,
                  description=f"SOL staking boost reward ({reward_type}) {dstr(amount)} {token}")


NORMALISERS = {
    "staking.eth_wrap": _wrap("eth_wrap", "Wrap"),
    "staking.eth_unwrap": _wrap("eth_unwrap", "Unwrap"),
    "staking.beth_rewards": beth_rewards,
    "staking.sol_boost_rewards": sol_boost_rewards,
}
