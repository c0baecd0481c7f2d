"""Client behaviour beyond paging: clock skew, transient retries, exact numbers, source address,
base URL families."""

from __future__ import annotations

import json
import threading
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests
from binance_fakes import API_KEY, SECRET, FakeBinance, FakeClock
from binsync import runtime
from binsync.binance.catalogue import endpoint
from binsync.binance.client import BinanceClient
from binsync.binance.errors import ClockSkew, CredentialsInvalid, InvalidRequest, TransientError
from binsync.binance.signing import Credentials


def client_for(fake: FakeBinance, **kw) -> BinanceClient:
    return BinanceClient(
        Credentials(API_KEY, SECRET),
        "http://fake.local",
        session=fake.session(),
        clock=fake.clock.time,
        sleep=fake.clock.sleep,
        **kw,
    )


def test_clock_offset_is_learned_before_the_first_signed_request():
    fake = FakeBinance(FakeClock(), server_offset_ms=-7000)  # our clock runs 7 s ahead
    client = client_for(fake)
    assert client.request(endpoint("wallet.deposits"), {}) == []
    assert fake.sent[0].path == "/api/v3/time"
    assert abs(client.offset_ms + 7000) <= 1


def test_minus_1021_resyncs_once_then_succeeds():
    fake = FakeBinance(FakeClock())
    client = client_for(fake)
    client.server_time()
    fake.server_offset_ms = 30_000  # the server's clock jumps after we synced
    assert client.request(endpoint("wallet.deposits"), {}) == []
    assert client.stats.clock_resyncs == 1
    assert [s.path for s in fake.sent].count("/api/v3/time") == 2


def test_persistent_minus_1021_raises_clock_skew_after_one_resync():
    fake = FakeBinance(FakeClock())
    fake.hooks["wallet.deposits"] = lambda p: (
        400,
        {},
        {"code": -1021, "msg": "Timestamp for this request is outside of the recvWindow."},
    )
    client = client_for(fake)
    with pytest.raises(ClockSkew):
        client.request(endpoint("wallet.deposits"), {})
    assert client.stats.clock_resyncs == 1
    assert [s.path for s in fake.sent].count("/sapi/v1/capital/deposit/hisrec") == 2


def test_wrong_secret_is_credentials_invalid_and_not_retried():
    fake = FakeBinance(FakeClock())
    client = BinanceClient(
        Credentials(API_KEY, "wrong"),
        "http://fake.local",
        session=fake.session(),
        clock=fake.clock.time,
        sleep=fake.clock.sleep,
    )
    with pytest.raises(CredentialsInvalid) as info:
        client.request(endpoint("account.spot"), {})
    assert info.value.code == -1022
    assert [s.path for s in fake.sent].count("/api/v3/account") == 1


def test_transient_errors_are_retried_with_backoff():
    fake = FakeBinance(FakeClock())
    seen = []

    def flaky(params):
        seen.append(1)
        return (503, {}, "<html>busy</html>") if len(seen) <= 2 else None

    fake.hooks["wallet.deposits"] = flaky
    client = client_for(fake)
    assert client.request(endpoint("wallet.deposits"), {}) == []
    assert client.stats.retries == 2
    assert fake.clock.sleeps[-2:] == [0.5, 1.0]


def test_connection_errors_become_transient_after_max_retries():
    class Broken(requests.Session):
        def get(self, *a, **k):
            raise requests.ConnectionError("refused")

    clock = FakeClock()
    client = BinanceClient(
        Credentials(API_KEY, SECRET),
        "http://fake.local",
        session=Broken(),
        clock=clock.time,
        sleep=clock.sleep,
        max_retries=2,
    )
    with pytest.raises(TransientError):
        client.request(endpoint("spot.exchange_info"), {})
    assert client.stats.requests == 3


RAW_CONVERT = (
    '{"list":[{"quoteId":"f3b91c525b2644c7bc1e1cd31b6e1aa6","orderId":940708407462087200,'
    '"orderStatus":"SUCCESS","fromAsset":"USDT","fromAmount":"20","toAsset":"BNB",'
    '"toAmount":"0.06154036","ratio":"0.00307702","inverseRatio":"324.99","createTime":1624248872184}],'
    '"startTime":1623824139000,"endTime":1626416139000,"limit":100,"moreData":false}'
)
RAW_OPTIONS = (
    '[{"id":4611875134427365377,"tradeId":239,"orderId":4611875134427365377,"symbol":"BTC-200730-9000-C",'
    '"price":"100","quantity":"1","fee":"0","realizedProfit":"0.00000000","side":"BUY","type":"LIMIT",'
    '"volatility":"0.9","liquidity":"TAKER","quoteAsset":"USDT","time":1592465880683}]'
)
RAW_MINING = (
    '{"code":0,"msg":"","data":{"accountProfits":[{"time":1586188800000,"type":31,'
    '"hashTransfer":200000000000,"transferAmount":0.02180958,"dayHashRate":129129903378244,'
    '"profitAmount":8.6083060304,"coinName":"BTC","status":2}],"totalNum":1,"pageSize":20}}'
)


def test_big_ids_stay_exact_ints_and_amounts_are_decimal():
    fake = FakeBinance(FakeClock())
    fake.hooks["convert.trade_flow"] = lambda p: (200, {}, RAW_CONVERT)
    fake.hooks["options.user_trades"] = lambda p: (200, {}, RAW_OPTIONS)
    fake.hooks["mining.payments"] = lambda p: (200, {}, RAW_MINING)
    client = client_for(fake)
    conv = client.request(endpoint("convert.trade_flow"), {"startTime": 1, "endTime": 2})["list"][0]
    assert conv["orderId"] == 940708407462087200 and type(conv["orderId"]) is int
    opt = client.request(endpoint("options.user_trades"), {})[0]
    assert opt["id"] == 4611875134427365377 == opt["orderId"]
    mining = list(client.iter_pages("mining.payments", params={"algo": "sha256", "userName": "u"}))
    row = mining[0].rows[0]
    assert row["profitAmount"] == Decimal("8.6083060304") and isinstance(row["profitAmount"], Decimal)
    assert row["transferAmount"] == Decimal("0.02180958")


def test_success_false_envelope_is_an_error_not_an_empty_list():
    fake = FakeBinance(FakeClock())
    fake.hooks["p2p.orders"] = lambda p: (
        200,
        {},
        {"code": "345001", "message": "system busy", "data": None, "success": False},
    )
    with pytest.raises(InvalidRequest) as info:
        client_for(fake).request(endpoint("p2p.orders"), {"tradeType": "BUY"})
    assert "system busy" in str(info.value)


def test_real_binance_families_map_to_their_hosts_and_an_emulator_serves_all_on_one():
    real = BinanceClient(None)
    assert real.base_urls["fapi"] == "https://fapi.binance.com"
    assert real.base_urls["sapi"] == "https://api.binance.com"
    alt = BinanceClient(None, "https://api3.binance.com")
    assert (alt.base_urls["sapi"], alt.base_urls["dapi"]) == (
        "https://api3.binance.com",
        "https://dapi.binance.com",
    )
    emu = BinanceClient(None, "http://127.0.0.1:9999/")
    assert set(emu.base_urls.values()) == {"http://127.0.0.1:9999"}


class _Echo(BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({"serverTime": 1, "peer": self.client_address[0]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("X-MBX-USED-WEIGHT-1M", "1")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def echo_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_requests_leave_from_the_chosen_loopback_address(echo_server):
    client = BinanceClient(None, echo_server, source_address="127.0.0.7")
    assert client.request(endpoint("system.time"), {})["peer"] == "127.0.0.7"


def test_default_source_address_comes_from_the_runtime_egress_ip(echo_server):
    token = runtime.EGRESS_IP.set("127.0.0.9")
    try:
        client = BinanceClient(None, echo_server)
    finally:
        runtime.EGRESS_IP.reset(token)
    assert client.request(endpoint("system.time"), {})["peer"] == "127.0.0.9"


def test_the_environment_is_read_once_per_client_not_per_request(monkeypatch: Any, tmp_path: Any) -> None:
    """requests re-reads proxies, CA bundles and ~/.netrc on every request when trust_env (over
    1 ms of CPU each): a client whose environment sets none of them turns it off."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy",
                 "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NETRC", str(tmp_path / "no-netrc"))
    assert BinanceClient(Credentials("k", "s"), "http://127.0.0.1:9").session.trust_env is False
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    assert BinanceClient(Credentials("k", "s"), "https://api.binance.com").session.trust_env is True
    monkeypatch.delenv("HTTPS_PROXY")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tmp_path / "ca.pem"))
    assert BinanceClient(Credentials("k", "s"), "https://api.binance.com").session.trust_env is True
