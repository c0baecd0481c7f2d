"""End to end on the `small` profile: emulator (HTTP, signing, limits, faults) + embedded cloud
(real API handler, real state machine, real handlers) against the account's ground truth.

The sync is restricted (SYNC_ONLY_ENDPOINTS) to the products issue 5 guarantees, which keeps
the suite fast; `binsync demo` runs every endpoint.
"""

from __future__ import annotations

import pytest
from binsync.storage.models import AnnotationModel, RunModel, TaskModel, TransactionModel, account_key
from binsync.sync import fetch, markets
from binsync_local.cli.sync_cmd import ProgressBar, allow_base_url, follow_run
from binsync_local.emulator.faults import Faults
from binsync_local.emulator.generator import generate_account
from binsync_local.emulator.server import EmulatorServer

USER = "user-e2e"
CHECKED = ("spot.my_trades", "wallet.deposits", "wallet.withdrawals", "fiat.orders", "fiat.payments",
           "convert.trade_flow", "wallet.dust")


@pytest.fixture(scope="module")
def account():
    return generate_account("small", 11)


@pytest.fixture
def sync_env(cloud, account, monkeypatch):
    monkeypatch.setenv("SYNC_ONLY_ENDPOINTS", ",".join(CHECKED))
    servers = []

    def emulator(faults: Faults | None = None) -> EmulatorServer:
        server = EmulatorServer(account, time_scale=60, faults=faults).start()
        servers.append(server)
        allow_base_url(server.base_url)
        return server

    yield cloud, emulator
    for server in servers:
        server.stop()


def _register(cloud, server) -> tuple[str, str]:
    creds = server.credentials
    status, _, body = cloud.api_request("POST", "/connections", user=USER, body={
        "api_key": creds["api_key"], "api_secret": creds["api_secret"], "base_url": server.base_url,
        "sync_mode": "full"})
    assert status == 201, body
    return body["connection_id"], body["current_run"]["run_id"]


def _wait(cloud, connection_id: str, run_id: str) -> tuple[RunModel, dict]:
    run = follow_run(cloud, connection_id, run_id, timeout=300, progress=ProgressBar(False))
    return run, cloud.client("stepfunctions").describe_execution(executionArn=run.execution_arn)


def _resync(cloud, connection_id: str) -> tuple[RunModel, dict]:
    status, _, body = cloud.api_request("POST", f"/connections/{connection_id}/syncs", user=USER,
                                        body={"mode": "full"})
    assert status == 202, body
    return _wait(cloud, connection_id, body["run_id"])


def _stored(account) -> dict[str, list[str]]:
    by_endpoint: dict[str, list[str]] = {}
    for item in TransactionModel.by_account.query(account_key(USER, str(account.uid))):
        by_endpoint.setdefault(item.source_ref, []).append(item.tx_id)
    return by_endpoint


def _assert_matches_truth(account) -> None:
    expected = account.truth().api_ids()
    stored = _stored(account)
    for name in CHECKED:
        ids = stored.get(name, [])
        assert len(ids) == len(set(ids)), f"{name}: duplicates"
        assert set(ids) == expected.get(name, set()), f"{name}: stored != every record the API can return"
    assert set(stored) <= set(CHECKED)


def test_full_sync_stores_every_record_once_and_a_resync_adds_nothing(sync_env, account):
    cloud, emulator = sync_env
    server = emulator()
    # A market removed since an earlier sync saw it: still asked for, answers -1121, reported.
    removed = account.removed_symbols
    assert removed
    markets.merge_and_save({m.symbol: {"base": m.base, "quote": m.quote, "status": "TRADING"}
                            for m in account.markets if m.symbol in removed})
    connection_id, run_id = _register(cloud, server)
    run, describe = _wait(cloud, connection_id, run_id)
    assert describe["status"] == "SUCCEEDED", describe
    assert run.status == "succeeded" and run.tasks_done == run.tasks_total
    _assert_matches_truth(account)
    assert {b.get("symbol") for b in run.beyond_retention} >= removed
    # Every listed market is asked for, BREAK ones included (no narrowing, no user-picked list).
    asked = {t.symbol for t in TaskModel.query(run.run_id) if t.endpoint == "spot.my_trades"}
    assert asked >= {m.symbol for m in account.markets if m.status in ("TRADING", "BREAK")}
    assert any(m.status == "BREAK" for m in account.markets)
    assert run.requests > 0 and run.weight > 0 and sum(run.counts.values()) == run.records
    # Live progress is what the API shows.
    status, _, view = cloud.api_request("GET", f"/connections/{connection_id}", user=USER)
    assert status == 200 and view["current_run"]["status"] == "succeeded"

    first = _stored(account)
    some_id = first["spot.my_trades"][0]
    AnnotationModel(account_key(USER, str(account.uid)), some_id, user_id=USER, label="income",
                    note="between two syncs", updated_at=1).save()
    run2, describe = _resync(cloud, connection_id)
    assert describe["status"] == "SUCCEEDED"
    assert run2.records == 0
    assert _stored(account) == first
    note = AnnotationModel.get(account_key(USER, str(account.uid)), some_id)
    assert (note.label, note.note) == ("income", "between two syncs")


def test_faults_and_a_killed_task_then_a_rerun_give_the_fault_free_data(sync_env, account, monkeypatch):
    cloud, emulator = sync_env
    # 5xx on 3% of requests and a 429 storm: retried by the client and the state machine.
    server = emulator(Faults(error_rate=0.03, storm_after=40, storm_requests=25, seed=3))
    # A worker dies once in the middle of the spot tasks, before storing a page of fills.
    real_write = fetch.write_transactions
    state = {"writes": 0, "killed": False}

    def dying_write(transactions, **kw):
        if transactions and transactions[0].source.ref == "spot.my_trades" and not state["killed"]:
            state["writes"] += 1
            if state["writes"] == 2:  # this page of fills is lost with the worker
                state["killed"] = True
                raise RuntimeError("worker killed mid-task")
        return real_write(transactions, **kw)

    monkeypatch.setattr(fetch, "write_transactions", dying_write)
    connection_id, run_id = _register(cloud, server)
    run, describe = _wait(cloud, connection_id, run_id)
    assert state["killed"]
    assert describe["status"] == "FAILED" and describe["error"] == "SyncIncomplete", describe
    assert run.status == "failed" and run.http_429 > 0

    monkeypatch.setattr(fetch, "write_transactions", real_write)
    rerun, describe = _resync(cloud, connection_id)
    assert rerun.status == "succeeded" and rerun.records > 0
    assert describe["status"] == "SUCCEEDED", describe
    _assert_matches_truth(account)
