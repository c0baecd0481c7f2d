"""Server behaviour Binance clients rely on: signing, keys, permissions, timing, windows,
pagination, retention, exchangeInfo filters, limits and headers, source IPs, faults."""

from __future__ import annotations

import base64
import json
import time
from urllib.parse import quote, urlencode

import pytest
import requests
from binsync.binance import catalogue
from binsync_local.emulator import EmulatorServer, Faults
from binsync_local.emulator.retention import export_reachable_records, reachable_records
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa
from emulator_support import Signed

DAY = 86_400_000


def test_hmac_signature_is_case_insensitive_and_checked(server, signed):
    ok = signed.get("/api/v3/account")
    assert ok.status_code == 200
    body = ok.json()
    assert body["uid"] == server.account.uid and body["accountType"] == "SPOT"
    spot = server.account.truth().spot_balances()
    assert {b["asset"]: b["free"] for b in body["balances"] if b["free"] != "0.00000000"} == {
        a: f"{v:.8f}" for a, v in spot.items()
    }
    # Upper-case hex signature accepted (HMAC is case-insensitive); a wrong one is -1022 / 400.
    params = urlencode({"timestamp": int(time.time() * 1000)})
    import hashlib
    import hmac as hm

    sig = hm.new(server.credentials["api_secret"].encode(), params.encode(), hashlib.sha256).hexdigest()
    h = {"X-MBX-APIKEY": server.credentials["api_key"]}
    assert (
        requests.get(
            f"{server.base_url}/api/v3/account?{params}&signature={sig.upper()}", headers=h
        ).status_code
        == 200
    )
    wrong = sig[:-1] + ("1" if sig[-1] != "1" else "2")
    bad = requests.get(f"{server.base_url}/api/v3/account?{params}&signature={wrong}", headers=h)
    assert (bad.status_code, bad.json()["code"]) == (400, -1022)
    # The signature covers the exact bytes: a parameter changed after signing fails.
    tampered = requests.get(
        f"{server.base_url}/api/v3/account?{params}&omitZeroBalances=true&signature={sig}", headers=h
    )
    assert tampered.json()["code"] == -1022


def test_unknown_missing_and_revoked_keys(server, signed):
    assert requests.get(f"{server.base_url}/api/v3/account?timestamp=1&signature=x").json()["code"] == -2014
    other = Signed(server.base_url, "nope", "nope")
    r = other.get("/api/v3/account")
    assert (r.status_code, r.json()["code"]) == (401, -2015)
    # The second key of the same uid works, and stays valid when the first is revoked.
    k2 = server.second_key
    second = Signed(server.base_url, k2.api_key, k2.secret)
    assert second.get("/api/v3/account").json()["uid"] == server.account.uid
    requests.post(f"{server.base_url}/emulator/keys/{server.credentials['api_key']}/revoke")
    try:
        r = signed.get("/sapi/v1/account/apiRestrictions")
        assert (r.status_code, r.json()["code"]) == (401, -2015)
        assert second.get("/sapi/v1/account/apiRestrictions").status_code == 200
    finally:
        requests.post(
            f"{server.base_url}/emulator/keys/{server.credentials['api_key']}/revoke", json={"revoked": False}
        )


@pytest.mark.parametrize("kind", ["rsa", "ed25519"])
def test_asymmetric_keys_verify_base64_url_encoded(server, kind):
    priv = rsa.generate_private_key(65537, 2048) if kind == "rsa" else ed25519.Ed25519PrivateKey.generate()
    pem = (
        priv.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    key = server.add_key(kind, pem)
    q = urlencode({"timestamp": int(time.time() * 1000), "recvWindow": 5000})
    raw = (
        priv.sign(q.encode(), padding.PKCS1v15(), hashes.SHA256()) if kind == "rsa" else priv.sign(q.encode())
    )
    sig = quote(base64.b64encode(raw).decode(), safe="")
    h = {"X-MBX-APIKEY": key.api_key}
    assert requests.get(f"{server.base_url}/api/v3/account?{q}&signature={sig}", headers=h).status_code == 200
    wrong = base64.b64encode(bytes(len(raw))).decode()
    r = requests.get(f"{server.base_url}/api/v3/account?{q}&signature={quote(wrong, safe='')}", headers=h)
    assert r.json()["code"] == -1022


def test_timestamp_and_recv_window(server, signed):
    r = signed.get("/api/v3/account", ts_offset_ms=-10_000)
    assert r.json() == {"code": -1021, "msg": "Timestamp for this request is outside of the recvWindow."}
    r = signed.get("/api/v3/account", ts_offset_ms=5_000)
    assert r.json()["msg"] == "Timestamp for this request was 1000ms ahead of the server's time."
    assert signed.get("/api/v3/account", ts_offset_ms=-10_000, recvWindow=20_000).status_code == 200
    assert signed.get("/api/v3/account", recvWindow=70_000).json()["code"] == -1102
    r = requests.get(
        f"{server.base_url}/api/v3/account?signature=x",
        headers={"X-MBX-APIKEY": server.credentials["api_key"]},
    )
    assert r.json()["code"] == -1102
    # Clock skew (admin): the server runs 10 s ahead, the same timestamp is now stale.
    requests.post(f"{server.base_url}/emulator/clock", json={"skew_ms": 10_000})
    try:
        assert signed.get("/api/v3/account").json()["code"] == -1021
        assert (
            abs(
                requests.get(f"{server.base_url}/api/v3/time").json()["serverTime"]
                - int(time.time() * 1000)
                - 10_000
            )
            < 2_000
        )
    finally:
        requests.post(f"{server.base_url}/emulator/clock", json={"skew_ms": 0})


def test_futures_need_enable_futures(server, signed):
    assert signed.get("/fapi/v1/income").status_code == 200
    key = server.credentials["api_key"]
    requests.post(f"{server.base_url}/emulator/keys/{key}/permissions", json={"enableFutures": False})
    try:
        r = signed.get("/fapi/v1/income")
        assert (r.status_code, r.json()["code"]) == (401, -2015)
        assert signed.get("/sapi/v1/capital/deposit/hisrec").status_code == 200
        assert signed.get("/sapi/v1/account/apiRestrictions").json()["enableFutures"] is False
    finally:
        requests.post(f"{server.base_url}/emulator/keys/{key}/permissions", json={"enableFutures": True})


def test_required_params_windows_and_symbols(server, signed):
    acct = server.account
    assert signed.get("/api/v3/myTrades").json()["code"] == -1102
    traded = next(m.symbol for m in acct.markets if m.traded and m.status == "TRADING")
    now = int(time.time() * 1000)
    r = signed.get("/api/v3/myTrades", symbol=traded, startTime=now - DAY, endTime=now)
    assert r.json() == {"code": -1127, "msg": "More than 24 hours between startTime and endTime."}
    assert (
        signed.get("/api/v3/myTrades", symbol=traded, startTime=now - DAY + 1, endTime=now).status_code == 200
    )
    assert (
        signed.get("/api/v3/myTrades", symbol=traded, fromId=1, startTime=now - 1000).json()["code"] == -1128
    )
    removed = next(iter(acct.removed_symbols))
    assert signed.get("/api/v3/myTrades", symbol=removed).json() == {"code": -1121, "msg": "Invalid symbol."}
    brk = next(m.symbol for m in acct.markets if m.status == "BREAK")
    assert len(signed.get("/api/v3/myTrades", symbol=brk, fromId=0).json()) > 0
    assert signed.get("/sapi/v1/convert/tradeFlow").json()["code"] == -1102
    r = signed.get("/sapi/v1/capital/deposit/hisrec", startTime=now - 90 * DAY, endTime=now)
    assert r.json()["code"] == -1127
    assert signed.get("/sapi/v1/asset/transfer").json()["code"] == -1102  # type is required


def test_pagination_kinds_follow_the_catalogue(server, signed):
    acct = server.account
    sym, recs = max(
        (
            (s, [r for r in acct.records("spot.my_trades") if r.part == (s,)])
            for s in {r.part[0] for r in acct.records("spot.my_trades")} - acct.removed_symbols
        ),
        key=lambda x: len(x[1]),
    )
    ids = [r.cursor for r in recs]
    page = signed.get("/api/v3/myTrades", symbol=sym, fromId=ids[1], limit=3).json()
    assert [t["id"] for t in page] == ids[1:4]  # fromId inclusive, ascending
    default = signed.get("/api/v3/myTrades", symbol=sym).json()  # most recent `default` rows
    ep = catalogue.endpoint("spot.my_trades")
    assert [t["id"] for t in default] == ids[-ep.default_page_size :]
    # current/size with total (universal transfer), descending margin borrow-repay.
    ut = [r for r in acct.truth().api_records("wallet.universal_transfer") if r.part == ("MAIN_UMFUTURE",)]
    if ut:
        lo = ut[0].time_ms
        body = signed.get(
            "/sapi/v1/asset/transfer",
            type="MAIN_UMFUTURE",
            startTime=lo,
            endTime=lo + 30 * DAY - 1,
            size=1,
            current=1,
        ).json()
        assert body["total"] >= 1 and len(body["rows"]) == 1
    # Exclusive capital-flow cursor.
    flows = acct.truth().api_records("margin.capital_flow")
    if len(flows) > 2:
        f0 = flows[0]
        body = signed.get(
            "/sapi/v1/margin/capital-flow",
            fromId=f0.cursor,
            startTime=f0.time_ms,
            endTime=f0.time_ms + 7 * DAY - 1,
        ).json()
        assert body and all(r["id"] > f0.cursor for r in body)
    # Convert: window-only with limit and moreData.
    conv = acct.records("convert.trade_flow")
    c0 = conv[0].time_ms
    body = signed.get("/sapi/v1/convert/tradeFlow", startTime=c0, endTime=c0 + 30 * DAY - 1, limit=1).json()
    n_in = sum(1 for r in conv if c0 <= r.time_ms <= c0 + 30 * DAY - 1)
    assert len(body["list"]) == 1 and body["moreData"] is (n_in > 1)
    assert isinstance(body["list"][0]["orderId"], int) and body["list"][0]["orderId"] > 2**53


def test_retention_horizons(server, signed):
    acct = server.account
    truth = acct.truth()
    for name in ("usdm.income", "wallet.universal_transfer", "margin.interest", "p2p.orders"):
        ep = catalogue.endpoint(name)
        reach = reachable_records(acct, name, acct.now_ms)  # what the live endpoint serves
        assert all(r.time_ms >= acct.now_ms - ep.retention_ms for r in reach), name
        # A full sync also reaches what the asynchronous export holds (USD-M income, spec §5.6.2).
        exported = {id(r) for r in export_reachable_records(acct, name, acct.now_ms)}
        assert {id(r) for r in truth.api_records(name)} == {id(r) for r in reach} | exported, name
    # Dust: only the last N records (catalogue), only after the catalogue's earliest date.
    ep = catalogue.endpoint("wallet.dust")
    body = signed.get("/sapi/v1/asset/dribblet").json()
    assert body["total"] <= ep.retention_records
    assert all(d["operateTime"] >= ep.earliest_ms for d in body["userAssetDribblets"])


def test_exchange_info_filters(server):
    acct = server.account
    base = server.base_url
    default = {s["symbol"] for s in requests.get(f"{base}/api/v3/exchangeInfo").json()["symbols"]}
    hidden = {m.symbol for m in acct.markets if m.permission_sets == (("TRD_GRP_004",),)}
    assert hidden and not hidden & default
    perms = quote(json.dumps(["SPOT", "MARGIN", "LEVERAGED", "TRD_GRP_004"]))
    everything = {
        s["symbol"] for s in requests.get(f"{base}/api/v3/exchangeInfo?permissions={perms}").json()["symbols"]
    }
    assert hidden <= everything
    brk = requests.get(f"{base}/api/v3/exchangeInfo?symbolStatus=BREAK").json()["symbols"]
    assert brk and {s["status"] for s in brk} == {"BREAK"}
    assert not acct.removed_symbols & everything
    r = requests.get(f"{base}/api/v3/exchangeInfo?symbol={next(iter(acct.removed_symbols))}")
    assert r.json()["code"] == -1121
    rl = requests.get(f"{base}/api/v3/exchangeInfo").json()["rateLimits"]
    assert rl == [
        {
            "rateLimitType": "REQUEST_WEIGHT",
            "interval": "SECOND",
            "intervalNum": 1,
            "limit": catalogue.BUCKETS["api"].limit,
        }
    ]


def test_weight_headers_429_and_418_on_api(live_small):
    ep = catalogue.endpoint("spot.exchange_info")
    limit = ep.bucket.limit
    with EmulatorServer(live_small) as srv:
        url = f"{srv.base_url}/api/v3/exchangeInfo?symbol=BTCUSDT"
        s = requests.Session()
        statuses, last_used = [], 0
        for _ in range(3 * limit // ep.weight):
            r = s.get(url)
            statuses.append(r.status_code)
            if r.status_code == 200:
                last_used = int(r.headers["X-MBX-USED-WEIGHT-1M"])
                assert last_used % ep.weight == 0 and r.headers["X-MBX-USED-WEIGHT"] == str(last_used)
            else:
                break
        assert statuses[-1] == 429 and last_used + ep.weight > limit
        assert int(r.headers["Retry-After"]) >= 1 and r.json()["code"] == -1003
        # Keeping on after a 429 gets the IP banned (418) on /api.
        more = [s.get(url) for _ in range(8)]
        assert [x.status_code for x in more].count(418) >= 1
        ban = next(x for x in more if x.status_code == 418)
        assert int(ban.headers["Retry-After"]) >= 60 and "banned until" in ban.json()["msg"]
        c = srv.counters()["ips"]["127.0.0.1"]
        assert c["http_429"] >= 1 and c["http_418"] >= 1
        requests.post(f"{srv.base_url}/emulator/reset")
        assert s.get(url).status_code == 200


def test_sapi_never_bans_and_buckets_are_per_endpoint_and_per_ip(live_small):
    with EmulatorServer(live_small) as srv:
        c = srv.credentials
        a = Signed(c["base_url"], c["api_key"], c["api_secret"], source="127.0.0.2")
        b = Signed(c["base_url"], c["api_key"], c["api_secret"], source="127.0.0.3")
        ep = catalogue.endpoint("earn.flexible_rewards")
        codes = []
        for _ in range(3 * ep.bucket.limit // ep.weight):
            r = a.get(ep.path, type="REALTIME")
            codes.append(r.status_code)
            if r.status_code == 429:
                break
        assert codes[-1] == 429 and "Retry-After" in r.headers and r.json()["code"] == -1003
        codes = [a.get(ep.path, type="REALTIME").status_code for _ in range(8)]
        assert set(codes) == {429}  # never 418 on /sapi
        # Another IP, and another endpoint on the same IP, have their own buckets.
        r = b.get(ep.path, type="REALTIME")
        assert r.status_code == 200 and int(r.headers["X-SAPI-USED-IP-WEIGHT-1M"]) == ep.weight
        assert a.get("/sapi/v1/capital/deposit/hisrec").status_code == 200
        ips = srv.counters()["ips"]
        assert ips["127.0.0.2"]["http_429"] >= 9 and ips["127.0.0.2"]["http_418"] == 0
        assert ips["127.0.0.3"]["http_429"] == 0


def test_uid_bucket_shared_by_keys_and_ips(live_small):
    with EmulatorServer(live_small) as srv:
        c = srv.credentials
        k2 = srv.second_key
        a = Signed(c["base_url"], c["api_key"], c["api_secret"], source="127.0.0.2")
        b = Signed(c["base_url"], k2.api_key, k2.secret, source="127.0.0.3")
        ep = catalogue.endpoint("fiat.orders")
        per_window = ep.bucket.limit // ep.weight
        calls = [a, b] * per_window + [a]
        codes = [x.get(ep.path, transactionType="0").status_code for x in calls]
        assert codes[:per_window] == [200] * per_window and codes[per_window] == 429
        r = b.get(ep.path, transactionType="0")
        assert r.status_code == 429 and "Retry-After" in r.headers
        assert r.headers["X-SAPI-USED-UID-WEIGHT-1M"] == str(per_window * ep.weight)


def test_time_scale_renames_headers_and_rate_limits(live_small):
    with EmulatorServer(live_small, time_scale=10) as srv:
        r = requests.get(f"{srv.base_url}/api/v3/exchangeInfo?symbol=BTCUSDT")
        assert "X-MBX-USED-WEIGHT-6S" in r.headers
        assert r.json()["rateLimits"][0] | {"limit": 0} == {
            "rateLimitType": "REQUEST_WEIGHT",
            "interval": "SECOND",
            "intervalNum": 6,
            "limit": 0,
        }


def test_faults_5xx_storm_revocation(live_small):
    faults = Faults(error_rate=0.5, seed=3)
    with EmulatorServer(live_small, faults=faults) as srv:
        codes = {requests.get(f"{srv.base_url}/api/v3/time").status_code for _ in range(40)}
        assert codes == {200, 500, 503}
    with EmulatorServer(live_small, faults=Faults(storm_after=3, storm_requests=2)) as srv:
        codes = [requests.get(f"{srv.base_url}/api/v3/time").status_code for _ in range(6)]
        assert codes == [200, 200, 429, 429, 200, 200]
    faults = Faults(revoke_after=2)
    with EmulatorServer(live_small, faults=faults) as srv:
        c = srv.credentials
        s = Signed(c["base_url"], c["api_key"], c["api_secret"])
        assert [s.get("/sapi/v1/account/apiRestrictions").status_code for _ in range(4)] == [
            200,
            200,
            401,
            401,
        ]
    live_small.keys[0].revoked = False


def test_faults_hang_latency_and_permission_change(live_small):
    with (
        EmulatorServer(live_small, faults=Faults(timeout_rate=1.0, hang_s=0.5)) as srv,
        pytest.raises(requests.ReadTimeout),
    ):
        requests.get(f"{srv.base_url}/api/v3/time", timeout=0.1)
    with EmulatorServer(live_small, faults=Faults(latency_ms=150)) as srv:
        t0 = time.perf_counter()
        assert requests.get(f"{srv.base_url}/api/v3/time").status_code == 200
        assert time.perf_counter() - t0 >= 0.15
    faults = Faults(permissions_after=1, permissions={"enableFutures": False})
    with EmulatorServer(live_small, faults=faults) as srv:
        c = srv.credentials
        s = Signed(c["base_url"], c["api_key"], c["api_secret"])
        try:
            assert [s.get("/fapi/v1/income").status_code for _ in range(3)] == [200, 401, 401]
        finally:
            live_small.keys[0].restrictions["enableFutures"] = True


def test_time_scale_must_divide_60(live_small):
    with pytest.raises(ValueError):
        EmulatorServer(live_small, time_scale=7)
