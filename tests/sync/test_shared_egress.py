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
