"""Generators of the product families added for issue 14, one module per family (the shape of
`binsync.normalise`). Each builder adds complete events to a `Gen`: the ledger legs, the raw API
records Binance returns for them and the statement rows, so the three cannot disagree.

Every family draws from its own random stream (seeded by profile, seed and family), never from
`Gen.rng`: adding a family leaves every other family's data unchanged. Builders run before the
generator's funding pass, which then makes every balance they spend exist beforehand.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

from . import (
    auto_invest_rebalance,
    crypto_loans,
    dual_investment,
    eth_wrap,
    margin_small_liability,
    mining_extra,
    sol_boost,
    sub_accounts,
    travel_rule,
    yields,
)

if TYPE_CHECKING:
    from ..generator import Gen

# The endpoints these families serve that a default sync plans and the ledger their loan details belong to.
SYNCED_ENDPOINTS: tuple[str, ...] = (
    "loans.flexible_borrow", "loans.flexible_repay", "loans.flexible_ltv", "loans.flexible_liquidation",
    "loans.stable_borrow", "loans.stable_repay", "loans.stable_ltv", "loans.vip_repay",
    "loans.vip_accrued_interest",
    "margin.small_liability", "staking.eth_wrap", "staking.eth_unwrap", "staking.beth_rewards",
    "staking.sol_boost_rewards", "earn.bfusd_rewards", "earn.rwusd_rewards", "onchain.subscriptions",
    "onchain.redemptions", "onchain.rewards", "soft_staking.rewards", "mining.cloud_mining",
    "wallet.travel_rule_deposits", "dual_investment.positions", "auto_invest.rebalance",
    "sub_account.spot_transfers", "sub_account.universal_transfers", "sub_account.futures_transfers",
)
FAMILIES = (crypto_loans, margin_small_liability, eth_wrap, sol_boost, yields, mining_extra, travel_rule,
            dual_investment, auto_invest_rebalance)
# Families that only add to balances (never below what they were): they run after the funding
# pass, so the funding deposits, and every other family's records, stay as they were.
AFTER_FUNDING = (sub_accounts,)

# Counts per profile; `heavy` is five times `reference` except day-based series (bounded by time).
VOLUMES: dict[str, dict[str, int]] = {
    "small": dict(
        flexible_loans=1,
        flexible_liquidations=1,
        stable_loans=1,
        vip_loans=1,
        small_liability=2,
        eth_wraps=2,
        eth_unwraps=1,
        beth_reward_days=5,
        sol_boosts=3,
        bfusd_days=10,
        rwusd_days=5,
        onchain_positions=1,
        onchain_reward_days=5,
        soft_staking_days=8,
        cloud_mining=3,
        dual_positions=4,
        rebalances=3,
        sub_accounts=2,
        sub_rounds=2,
        sub_between=1,
        sub_futures_rounds=2,
        sub_futures_between=1,
    ),
    "reference": dict(
        flexible_loans=4,
        flexible_liquidations=1,
        stable_loans=3,
        vip_loans=2,
        small_liability=20,
        eth_wraps=6,
        eth_unwraps=3,
        beth_reward_days=120,
        sol_boosts=20,
        bfusd_days=200,
        rwusd_days=60,
        onchain_positions=4,
        onchain_reward_days=30,
        soft_staking_days=150,
        cloud_mining=12,
        dual_positions=30,
        rebalances=24,
        sub_accounts=3,
        sub_rounds=8,
        sub_between=4,
        sub_futures_rounds=4,
        sub_futures_between=2,
    ),
}
_DAY_BASED = {"beth_reward_days", "bfusd_days", "rwusd_days", "onchain_reward_days", "soft_staking_days"}
VOLUMES["heavy"] = {k: v if k in _DAY_BASED else v * 5 for k, v in VOLUMES["reference"].items()}
# Each sub-account costs two variants per transfer history over the whole window (7-day windows
# for the universal one): heavy has more transfers, not more sub-accounts.
VOLUMES["heavy"]["sub_accounts"] = VOLUMES["reference"]["sub_accounts"]


def family_rng(g: Gen, seed: int, family: str) -> random.Random:
    return random.Random(f"binsync-emulator:{g.profile}:{seed}:{family}")


def generate_all(g: Gen, prices: dict[str, float], seed: int) -> None:
    volumes = VOLUMES[g.profile]
    for module in FAMILIES:
        module.generate(g, prices, family_rng(g, seed, module.__name__.rsplit(".", 1)[-1]), volumes)


def generate_after_funding(g: Gen, prices: dict[str, float], seed: int) -> None:
    volumes = VOLUMES[g.profile]
    for module in AFTER_FUNDING:
        module.generate(g, prices, family_rng(g, seed, module.__name__.rsplit(".", 1)[-1]), volumes)
    # its own stream: adding the futures history left the spot and universal ones unchanged
    sub_accounts.generate_futures(g, prices, family_rng(g, seed, "sub_accounts_futures"), volumes)
    g.events.sort(key=lambda e: e.time_ms)
