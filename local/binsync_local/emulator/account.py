"""The generated account: a ledger of economic events, and how each renders.

Every `Event` carries its balance legs and both renderings of it: the raw API records Binance
returns for it (`ApiRecord`, one per endpoint that shows it, with the native key of
docs/ledger.md) and its statement rows. Records of non-completed operations (pending deposit,
failed fiat payment, cancelled P2P order...) have no event: they live in `Account.noise` and
are served by the API so that normalisers' skip rules are exercised.

`Account.truth()` answers what a perfect sync must find: balances per (asset, wallet), the
transaction ids reachable by API now per endpoint, and the events only the statement has.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from binsync.model import transaction_id

# (asset, signed amount, wallet, role)
LegT = tuple[str, Decimal, str, str]
# (time_ms, wallet, operation, coin, change, remark); wallet is a binsync wallet name
RowT = tuple[int, str, str, str, Decimal, str]


# The request parameter a record's first partition value is sent as, per endpoint.
VARIANT_PARAM: dict[str, str] = {
    "wallet.dust": "accountType", "fiat.orders": "transactionType", "fiat.payments": "transactionType",
    "wallet.universal_transfer": "type", "p2p.orders": "tradeType", "options.bill": "currency",
    "earn.flexible_rewards": "type", "loans.income": "type", "staking.sol_boost_rewards": "type",
}


@dataclass(slots=True)
class ApiRecord:
    """One raw record as an endpoint returns it."""

    endpoint: str  # catalogue / docs/ledger.md endpoint name
    native_key: str  # docs/ledger.md native key
    raw: dict[str, Any]  # exactly what Binance returns (decimal strings, big ids as int)
    time_ms: int  # the time the endpoint filters and sorts on
    part: tuple[Any, ...] = ()  # partition values (symbol, variant...) the request selects
    cursor: int = 0  # id used by fromId / recordId cursors
    legs: tuple[LegT, ...] = ()  # the legs a normaliser must produce (empty for detail records)
    completed: bool = True  # False: normalisers must skip it (pending, failed, cancelled)
    detail: bool = False  # True: shown as a transaction with no legs (docs/ledger.md §1)
    symbol: str | None = None  # spot/margin market, to apply REMOVED-market reachability


@dataclass(slots=True)
class Event:
    kind: str
    time_ms: int
    legs: list[LegT]
    api: list[ApiRecord] = field(default_factory=list)
    rows: list[RowT] = field(default_factory=list)
    note: str = ""


@dataclass(slots=True)
class Market:
    symbol: str
    base: str
    quote: str
    status: str = "TRADING"  # TRADING, BREAK; REMOVED markets are absent from exchangeInfo
    permission_sets: tuple[tuple[str, ...], ...] = (("SPOT", "MARGIN"),)
    traded: bool = False


@dataclass
class ApiKey:
    api_key: str
    secret: str  # HMAC secret, or "" for RSA / Ed25519 keys
    kind: str = "hmac"  # hmac | rsa | ed25519
    public_key_pem: str | None = None
    restrictions: dict[str, Any] = field(default_factory=dict)
    revoked: bool = False


@dataclass
class Account:
    profile: str
    seed: int
    uid: int
    opened_ms: int
    now_ms: int
    events: list[Event]
    noise: list[ApiRecord]
    markets: list[Market]
    keys: list[ApiKey]
    account_type: str = "SPOT"
    vip_level: int = 0
    mining_user: str = ""
    # A master account's email and its sub-accounts ({email, createTime, ...} as sub-account/list
    # answers); no sub-accounts: not a master account (products/sub_accounts.py).
    master_email: str = ""
    sub_accounts: list[dict[str, Any]] = field(default_factory=list)
    _index: dict[str, list[ApiRecord]] | None = field(default=None, repr=False)

    # ---- derived views -------------------------------------------------------------------
    def records(self, endpoint: str | None = None) -> list[ApiRecord] | dict[str, list[ApiRecord]]:
        """Every API record (events' and noise), grouped by endpoint, sorted by time."""
        if self._index is None:
            index: dict[str, list[ApiRecord]] = defaultdict(list)
            for ev in self.events:
                for rec in ev.api:
                    index[rec.endpoint].append(rec)
            for rec in self.noise:
                index[rec.endpoint].append(rec)
            for recs in index.values():
                recs.sort(key=lambda r: (r.time_ms, r.cursor))
            self._index = dict(index)
        if endpoint is None:
            return self._index
        return self._index.get(endpoint, [])

    def market(self, symbol: str) -> Market | None:
        for m in self.markets:
            if m.symbol == symbol:
                return m
        return None

    def request_context(self, record: ApiRecord) -> dict[str, Any]:
        """The normaliser context a sync passes with the request that returns `record` (the
        market's base and quote, the variant parameter), from the record's partition."""
        name, part = record.endpoint, record.part
        if name in ("spot.my_trades", "margin.my_trades"):
            market = self.market(part[0])
            context = {"symbol": market.symbol, "base": market.base, "quote": market.quote}
            if name == "margin.my_trades":
                context["isIsolated"] = "TRUE" if part[1] else "FALSE"
            return context
        if name in VARIANT_PARAM:
            return {VARIANT_PARAM[name]: part[0]}
        if name == "margin.borrow_repay":
            return {"type": part[0], **({"isolatedSymbol": part[1]} if part[1] else {})}
        if name in ("mining.payments", "mining.other"):
            return {"algo": "sha256", "userName": self.mining_user}
        if name == "mining.account_earnings":
            return {"algo": "sha256"}
        if name.startswith("sub_account."):
            subs = {"sub_accounts": [s["email"] for s in self.sub_accounts]}
            # futures transfers: the request's futuresType is the master's wallet (rows omit it)
            return {**subs, "futuresType": part[0]} if name == "sub_account.futures_transfers" else subs
        return {}

    @property
    def removed_symbols(self) -> set[str]:
        return {m.symbol for m in self.markets if m.status == "REMOVED"}

    @property
    def primary_key(self) -> ApiKey:
        return self.keys[0]

    def truth(self, now_ms: int | None = None) -> Truth:
        return Truth(self, self.now_ms if now_ms is None else now_ms)


class Truth:
    """What a perfect sync of `account` at `now_ms` finds (retention measured from now_ms)."""

    def __init__(self, account: Account, now_ms: int):
        self.account = account
        self.now_ms = now_ms

    def balances(self, include_external: bool = False) -> dict[tuple[str, str], Decimal]:
        """Net balance per (asset, wallet): the sum of every ledger leg. Zero entries dropped."""
        out: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
        for ev in self.account.events:
            for asset, amount, wallet, _role in ev.legs:
                if wallet != "external" or include_external:
                    out[(asset, wallet)] += amount
        return {k: v for k, v in out.items() if v != 0}

    def spot_balances(self) -> dict[str, Decimal]:
        return {a: v for (a, w), v in self.balances().items() if w == "spot"}

    def reachable(self, rec: ApiRecord) -> bool:
        """True when the record is returned by its endpoint now (retention, REMOVED markets)."""
        return rec.endpoint in self._reachable_sets() and id(rec) in self._reachable_sets()[rec.endpoint]

    def api_records(self, endpoint: str) -> list[ApiRecord]:
        """The records a full walk of `endpoint` returns now, including non-completed ones."""
        keep = self._reachable_sets().get(endpoint, set())
        return [r for r in self.account.records(endpoint) if id(r) in keep]

    def api_ids(self) -> dict[str, set[str]]:
        """Expected transaction ids per endpoint: reachable, completed records (detail included)."""
        uid = str(self.account.uid)
        out: dict[str, set[str]] = {}
        for name in self.account.records():
            ids = {transaction_id(uid, "api", r.native_key) for r in self.api_records(name) if r.completed}
            if ids:
                out[name] = ids
        return out

    def expected_legs(self) -> dict[str, tuple[LegT, ...]]:
        """Transaction id -> legs its normaliser must produce, for every reachable record."""
        uid = str(self.account.uid)
        out: dict[str, tuple[LegT, ...]] = {}
        for name in self.account.records():
            for r in self.api_records(name):
                if r.completed:
                    out[transaction_id(uid, "api", r.native_key)] = r.legs
        return out

    def statement_only(self) -> list[Event]:
        """Events whose legs no API endpoint returns now (card spending, REMOVED markets, expired
        retention, dust beyond the last 100...)."""
        sets = self._reachable_sets()
        out = []
        for ev in self.account.events:
            if not ev.legs:
                continue
            if not any((not r.detail) and r.legs and id(r) in sets.get(r.endpoint, ()) for r in ev.api):
                out.append(ev)
        return out

    def _reachable_sets(self) -> dict[str, set[int]]:
        cached = getattr(self, "_cache", None)
        if cached is not None:
            return cached
        from .retention import sync_reachable_records  # the live endpoints and their exports

        cache = {
            name: {id(r) for r in sync_reachable_records(self.account, name, self.now_ms)}
            for name in self.account.records()
        }
        self._cache = cache
        return cache
