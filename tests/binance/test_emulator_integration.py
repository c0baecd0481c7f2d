"""The client syncs endpoints of the emulator (local/binsync_local/emulator) completely: every
reachable record once, no 429, signed with the emulator's key, paced at a compressed time scale."""

from __future__ import annotations

from collections import Counter

import pytest
from binsync.binance.catalogue import ENDPOINTS
from binsync.binance.client import BinanceClient
from binsync.binance.ratelimit import RateLimiter
from binsync.binance.signing import Credentials

emulator = pytest.importorskip("binsync_local.emulator.server")
generator = pytest.importorskip("binsync_local.emulator.generator")
retention = pytest.importorskip("binsync_local.emulator.retention")

TIME_SCALE = 60
MINUTE_MS = 60_000


@pytest.fixture(scope="module")
def emu():
    account = generator.generate_account("small", seed=11)
    with emulator.EmulatorServer(account, time_scale=TIME_SCALE) as server:
        yield server, account


@pytest.fixture
def client(emu):
    server, _ = emu
    creds = server.credentials
    return BinanceClient(
        Credentials(creds["api_key"], creds["api_secret"]),
        server.base_url,
        limiter=RateLimiter(),
        source_address="127.0.0.5",
    )


def key_of(name, row):
    return tuple(str(row.get(f)) for f in ENDPOINTS[name].id_fields)


def expected(account, name, since_ms=None):
    recs = retention.reachable_records(account, name, account.now_ms)
    return Counter(key_of(name, r.raw) for r in recs if since_ms is None or r.time_ms >= since_ms)


def walk_all(client, name, start_ms, **kw):
    ep = ENDPOINTS[name]
    rows = []
    for params in [dict(v) for v in ep.variants] or [{}]:
        for page in client.iter_pages(
            name, start_ms=start_ms, params={**params, **kw.get("params", {})}, symbol=kw.get("symbol")
        ):
            rows.extend(page.rows)
    return rows


@pytest.mark.parametrize(
    "name",
    [
        "wallet.deposits",
        "wallet.withdrawals",
        "fiat.orders",
        "fiat.payments",
        "convert.trade_flow",
        "wallet.dividends",
        "pay.transactions",
        "rebates.tax_query",
    ],
)
def test_endpoint_is_synced_completely(emu, client, name):
    _, account = emu
    rows = walk_all(client, name, account.opened_ms)
    want = expected(account, name)
    # A record right at a retention edge may fall on either side of the client's safety margin;
    # everything else must match exactly.
    got = Counter(key_of(name, r) for r in rows)
    assert want, f"the emulated account has no {name} records: the test would prove nothing"
    edge = ENDPOINTS[name].retention_ms
    if edge:
        floor = account.now_ms - edge + 2 * MINUTE_MS
        assert set(expected(account, name, since_ms=floor)) <= set(got) <= set(want)
    else:
        assert got == want
    assert sum(got.values()) == len(set(got))  # no duplicates
    assert client.stats.http_429 == 0 and client.stats.http_418 == 0
    assert client.time_scale == TIME_SCALE


def test_spot_trades_per_symbol_through_the_fromid_chain(emu, client):
    _, account = emu
    recs = retention.reachable_records(account, "spot.my_trades", account.now_ms)
    symbols = sorted({r.raw["symbol"] for r in recs})[:4]
    assert symbols
    for symbol in symbols:
        rows = [row for page in client.iter_pages("spot.my_trades", symbol=symbol) for row in page.rows]
        want = Counter(key_of("spot.my_trades", r.raw) for r in recs if r.raw["symbol"] == symbol)
        assert Counter(key_of("spot.my_trades", r) for r in rows) == want
    assert client.stats.http_429 == 0


def test_futures_income_within_the_horizon(emu, client):
    _, account = emu
    rows = walk_all(client, "usdm.income", None)
    floor = account.now_ms - ENDPOINTS["usdm.income"].retention_ms + 2 * MINUTE_MS
    got = Counter(key_of("usdm.income", r) for r in rows)
    assert set(expected(account, "usdm.income", since_ms=floor)) <= set(got)
    assert max(got.values(), default=1) == 1


def test_resume_from_a_checkpoint_against_the_emulator(emu, client):
    _, account = emu
    name = "wallet.deposits"
    first = []
    cursor = None
    for i, page in enumerate(client.iter_pages(name, start_ms=account.opened_ms, checkpoint_every=1)):
        first.extend(page.rows)
        cursor = page.cursor
        if i == 2:
            break
    assert cursor is not None
    rest = [row for page in client.iter_pages(name, cursor=cursor) for row in page.rows]
    assert Counter(key_of(name, r) for r in first + rest) == expected(account, name)
