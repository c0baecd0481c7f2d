"""Pacing before the limit (spec §3), header correction, time-compressed emulators, 429/418."""

from __future__ import annotations

from collections import deque

import pytest
from binance_fakes import API_KEY, SECRET, FakeBinance, FakeClock
from binsync.binance.catalogue import endpoint
from binsync.binance.client import BinanceClient
from binsync.binance.errors import IpBanned, RateLimited
from binsync.binance.ratelimit import RateLimiter, weight_headers
from binsync.binance.signing import Credentials
from hypothesis import given, settings
from hypothesis import strategies as st

TRADES = endpoint("spot.my_trades")


def client_for(fake: FakeBinance, **kw) -> BinanceClient:
    return BinanceClient(
        Credentials(API_KEY, SECRET),
        "http://fake.local",
        session=fake.session(),
        clock=fake.clock.time,
        sleep=fake.clock.sleep,
        **kw,
    )


def max_window_weight(fake: FakeBinance, path_prefix: str, interval_s: float) -> int:
    """The most weight the server saw in any interval-long sliding window."""
    sent = [(s.t, s.weight) for s in fake.sent if s.path.startswith(path_prefix)]
    best, j, acc = 0, 0, 0
    for t, w in sent:
        acc += w
        while sent[j][0] <= t - interval_s:
            acc -= sent[j][1]
            j += 1
        best = max(best, acc)
    return best


def test_a_6000_per_minute_bucket_is_never_exceeded():
    fake = FakeBinance(FakeClock())
    client = client_for(fake)
    for i in range(700):  # 14 000 weight: more than two minutes of budget
        client.request(TRADES, {"symbol": "BTCUSDT", "fromId": i})
    assert fake.over_limit == [] and client.stats.http_429 == 0
    assert max_window_weight(fake, "/api/", 60) <= 6000
    assert client.stats.requests == 701  # + the clock sync
    assert client.stats.weight["X-MBX-USED-WEIGHT-1M"] == 20 * 700 + 1


def test_weight_used_by_someone_else_on_the_same_ip_is_learned_from_the_header():
    fake = FakeBinance(FakeClock())
    # another process on the same IP already used 5000 of the 6000 in this minute
    fake.logs[("127.0.0.1", "ip:api")] = deque([(fake.clock.time(), 5000)])
    client = client_for(fake)
    for i in range(200):
        client.request(TRADES, {"symbol": "BTCUSDT", "fromId": i})
    assert fake.over_limit == []


def test_sapi_uid_bucket_allows_two_fiat_orders_calls_per_minute():
    fake = FakeBinance(FakeClock())
    client = client_for(fake)
    ep = endpoint("fiat.orders")
    for _ in range(5):
        client.request(ep, {"transactionType": "0"})
    times = [s.t for s in fake.sent if s.path == ep.path]
    assert fake.over_limit == []
    assert times[2] - times[0] >= 60 and times[4] - times[2] >= 60


def test_sapi_ip_buckets_are_independent_per_endpoint():
    fake = FakeBinance(FakeClock())
    client = client_for(fake)
    t0 = fake.clock.time()
    for _ in range(5):  # accountSnapshot: IP weight 2400 of its own 12000
        client.request(endpoint("account.snapshot"), {"type": "SPOT"})
    for _ in range(100):  # deposits draw on their own bucket: no wait because of the snapshots
        client.request(endpoint("wallet.deposits"), {})
    assert fake.clock.time() == t0
    client.request(endpoint("account.snapshot"), {"type": "SPOT"})  # the 6th must wait
    assert fake.clock.time() - t0 >= 60
    assert fake.over_limit == []


def test_time_scale_is_learned_from_the_header_suffix_and_applied_to_every_bucket():
    fake = FakeBinance(FakeClock(), time_scale=60)  # a Binance minute lasts one second
    client = client_for(fake)
    t0 = fake.clock.time()
    for i in range(700):
        client.request(TRADES, {"symbol": "BTCUSDT", "fromId": i})
    for _ in range(4):
        client.request(endpoint("fiat.orders"), {"transactionType": "0"})
    assert client.time_scale == 60
    assert fake.over_limit == []
    assert max_window_weight(fake, "/api/", 1.0) <= 6000
    assert fake.clock.time() - t0 < 10  # 20 000 weight at 6000 per (scaled) second, not minutes


def test_time_scale_from_exchange_info_rate_limits():
    fake = FakeBinance(FakeClock())
    fake.hooks["spot.exchange_info"] = lambda p: (
        200,
        {},
        {
            "rateLimits": [
                {"rateLimitType": "REQUEST_WEIGHT", "interval": "SECOND", "intervalNum": 6, "limit": 6000},
                {"rateLimitType": "RAW_REQUESTS", "interval": "MINUTE", "intervalNum": 5, "limit": 61000},
            ],
            "symbols": [],
        },
    )
    client = client_for(fake)
    client.exchange_info()
    assert client.time_scale == 10


def test_429_retry_after_is_honoured_then_retried():
    fake = FakeBinance(FakeClock())
    calls = []

    def hook(params):
        calls.append(fake.clock.time())
        if len(calls) == 1:
            return 429, {"Retry-After": "5"}, {"code": -1003, "msg": "Too much request weight used"}
        return None

    fake.hooks["spot.my_trades"] = hook
    client = client_for(fake)
    assert client.request(TRADES, {"symbol": "BTCUSDT"}) == []
    assert calls[1] - calls[0] >= 5
    assert client.stats.http_429 == 1 and client.stats.retries == 1


def test_429_with_a_long_retry_after_raises_rate_limited_for_the_orchestrator():
    fake = FakeBinance(FakeClock())
    fake.hooks["spot.my_trades"] = lambda p: (
        429,
        {"Retry-After": "600"},
        {"code": -1003, "msg": "slow down"},
    )
    client = client_for(fake)
    with pytest.raises(RateLimited) as info:
        client.request(TRADES, {"symbol": "BTCUSDT"})
    assert info.value.retry_after == 600


def test_418_is_never_retried_from_the_banned_ip_before_retry_after():
    fake = FakeBinance(FakeClock())
    fake.hooks["spot.my_trades"] = lambda p: (
        418,
        {"Retry-After": "120"},
        {"code": -1003, "msg": "Way too much request weight used; IP banned"},
    )
    limiter = RateLimiter(fake.clock.time, fake.clock.sleep)
    client = client_for(fake, limiter=limiter, source_address="127.0.0.2")
    with pytest.raises(IpBanned) as info:
        client.request(TRADES, {"symbol": "BTCUSDT"})
    assert info.value.retry_after == 120 and client.stats.http_418 == 1
    sent = len(fake.sent)
    other = client_for(fake, limiter=limiter, source_address="127.0.0.2")  # same IP, new client
    with pytest.raises(IpBanned):
        other.request(endpoint("wallet.deposits"), {})
    assert len(fake.sent) == sent  # nothing left that IP
    # another IP is not banned
    fake.hooks.pop("spot.my_trades")
    client_for(fake, limiter=limiter, source_address="127.0.0.3").request(TRADES, {"symbol": "BTCUSDT"})
    fake.clock.t += 121
    assert other.request(TRADES, {"symbol": "BTCUSDT"}) == []


def test_shared_limiter_paces_two_clients_on_one_ip_together():
    fake = FakeBinance(FakeClock())
    limiter = RateLimiter(fake.clock.time, fake.clock.sleep)
    a = client_for(fake, limiter=limiter)
    b = client_for(fake, limiter=limiter)
    for i in range(400):
        (a if i % 2 else b).request(TRADES, {"symbol": "BTCUSDT", "fromId": i})
    assert fake.over_limit == []
    assert max_window_weight(fake, "/api/", 60) <= 6000


def test_weight_headers_parse_any_interval():
    got = weight_headers(
        {
            "X-MBX-USED-WEIGHT-1M": "20",
            "x-sapi-used-uid-weight-1s": "18000",
            "X-SAPI-USED-IP-WEIGHT-10S": "3",
            "X-MBX-USED-WEIGHT": "20",
            "Other": "1",
        }
    )
    assert got == {
        "x-mbx-used-weight": [(60, 20)],
        "x-sapi-used-uid-weight": [(1, 18000)],
        "x-sapi-used-ip-weight": [(10, 3)],
    }


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.integers(1, 3000), st.floats(0, 5)), min_size=1, max_size=200),
    st.integers(3000, 20000),
)
def test_limiter_never_lets_an_interval_exceed_the_limit(requests_, limit):
    clock = FakeClock()
    limiter = RateLimiter(clock.time, clock.sleep)
    sent = []
    for weight, gap in requests_:
        clock.t += gap
        limiter.acquire("k", weight, limit, 60)
        sent.append((clock.t, weight))
    for i, (t, _) in enumerate(sent):  # every 60 s window that starts at a request
        assert sum(w for u, w in sent[i:] if u < t + 60) <= limit


def test_a_wait_past_the_workers_deadline_hands_over_as_rate_limited_without_sending():
    fake = FakeBinance(FakeClock())
    fiat = endpoint("fiat.orders")  # UID 90000 of 180000/min: two calls a minute
    client = client_for(fake, limiter=RateLimiter(fake.clock.time, fake.clock.sleep))
    client.deadline = fake.clock.time() + 20  # a worker with 20 s left
    for _ in range(2):
        client.request(fiat, {"transactionType": "0"})
    with pytest.raises(RateLimited) as info:
        client.request(fiat, {"transactionType": "0"})
    assert info.value.deadline and 20 < info.value.retry_after <= 62  # the minute, plus the safety margin
    assert len([s for s in fake.sent if s.path == fiat.path]) == 2  # the third was never sent
    assert client.stats.http_429 == 0  # a hand-over, not Binance refusing
    client.deadline = None  # a fresh worker waits for the minute instead
    client.request(fiat, {"transactionType": "0"})
    assert len([s for s in fake.sent if s.path == fiat.path]) == 3 and fake.over_limit == []


def test_a_shared_buckets_reserve_covers_every_other_worker_the_sync_may_run(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The reserve's floor follows the template's SyncMaxConcurrency (SYNC_MAX_CONCURRENCY), not a
    fixed 32-worker figure: 40 workers on one address need 39 requests' room, capped at 20 %."""
    from binsync.binance.ratelimit import _Bucket

    bucket = _Bucket(limit=6000, interval=60.0)
    bucket.add_mine(0.0, 2000)
    bucket.add_others(0.0, 100)  # someone else drew on it: 1 peer by weight
    monkeypatch.setenv("SYNC_MAX_CONCURRENCY", "40")
    assert bucket.reserve(20) == 39 * 20
    monkeypatch.setenv("SYNC_MAX_CONCURRENCY", "8")
    assert bucket.reserve(20) == 7 * 20
    monkeypatch.setenv("SYNC_MAX_CONCURRENCY", "1000")
    assert bucket.reserve(20) == 1200  # SHARED_RESERVE_MAX of the limit
