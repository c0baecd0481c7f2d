"""ETH (WBETH) and SOL (BNSOL) liquid staking.

Staking and redemption swap the coin for its liquid token (kind trade); rewards accrue inside the
token's exchange rate and move no balance, so reward rows are detail (docs/ledger.md). History
rows have no id: the native key is (time, amount), the amount as the response renders it.
"""

from __future__ import annotations

from collections.abc import Callable

from binsync.model import Transaction

from .base import Row, RowContext, Skip, dstr, leg, require_status


def _swap(prefix: str, give: str, get: str, label: str) -> Callable[[Row, RowContext], Transaction | Skip]:
    def normalise(row: Row, ctx: RowContext) -> Transaction | Skip:
        skip = require_status(row, "status", ("SUCCESS", "PAID"))
        if skip:
            return skip
        # The endpoint fixes the pair; rows normally repeat it.
        asset, target = row.text("asset", default=give), row.text("distributeAsset", default=get)
        amount, received = row.dec("amount", nonneg=True), row.dec("distributeAmount", nonneg=True)
        time_ms = row.ms("time")
        legs = [leg(asset, -amount, "spot", "out"), leg(target, received, "spot", "in")]
        meta = {"conversionRatio": row.get("conversionRatio") or row.get("exchangeRate"),
                "arrivalTime": row.get("arrivalTime"), "purchaseId": row.get("purchaseId"),
                "redeemId": row.get("redeemId")}
        return ctx.tx(f"{prefix}:{time_ms}:{row.key_text('amount')}", "trade", legs, time_ms, meta=meta,
                      description=f"{label} {dstr(amount)} {asset} -> {dstr(received)} {target}")
    return normalise


def _rewards(prefix: str, coin: str, ledger_endpoint: str) -> Callable[[Row, RowContext], Transaction]:
    def normalise(row: Row, ctx: RowContext) -> Transaction:
        time_ms = row.ms("time")
        amount = row.get(f"amountIn{coin}")
        meta = {f"amountIn{coin}": amount, "holding": row.get("holding"),
                f"holdingIn{coin}": row.get(f"holdingIn{coin}"),
                "annualPercentageRate": row.get("annualPercentageRate")}
        return ctx.tx(f"{prefix}:{time_ms}", "reward", [], time_ms, meta=meta, detail_of=ledger_endpoint,
                      description=f"Staking reward accrued {amount} {coin} (in the token's rate)")
    return normalise


NORMALISERS = {
    "staking.eth_stake": _swap("eth_stake", "ETH", "WBETH", "Stake"),
    "staking.eth_redeem": _swap("eth_redeem", "WBETH", "ETH", "Redeem"),
    # The accrued value is realised when the token is redeemed.
    "staking.wbeth_rewards": _rewards("wbeth_reward", "ETH", "staking.eth_redeem"),
    "staking.sol_stake": _swap("sol_stake", "SOL", "BNSOL", "Stake"),
    "staking.sol_redeem": _swap("sol_redeem", "BNSOL", "SOL", "Redeem"),
    "staking.bnsol_rewards": _rewards("bnsol_reward", "SOL", "staking.sol_redeem"),
}
