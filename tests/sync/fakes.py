"""An in-process stand-in for BinanceClient: enough of the interface to drive the real state
machine, handlers and storage without an HTTP server (the emulator tests cover the wire)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from binsync.binance.catalogue import DAY_MS, endpoint
from binsync.binance.client import ClientStats, Page
from binsync.binance.errors import CredentialsInvalid, InvalidRequest, TransientError

NOW = 1_780_000_000_000
MARKETS = {"BTCUSDT": ("BTC", "USDT", "TRADING"), "ETHBTC": ("ETH", "BTC", "TRADING"),
           "OLDBTC": ("OLD", "BTC", "BREAK")}
GONE = "GONEBTC"  # listed once, removed since: -1121


def deposit_row(n: int) -> dict[str, Any]:
    t = NOW - n * 7 * DAY_MS
    return {"id": f"dep{n}", "amount": "0.5", "coin": "BTC", "network": "BTC", "status": 1,
            "address": "bc1x", "txId": f"tx{n}", "insertTime": t, "completeTime": t, "transferType": 0,
            "walletType": 0, "confirmTimes": "1/1", "unlockConfirm": 0}


def trade_row(symbol: str, n: int) -> dict[str, Any]:
    return {"symbol": symbol, "id": n, "orderId": 1000 + n, "orderListId": -1, "price": "2", "qty": "1",
            "quoteQty": "2", "commission": "0.001", "commissionAsset": MARKETS[symbol][0],
            "time": NOW - 400 * DAY_MS + n * DAY_MS, "isBuyer": True, "isMaker": False, "isBestMatch": True}


PAGE = 10
DEPOSITS = [deposit_row(n) for n in range(1, 40)]  # one every week, spread over many windows
TRADES = {"BTCUSDT": [trade_row("BTCUSDT", n) for n in range(1, 26)],
          "OLDBTC": [trade_row("OLDBTC", n) for n in range(1, 4)]}


@dataclass
class FakeBinance:
    """Shared account state and fault injection for every FakeClient of a test."""

    restrictions: dict[str, Any] = field(default_factory=lambda: {
        "enableReading": True, "enableFutures": False, "enableVanillaOptions": False,
        "enableWithdrawals": False, "enableSpotAndMarginTrading": False, "ipRestrict": False})
    products: dict[str, Any] = field(default_factory=lambda: {
        "isMarginEnabled": False, "isFutureEnabled": False, "isOptionsEnabled": False})
    # "endpoint[:symbol]" -> (error class, pages served before it is raised), raised once
    fail_once: dict[str, tuple[type[Exception], int]] = field(default_factory=dict)
    fail_always: dict[str, type[Exception]] = field(default_factory=dict)
    calls: list[tuple[str, str | None]] = field(default_factory=list)
    cursors: dict[str, list[Any]] = field(default_factory=dict)  # "endpoint[:symbol]" -> cursors given
    lock: threading.Lock = field(default_factory=threading.Lock)
    known_markets: dict[str, tuple[str, str, str]] = field(default_factory=lambda: dict(MARKETS))
    # The account's fills and spot balances (free + locked): a test changes them between syncs.
    trades: dict[str, list[dict[str, Any]]] = field(
        default_factory=lambda: {symbol: list(rows) for symbol, rows in TRADES.items()})
    balances: dict[str, str] = field(default_factory=lambda: {"BTC": "19.5"})
    balance_error: type[Exception] | None = None  # raised by /api/v3/account when set

    def client(self, *_: Any, **__: Any) -> FakeClient:
        return FakeClient(self)


class FakeClient:
    def __init__(self, account: FakeBinance):
        self.account = account
        self.stats = ClientStats()

    def request(self, name: str, params: dict[str, Any] | None = None) -> Any:
        self.stats.requests += 1
        params = params or {}
        if name == "system.time":
            return {"serverTime": NOW}
        if name == "account.api_restrictions":
            return dict(self.account.restrictions)
        if name == "account.info":
            return dict(self.account.products)
        if name == "spot.exchange_info":
            wanted = params.get("symbolStatus")
            return {"symbols": [{"symbol": s, "baseAsset": b, "quoteAsset": q, "status": st}
                                for s, (b, q, st) in self.account.known_markets.items()
                                if wanted is None or st == wanted]}
        if name == "account.spot":
            if self.account.balance_error is not None:
                raise self.account.balance_error("injected", endpoint=name)
            return {"balances": [{"asset": asset, "free": free, "locked": "0"}
                                 for asset, free in self.account.balances.items()]}
        raise AssertionError(f"unexpected request {name}")

    def _fault(self, key: str, page_no: int) -> None:
        with self.account.lock:
            error = self.account.fail_always.get(key)
            once = self.account.fail_once.get(key)
            if error is None and once is not None and page_no >= once[1]:
                error = self.account.fail_once.pop(key)[0]
        if error is not None:
            raise error(f"injected {error.__name__}", endpoint=key)

    def iter_pages(self, ep: str, *, start_ms: int | None = None, end_ms: int | None = None,
                   symbol: str | None = None, params: dict[str, Any] | None = None,
                   cursor: dict[str, Any] | None = None) -> Iterator[Page]:
        weight = endpoint(ep).weight
        key = f"{ep}:{symbol}" if symbol else ep
        with self.account.lock:
            self.account.calls.append((ep, symbol))
            self.account.cursors.setdefault(key, []).append(cursor)
        if ep == "spot.my_trades":
            if symbol == GONE:
                self.stats.requests += 1
                raise InvalidRequest("Invalid symbol.", code=-1121, endpoint=ep, symbol=GONE)
            rows = list(self.account.trades.get(symbol or "", []))
        elif ep == "wallet.deposits":
            rows = [r for r in DEPOSITS if start_ms <= r["insertTime"] <= end_ms]
        else:
            rows = []
        position = (cursor or {}).get("pos", 0)
        page_no = 0
        while True:
            self._fault(key, page_no)  # fail_once[key] = (error, after N pages of this attempt)
            self.stats.requests += 1
            chunk = rows[position:position + PAGE]
            position += len(chunk)
            done = position >= len(rows)
            page_no += 1
            yield Page(chunk, None if done else {"pos": position}, 1, weight)
            if done:
                return


# A removed market is no longer in exchangeInfo: the persisted market list still has it.
__all__ = [
    "DEPOSITS",
    "GONE",
    "MARKETS",
    "NOW",
    "TRADES",
    "CredentialsInvalid",
    "FakeBinance",
    "TransientError",
]


def connect(monkeypatch: Any, fake: FakeBinance, *, user: str, uid: str, only_endpoints: str) -> None:
    """Route the sync's Binance client to `fake`, restrict the plan, and store connection c1.

    GONE was listed by an earlier sync and has been removed from exchangeInfo since."""
    from binsync.storage.models import ConnectionModel
    from binsync.sync import binance_io, markets

    monkeypatch.setattr(binance_io, "make_client", fake.client)
    monkeypatch.setenv("SYNC_ONLY_ENDPOINTS", only_endpoints)
    ConnectionModel(user, "c1", binance_uid=uid, secret_name="unused", created_at=NOW,
                    permissions={"enableReading": True}).save()
    markets.merge_and_save({GONE: {"base": "GONE", "quote": "BTC", "status": "TRADING"}})
