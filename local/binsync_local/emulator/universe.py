"""The symbol universe of a generated account: listed, BREAK and REMOVED spot markets."""

from __future__ import annotations

import random
import string
from decimal import Decimal

from .account import Market

# Reference USD prices of real assets (order of magnitude only; prices drift per fill).
CORE_PRICES: dict[str, float] = {
    "BTC": 30000,
    "ETH": 2000,
    "BNB": 300,
    "USDT": 1,
    "FDUSD": 1,
    "USDC": 1,
    "BUSD": 1,
    "EUR": 1.08,
    "TRY": 0.03,
    "SOL": 100,
    "XRP": 0.5,
    "ADA": 0.4,
    "DOGE": 0.08,
    "DOT": 6,
    "LTC": 80,
    "LINK": 12,
    "MATIC": 0.8,
    "AVAX": 30,
    "TRX": 0.1,
    "SHIB": 0.00001,
    "ATOM": 9,
    "UNI": 6,
    "XLM": 0.12,
    "ETC": 20,
    "FIL": 5,
    "NEAR": 3,
    "APT": 8,
    "ARB": 1.1,
    "OP": 2,
    "PEPE": 0.000001,
    "WBETH": 2050,
    "BNSOL": 105,
    "INJ": 25,
    "SUI": 1.2,
    "TON": 5,
    "AAVE": 90,
    "CAKE": 2.5,
    "FET": 1.5,
    "RNDR": 4,
    "GRT": 0.15,
    "SAND": 0.4,
    "MANA": 0.4,
    "AXS": 7,
    "CHZ": 0.08,
    "EGLD": 40,
    "ALGO": 0.15,
    "VET": 0.03,
    "ICP": 10,
    "HBAR": 0.07,
    "QNT": 100,
    "XTZ": 0.9,
    "EOS": 0.7,
    "THETA": 1.1,
    "NEO": 12,
    "KSM": 30,
    "ZEC": 30,
    "DASH": 30,
    "WAVES": 2,
    "IOTA": 0.2,
    "ONT": 0.2,
}
QUOTES: tuple[str, ...] = ("USDT", "BTC", "ETH", "BNB", "FDUSD", "USDC", "EUR", "TRY")
FIAT: frozenset[str] = frozenset({"EUR", "TRY"})
STABLE: frozenset[str] = frozenset({"USDT", "FDUSD", "USDC", "BUSD"})
# Traded by every profile (the account's main markets).
CORE_TRADED: tuple[str, ...] = (
    "BTCUSDT",
    "ETHUSDT",
    "BNBUSDT",
    "ETHBTC",
    "BNBBTC",
    "SOLUSDT",
    "BTCEUR",
    "XRPUSDT",
    "ADAUSDT",
    "DOGEUSDT",
)


def _synthetic_name(rng: random.Random, taken: set[str]) -> str:
    while True:
        name = "".join(rng.choice(string.ascii_uppercase) for _ in range(rng.randint(3, 5)))
        if name not in taken and not any(name.endswith(q) or name.startswith(q) for q in QUOTES):
            taken.add(name)
            return name


def price_decimals(price: float) -> int:
    """Decimals of a market's price: ~5 significant digits, at most 8."""
    for dp in range(0, 9):
        if price * 10**dp >= 10_000:
            return dp
    return 8


def build_universe(
    rng: random.Random, n_listed: int, n_traded: int, n_break: int, n_removed: int, n_hidden: int
) -> tuple[list[Market], dict[str, float]]:
    """Markets (listed TRADING + BREAK + REMOVED) and a USD price per asset."""
    prices = dict(CORE_PRICES)
    taken = set(prices)
    markets: dict[str, Market] = {}

    def add(base: str, quote: str, status: str = "TRADING") -> Market:
        m = Market(symbol=base + quote, base=base, quote=quote, status=status)
        markets[m.symbol] = m
        return m

    for sym in CORE_TRADED:
        for q in QUOTES:
            if sym.endswith(q):
                add(sym[: -len(q)], q)
                break
    core_bases = [a for a in CORE_PRICES if a not in QUOTES and a not in ("BUSD",)]
    for base in core_bases:
        for q in ("USDT", "BTC", "FDUSD"):
            if len(markets) < n_listed and base + q not in markets:
                add(base, q)
    while len(markets) < n_listed:
        base = _synthetic_name(rng, taken)
        prices[base] = 10 ** rng.uniform(-5, 3)
        for q in rng.sample(("USDT", "BTC", "BNB", "FDUSD", "TRY", "ETH"), rng.randint(1, 3)):
            if len(markets) < n_listed:
                add(base, q)
    listed = list(markets.values())
    # Traded listed markets: the core ones first, then random others.
    traded = [markets[s] for s in CORE_TRADED if s in markets]
    others = [
        m
        for m in listed
        if m not in traded
        and m.quote in ("USDT", "BTC", "BNB", "FDUSD")
        and prices[m.base] / prices[m.quote] >= 1e-5
    ]
    rng.shuffle(others)
    traded += others[: max(0, n_traded - len(traded))]
    for m in traded[:n_traded]:
        m.traded = True
    # A few traded markets carry only a TRD_GRP permission: hidden by exchangeInfo's default filter.
    hidden_pool = [
        m for m in traded[:n_traded] if m.symbol not in ("BTCUSDT", "ETHUSDT", "BNBUSDT", "BTCEUR")
    ]
    for m in hidden_pool[len(hidden_pool) - n_hidden :] if n_hidden else []:
        m.permission_sets = (("TRD_GRP_004",),)
    # Delisted markets the account traded: BREAK (still listed) and REMOVED (gone).
    for i in range(n_break + n_removed):
        base = _synthetic_name(rng, taken)
        quote = rng.choice(("BUSD", "BTC", "BNB", "USDT"))
        prices[base] = prices[quote] * 10 ** rng.uniform(-4, 1)
        m = add(base, quote, "BREAK" if i < n_break else "REMOVED")
        m.traded = True
    return list(markets.values()), prices


def quantize_price(price: float) -> Decimal:
    dp = price_decimals(price)
    return Decimal(round(price * 10**dp)).scaleb(-dp)
