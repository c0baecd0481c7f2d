"""32 workers sharing one egress address (AWS does not promise each Lambda its own IP).

Each worker is its own execution environment with its own rate limiter (as separate Lambdas
are), so the only thing telling a worker what its neighbours spent is the used-weight header
Binance returns for the address. The sync must still get every record, and the address is never
banned (HTTP 418: /api bans an IP that keeps sending after a 429 in the same window).
"""

from __future__ import annotations

import pytest
import requests
from binsync.binance import catalogue
from binsync.storage.models import TransactionModel, account_key
from binsync_local.cli.sync_cmd import ProgressBar, allow_base_url, follow_run
from binsync_local.emulator.generator import generate_account
from binsync_local.emulator.server import EmulatorServer

USER = "user-shared-ip"
ONLY = "spot.my_trades,wallet.deposits,wallet.withdrawals"  # /api's shared 6000/min bucket
# The small account's /api weight fits in one Binance minute of 6000: with a Binance whose /api
# budget is 200 (client and emulator both read it from the catalogue) the 32 workers must share it
# for several minutes, which is what a larger account does to the real budget.
API_LIMIT = 200


@pytest.fixture(scope="module")
def account():
    return generate_account("small", 11)


@pytest.fixture
def small_api_budget():
    bucket = catalogue.API_IP  # frozen: changed in place so every endpoint row sees it
    object.__setattr__(bucket, "limit", API_LIMIT)
    yield
    object.__setattr__(bucket, "limit", 6000)


def test_32_workers_on_one_address_get_no_ban_and_every_record(cloud_factory, account, monkeypatch,
                                                               small_api_budget):
    monkeypatch.setenv("SYNC_ONLY_ENDPOINTS", ONLY)
    cloud = cloud_factory(egress_ips=1, egress_workers=32)
    assert cloud.egress.shared and cloud.egress.workers == 32
    server = EmulatorServer(account, time_scale=60).start()
    try:
        allow_base_url(server.base_url)
        creds = server.credentials
        status, _, body = cloud.api_request("POST", "/connections", user=USER, body={
            "api_key": creds["api_key"], "api_secret": creds["api_secret"],
            "base_url": server.base_url, "sync_mode": "full"})
        assert status == 201, body
        run = follow_run(cloud, body["connection_id"], body["current_run"]["run_id"], timeout=300,
                         progress=ProgressBar(False))
        counters = requests.get(f"{server.base_url}/emulator/counters", timeout=10).json()["ips"]
    finally:
        server.stop()
    assert run.status == "succeeded", run.error
    fetches = [(i.started, i.started + i.duration_s) for i in cloud.invocations
               if i.function == "fetch_window"]
    overlap = max(sum(1 for s, e in fetches if s <= t < e) for t, _ in fetches)
    assert overlap > 1  # workers really ran at once on the one address
    sync_ips = {ip: c for ip, c in counters.items() if ip == "127.0.0.2"}
    assert set(sync_ips) == {"127.0.0.2"}
    assert sync_ips["127.0.0.2"]["http_418"] == 0
    assert sync_ips["127.0.0.2"]["http_429"] <= 6  # the limiter before header sharing: 9
    expected = account.truth().api_ids()
    stored: dict[str, set[str]] = {}
    for item in TransactionModel.by_account.query(account_key(USER, str(account.uid))):
        stored.setdefault(item.source_ref, set()).add(item.tx_id)
    for name in ONLY.split(","):
        assert stored.get(name, set()) == expected.get(name, set()), name


# ---- the mechanism, on a virtual clock -----------------------------------------------------------
# The reference profile's 32 x 1 drew 418s that `small` does not reproduce: workers that had spent
# most of the address's /api weight counted few peers (their weight against the others'), and the
# sliding log of a worker fell below the server's fixed-window count between its answers. Here 32
# workers, each with its own RateLimiter (separate Lambdas), send back-to-back weight-20 requests
# to the emulator's own Limiter (fixed windows, a 418 after more than 5 requests in a window that
# already answered 429), in virtual time: deterministic, no sockets, well under a second.

def _simulate_one_address(starts: list[float], *, rtt: float = 0.05, duration: float = 300.0,
                          weight: int = 20) -> dict[str, int]:
    import heapq

    from binsync.binance.ratelimit import RateLimiter, WaitTooLong
    from binsync_local.emulator.limits import Limiter

    bucket = catalogue.API_IP
    now = [0.0]

    def clock() -> float:
        return now[0]

    server = Limiter(1, clock=clock)
    ip, server_key = "127.0.0.2", ("ip", "127.0.0.2", "api", 60)
    key = ("emulator", "ip", ip, "api", 60)
    limiters = [RateLimiter(clock, lambda s: None) for _ in starts]
    events: list[tuple[float, int, int, str, int, float]] = [
        (t, n, i, "try", 0, 0.0) for n, (i, t) in enumerate(enumerate(starts))]
    heapq.heapify(events)
    seq = len(events)
    out = {"sent": 0, "weight": 0, "http_429": 0, "http_418": 0}

    def later(t: float, i: int, kind: str, used: int = 0, retry: float = 0.0) -> None:
        nonlocal seq
        seq += 1
        heapq.heappush(events, (t, seq, i, kind, used, retry))

    while events:
        t, _, i, kind, used, retry = heapq.heappop(events)
        if t > duration:
            break
        now[0] = t
        limiter = limiters[i]
        if kind == "try":
            try:
                limiter.acquire(key, weight, bucket.limit, bucket.interval_s, max_wait=0)
            except WaitTooLong as exc:
                later(t + exc.delay, i, "try")
                continue
            later(t + rtt / 2, i, "arrive")
        elif kind == "arrive":  # the emulator's order: ban check, then the bucket
            out["sent"] += 1
            if server.ban_remaining(ip) > 0 or server.note_request(ip, bucket) > 0:
                out["http_418"] += 1
                later(t + rtt / 2, i, "418", retry=server.ban_remaining(ip))
                continue
            ok, used, retry = server.charge(server_key, bucket, weight)
            if not ok:
                out["http_429"] += 1
                server.note_429(ip, bucket)
            else:
                out["weight"] += weight
            later(t + rtt / 2, i, "200" if ok else "429", used, retry)
        else:  # the answer: what the client does with its headers
            if kind == "418":
                later(t + retry + 0.01, i, "try")
                continue
            limiter.observe(key, used, bucket.limit, bucket.interval_s)
            if kind == "429":
                limiter.block(key, retry, bucket.limit, bucket.interval_s)
            later(t, i, "try")
    return out


@pytest.mark.parametrize("starts", [
    [0.0] * 4 + [30.0] * 28,            # 4 workers spend most of a window, 28 join: few peers seen
    [i * 2.0 for i in range(32)],       # one joins every 2 s: views go stale between answers
], ids=["4-early", "staggered"])
def test_32_workers_sharing_an_address_never_overflow_its_window(starts):
    out = _simulate_one_address(starts)
    assert out["http_418"] == 0
    assert out["http_429"] == 0
    assert out["weight"] >= 0.8 * 5 * 6000  # and not by starving: 5 windows of 6000
