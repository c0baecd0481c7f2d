"""Deterministic account generator: `generate_account(profile, seed, now_ms)`.

The account is built family by family (spot fills, deposits, futures, earn...), each builder
creating the economic event, its legs (docs/ledger.md), its raw API records and its statement
rows in one place, so the three can never disagree. A final funding pass makes every balance
plausible: wherever a wallet would go negative, money arrives first (crypto deposits or fiat
orders into spot at account opening, transfers from spot shortly before other wallets are used).

Each family's builders live in their own module (`families/`: fills, wallet, p2p, margin,
futures, earn, funding; the issue-14 products in `products/`); `Gen` is their union, drawing from
one random stream in the order `generate_account` calls them.
"""

from __future__ import annotations

import hashlib
import random

from .account import Account, ApiKey
from .families.base import (  # re-exported: the generator's public names
    DAY,
    E2,
    E8,
    HOUR,
    PAYOUT,
    PROFILES,
    GenBase,
    _ms,
    fmt_utc,
    plain,
    s8,
)
from .families.earn import EarnMixin
from .families.fills import FillsMixin
from .families.funding import FundingMixin
from .families.futures import FuturesMixin
from .families.margin import MarginMixin
from .families.p2p import P2pMixin
from .families.wallet import WalletMixin
from .products import generate_after_funding
from .products import generate_all as generate_products
from .universe import build_universe

__all__ = ["DAY", "E2", "E8", "HOUR", "PAYOUT", "PROFILES", "Gen", "GenBase", "_ms", "fmt_utc",
           "generate_account", "plain", "s8"]


class Gen(FillsMixin, WalletMixin, P2pMixin, MarginMixin, FuturesMixin, EarnMixin, FundingMixin):
    """The account being built: every family's builders (families/), one random stream."""


def _make_keys(rng: random.Random, uid: int, now: int) -> list[ApiKey]:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

    def token() -> str:
        return "".join(rng.choice(alphabet) for _ in range(64))

    def restrictions(created: int) -> dict:
        return {
            "ipRestrict": False,
            "createTime": created,
            "enableReading": True,
            "enableWithdrawals": False,
            "enableInternalTransfer": False,
            "enableMargin": False,
            "enableFutures": True,
            "permitsUniversalTransfer": False,
            "enableVanillaOptions": False,
            "enableFixApiTrade": False,
            "enableFixReadOnly": False,
            "enableSpotAndMarginTrading": False,
            "enablePortfolioMarginTrading": False,
        }

    created = now - rng.randint(30, 300) * DAY
    created -= created % 1000
    return [
        ApiKey(token(), token(), restrictions=restrictions(created)),
        ApiKey(token(), token(), restrictions=restrictions(created + 7 * DAY)),
    ]


def generate_account(
    profile: str, seed: int, now_ms: int | None = None, scale: float | None = None
) -> Account:
    """A complete, deterministic account for (profile, seed, now_ms).

    `scale` multiplies every record count of the profile (e.g. to reach a statement size).
    """
    if profile not in PROFILES:
        raise ValueError(f"profile must be one of {sorted(PROFILES)}, got {profile!r}")
    if now_ms is None:
        import time

        now_ms = int(time.time() * 1000)
    g = Gen(profile, seed, now_ms)
    if scale:
        g.p = {
            k: (
                max(1, round(v * scale))
                if isinstance(v, (int, float))
                and k not in ("listed", "earn_days", "hidden", "wbeth_days", "earn_assets")
                else v
            )
            for k, v in g.p.items()
        }
    rng = g.rng
    uid = rng.randint(100_000_000, 9_999_999_999)
    markets, prices = build_universe(
        rng, g.n("listed"), g.n("traded"), g.n("brk"), g.n("removed"), g.n("hidden")
    )
    by_symbol = {m.symbol: m for m in markets}
    holdable = sorted({m.base for m in markets if m.traded and m.status == "TRADING"} - {"BTC", "ETH", "BNB"})
    g.spot(markets, prices)
    g.wallet(prices, holdable)
    g.p2p(prices)
    g.margin(by_symbol, prices)
    g.futures(prices, coin_m=False)
    g.futures(prices, coin_m=True)
    g.options()
    g.earn(prices)
    g.staking(prices)
    g.auto_invest(prices)
    g.mining()
    g.crypto_loans(prices)
    g.rebates(prices)
    generate_products(g, prices, seed)  # issue 14 families, one module each (products/)
    g.fund(prices)
    generate_after_funding(g, prices, seed)  # sub-account transfers: never below the funded balances
    g.renumber([r for e in g.events for r in e.api if r.endpoint == "options.bill"], "options_bill:")
    keys = _make_keys(rng, uid, now_ms)
    digest = hashlib.sha256(f"{profile}:{seed}".encode()).hexdigest()[:6]
    return Account(
        profile=profile,
        seed=seed,
        uid=uid,
        opened_ms=g.opened,
        now_ms=now_ms,
        events=g.events,
        noise=sorted(g.noise, key=lambda r: r.time_ms),
        markets=markets,
        keys=keys,
        mining_user=f"miner{digest}",
        master_email=g.master_email,
        sub_accounts=g.sub_accounts,
    )
