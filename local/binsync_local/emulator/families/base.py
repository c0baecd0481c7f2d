"""What every generator family shares: profiles, constants, formatting, and `GenBase` (the
account being built, its random stream and the helpers that add events)."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import UTC, datetime
from decimal import ROUND_DOWN, Decimal

from ..account import ApiRecord, Event, LegT

DAY = 86_400_000
HOUR = 3_600_000
PAYOUT = MINING_PAYOUT_WALLET = "funding"  # as binsync.normalise.mining: Binance pays pool income there
E8 = Decimal("1E-8")
E2 = Decimal("0.01")

PROFILES: dict[str, dict[str, float]] = {
    "small": dict(
        opened="2022-03-01",
        listed=60,
        traded=8,
        brk=2,
        removed=1,
        hidden=1,
        spot_fills=120,
        deposits=10,
        withdrawals=5,
        fiat_orders=4,
        fiat_payments=3,
        converts=6,
        dust=5,
        earn_days=45,
        earn_assets=1,
        locked=1,
        usdm_fills=24,
        usdm_funding=20,
        coinm_fills=8,
        margin_fills=16,
        loans=2,
        p2p=3,
        pay=4,
        mining=4,
        options=3,
        crypto_loans=1,
        rebates=4,
        airdrops=4,
        card=4,
        transfers=6,
        eth=2,
        sol=2,
        auto_invest=3,
        wbeth_days=10,
    ),
    "reference": dict(
        opened="2018-01-15",
        listed=1500,
        traded=60,
        brk=25,
        removed=15,
        hidden=3,
        spot_fills=20000,
        deposits=400,
        withdrawals=150,
        fiat_orders=40,
        fiat_payments=12,
        converts=300,
        dust=120,
        earn_days=1095,
        earn_assets=3,
        locked=6,
        usdm_fills=5000,
        usdm_funding=7500,
        coinm_fills=500,
        margin_fills=1000,
        loans=40,
        p2p=30,
        pay=30,
        mining=40,
        options=20,
        crypto_loans=5,
        rebates=40,
        airdrops=30,
        card=40,
        transfers=80,
        eth=6,
        sol=4,
        auto_invest=30,
        wbeth_days=200,
    ),
}
PROFILES["heavy"] = {
    k: (
        v * 5
        if isinstance(v, (int, float))
        and k not in ("listed", "earn_days", "earn_assets", "hidden", "wbeth_days")
        else v
    )
    for k, v in PROFILES["reference"].items()
}
PROFILES["heavy"]["earn_assets"] = 6


def _ms(day: str) -> int:
    return int(datetime.strptime(day, "%Y-%m-%d").replace(tzinfo=UTC).timestamp() * 1000)


LEGACY_TRADE_OPS_UNTIL = _ms("2019-06-01")  # "Transaction Related" rows before this
BUY_SELL_OPS_UNTIL = _ms("2023-01-01")  # "Buy"/"Sell"/"Fee" before, "Transaction *" after
DUST_CAPITAL_FROM = _ms("2021-01-01")  # "Small assets exchange BNB" -> "... Assets Exchange ..."


def s8(d: Decimal) -> str:
    return f"{d:.8f}"


def plain(d: Decimal) -> str:
    text = format(d, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def fmt_utc(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M:%S")



class GenBase:
    def __init__(self, profile: str, seed: int, now_ms: int):
        self.p = PROFILES[profile]
        self.profile = profile
        self.rng = random.Random(f"binsync-emulator:{profile}:{seed}")
        self.now = now_ms
        self.opened = _ms(str(self.p["opened"])) + self.rng.randint(0, 10) * DAY + self.rng.randint(0, DAY)
        self.events: list[Event] = []
        self.noise: list[ApiRecord] = []
        self._seq: dict[str, int] = defaultdict(int)
        self.master_email = ""  # set by products/sub_accounts.py (a master account)
        self.sub_accounts: list[dict] = []

    # ---- helpers -----------------------------------------------------------------------------
    def n(self, key: str) -> int:
        return int(self.p[key])

    def seq(self, name: str, start: int, step_max: int = 1) -> int:
        if name not in self._seq:
            self._seq[name] = start
        self._seq[name] += self.rng.randint(1, step_max)
        return self._seq[name]

    def t_between(self, lo: int, hi: int) -> int:
        return self.rng.randint(lo, max(lo, hi))

    def t_any(self, lo_days_after_open: int = 3, recent_bias: float = 1.0) -> int:
        lo = self.opened + lo_days_after_open * DAY
        hi = self.now - HOUR
        u = self.rng.random() ** recent_bias
        return int(hi - (1 - u) * (hi - lo)) if recent_bias != 1.0 else self.t_between(lo, hi)

    def hexid(self, n: int = 32) -> str:
        return f"{self.rng.getrandbits(4 * n):0{n}x}"

    def amount(self, usd: float, price: float, dp: int = 8) -> Decimal:
        q = Decimal(repr(usd / price)).quantize(Decimal(1).scaleb(-dp), ROUND_DOWN)
        return q if q > 0 else Decimal(1).scaleb(-dp)

    def add(self, kind: str, t: int, legs: list[LegT], api: list[ApiRecord], rows, note: str = "") -> Event:
        ev = Event(kind=kind, time_ms=t, legs=legs, api=api, rows=rows, note=note)
        self.events.append(ev)
        return ev

    @staticmethod
    def rows_of(t: int, legs: list[LegT], op: str, remark: str = "") -> list:
        return [(t, w, op, a, amt, remark) for a, amt, w, _r in legs if w != "external"]

    @staticmethod
    def net_rows(t: int, legs: list[LegT], op: str, remark: str = "") -> list:
        """One row per (asset, wallet): Binance shows fee-inclusive net amounts for these."""
        acc: dict[tuple[str, str], Decimal] = {}
        for a, amt, w, _r in legs:
            if w != "external":
                acc[(a, w)] = acc.get((a, w), Decimal(0)) + amt
        return [(t, w, op, a, v, remark) for (a, w), v in acc.items()]
