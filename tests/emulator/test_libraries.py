"""Real Binance client libraries, only their base URL changed, read the emulated account and get
Binance's errors and headers where Binance would give them."""

from __future__ import annotations

import time
from decimal import Decimal
from urllib.parse import urlsplit

import ccxt
import pytest
from binance.client import Client as PythonBinanceClient
from binance.error import ClientError
from binance.exceptions import BinanceAPIException
from binance.spot import Spot
from binsync.binance import catalogue
from binsync_local.emulator import EmulatorServer


def test_binance_connector_reads_everything(server):
    c = server.credentials
    spot = Spot(
        api_key=c["api_key"],
        api_secret=c["api_secret"],
        base_url=c["base_url"],
        show_limit_usage=True,
        show_header=True,
    )
    acct = spot.account()
    assert acct["data"]["uid"] == server.account.uid
    assert "x-mbx-used-weight-1s" in {k.lower() for k in acct["limit_usage"]}  # time_scale=60 -> -1S
    assert spot.api_key_permissions()["data"]["enableReading"] is True
    info = spot.exchange_info()["data"]
    assert len(info["symbols"]) > 10 and info["rateLimits"][0]["rateLimitType"] == "REQUEST_WEIGHT"
    traded = next(m.symbol for m in server.account.markets if m.traded and m.status == "TRADING")
    trades = spot.my_trades(traded, fromId=0, limit=1000)["data"]
    expected = [r.raw["id"] for r in server.account.records("spot.my_trades") if r.part == (traded,)]
    assert [t["id"] for t in trades] == expected[:1000]
    now = int(time.time() * 1000)
    deposits = spot.deposit_history(startTime=now - 89 * 86_400_000, endTime=now)["data"]
    assert all(d["id"] for d in deposits)
    withdrawals = spot.withdraw_history(startTime=now - 89 * 86_400_000, endTime=now)["data"]
    assert isinstance(withdrawals, list)

    bad = Spot(api_key=c["api_key"], api_secret="not-the-secret", base_url=c["base_url"])
    with pytest.raises(ClientError) as e:
        bad.account()
    assert (e.value.status_code, e.value.error_code) == (400, -1022)
    unknown = Spot(api_key="unknown", api_secret="x", base_url=c["base_url"])
    with pytest.raises(ClientError) as e:
        unknown.account()
    assert (e.value.status_code, e.value.error_code) == (401, -2015)


def test_binance_connector_gets_429_with_retry_after(live_small):
    ep = catalogue.endpoint("account.spot")
    with EmulatorServer(live_small) as srv, pytest.raises(ClientError) as e:
        c = srv.credentials
        spot = Spot(api_key=c["api_key"], api_secret=c["api_secret"], base_url=c["base_url"])
        for _ in range(3 * ep.bucket.limit // ep.weight):
            spot.account()
    assert e.value.status_code == 429 and e.value.error_code == -1003
    assert int(e.value.header["Retry-After"]) >= 1


def _ccxt(server) -> ccxt.binance:
    c = server.credentials
    ex = ccxt.binance({"apiKey": c["api_key"], "secret": c["api_secret"], "enableRateLimit": False})

    def patch(urls: dict) -> None:
        for k, v in urls.items():
            if isinstance(v, dict):
                patch(v)
            elif isinstance(v, str) and "binance" in v:
                urls[k] = c["base_url"] + urlsplit(v).path

    patch(ex.urls["api"])
    return ex


def test_ccxt_loads_markets_and_reads_history(server):
    ex = _ccxt(server)
    markets = ex.load_markets()
    assert "BTC/USDT" in markets and "BTC/USDT:USDT" in markets and "BTC/USD:BTC" in markets
    assert Decimal(str(ex.fetch_balance()["total"]["USDT"])) == server.account.truth().spot_balances()[
        "USDT"
    ].quantize(Decimal("1E-8"))
    trades = ex.fetch_my_trades("BTC/USDT")  # most recent trades (a `since` asks one 24 h window)
    assert trades and all(t["symbol"] == "BTC/USDT" for t in trades)
    assert isinstance(ex.fetch_deposits(), list) and isinstance(ex.fetch_withdrawals(), list)
    bad = ccxt.binance({"apiKey": "unknown", "secret": "x"})
    bad.urls["api"] = ex.urls["api"]
    bad.markets, bad.markets_by_id = ex.markets, ex.markets_by_id
    with pytest.raises(ccxt.AuthenticationError):
        bad.fetch_balance()


def test_python_binance_reads_account_and_trades(server):
    c = server.credentials
    base = c["base_url"]
    cls = type(
        "EmulatedClient",
        (PythonBinanceClient,),
        {
            "API_URL": base + "/api",
            "MARGIN_API_URL": base + "/sapi",
            "FUTURES_URL": base + "/fapi",
            "FUTURES_COIN_URL": base + "/dapi",
            "OPTIONS_URL": base + "/eapi",
        },
    )
    client = cls(c["api_key"], c["api_secret"])  # pings /api/v3/ping
    assert client.get_account()["uid"] == server.account.uid
    traded = next(m.symbol for m in server.account.markets if m.traded and m.status == "TRADING")
    assert client.get_my_trades(symbol=traded, fromId=0)
    assert isinstance(client.get_deposit_history(), list)
    assert isinstance(client.get_withdraw_history(), list)
    assert client.get_account_api_permissions()["enableReading"] is True
    wrong = cls(c["api_key"], "bad-secret", ping=False)
    with pytest.raises(BinanceAPIException) as e:
        wrong.get_account()
    assert e.value.code == -1022
