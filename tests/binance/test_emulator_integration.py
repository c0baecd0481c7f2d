"""The client syncs endpoints of the emulator (local/binsync_local/emulator) completely: every
reachable record once, no 429, signed with the emulator's key, paced at a compressed time scale."""

from __future__ import annotations

from collections import Counter

import pytest
from binsync.binance.catalogue import ENDPOINTS
from binsync.binance.client import BinanceClient
from binsync.binance.errors import CredentialsInvalid
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


@pytest.mark.parametrize("kind", ["ed25519", "rsa"])
def test_asymmetric_keys_are_accepted_by_the_emulator(emu, kind):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

    server, account = emu
    key = ed25519.Ed25519PrivateKey.generate() if kind == "ed25519" else rsa.generate_private_key(65537, 2048)
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    api_key = server.add_key(kind, public_key_pem=public).api_key
    client = BinanceClient(
        Credentials(api_key, private, key_type=kind), server.base_url, limiter=RateLimiter()
    )
    body = client.request("account.spot", {"omitZeroBalances": "true"})
    assert body["uid"] == account.uid
    rows = [r for page in client.iter_pages("wallet.deposits", start_ms=account.opened_ms) for r in page.rows]
    assert Counter(key_of("wallet.deposits", r) for r in rows) == expected(account, "wallet.deposits")


def test_sync_survives_5xx_429_storms_and_a_skewed_server_clock():
    faults = emulator.Faults(error_rate=0.15, storm_rate=0.05, clock_skew_ms=25_000, seed=3)
    account = generator.generate_account("small", seed=12)
    with emulator.EmulatorServer(account, time_scale=TIME_SCALE, faults=faults) as server:
        creds = server.credentials
        client = BinanceClient(
            Credentials(creds["api_key"], creds["api_secret"]),
            server.base_url,
            limiter=RateLimiter(),
            max_retries=8,
        )
        for name in ("wallet.deposits", "wallet.dividends", "convert.trade_flow"):
            rows = walk_all(client, name, account.opened_ms)
            assert Counter(key_of(name, r) for r in rows) == expected(account, name), name
        assert client.stats.retries > 0
        assert abs(client.offset_ms - 25_000) < 2_000


def test_a_revoked_key_fails_fast_with_credentials_invalid():
    account = generator.generate_account("small", seed=13)
    with emulator.EmulatorServer(
        account, time_scale=TIME_SCALE, faults=emulator.Faults(revoke_after=5)
    ) as server:
        creds = server.credentials
        client = BinanceClient(
            Credentials(creds["api_key"], creds["api_secret"]), server.base_url, limiter=RateLimiter()
        )
        with pytest.raises(CredentialsInvalid) as info:
            for _ in client.iter_pages("wallet.deposits", start_ms=account.opened_ms, checkpoint_every=1):
                pass
        assert info.value.code in (-2014, -2015)
        assert client.stats.retries == 0
