"""Margin (cross and isolated), USD-M and COIN-M fills and mining, end to end on `small` (issue 14).

The emulator, the real API handler, state machine and handlers. Pairs and symbols are what the
planner discovers through the API (margin all-pairs + margin account, isolated account, futures
exchangeInfo + positions); the only user input is the mining account, which no endpoint lists
(spec §5.11). Stored records are compared per endpoint with the emulator's ground truth: every
record the API can return, exactly once, nothing else.
"""

from __future__ import annotations

import json

import pytest
from binsync.binance.catalogue import ENDPOINTS
from binsync.model import transaction_id
from binsync.storage.models import RunModel, TaskModel, TransactionModel, account_key
from binsync_local.cli.sync_cmd import ProgressBar, allow_base_url, follow_run, register_key
from binsync_local.emulator.generator import generate_account
from binsync_local.emulator.server import EmulatorServer

USER = "user-products"
CHECKED = ("wallet.universal_transfer", "margin.my_trades", "margin.borrow_repay", "margin.interest",
           "margin.liquidations",
           "margin.transfers", "margin.capital_flow", "usdm.user_trades", "usdm.income",
           "coinm.user_trades", "coinm.income", "mining.payments", "mining.other", "mining.account_earnings")


@pytest.fixture(params=[7, 13], ids=lambda seed: f"seed{seed}")
def account(request):
    return generate_account("small", request.param)


def _stored(account) -> dict[str, list[str]]:
    by_endpoint: dict[str, list[str]] = {}
    for item in TransactionModel.by_account.query(account_key(USER, str(account.uid))):
        body = item.body if isinstance(item.body, dict) else json.loads(item.body)
        refs = {item.source_ref} | {s["ref"] for s in body["meta"].get("sources") or []}
        for ref in refs:  # one record reported by two endpoints names both (storage/api_sources.py)
            by_endpoint.setdefault(ref, []).append(item.tx_id)
    return by_endpoint


def test_margin_futures_and_mining_are_stored_exactly_once_from_discovered_scopes(cloud, account,
                                                                                  monkeypatch):
    monkeypatch.setenv("SYNC_ONLY_ENDPOINTS", ",".join(CHECKED))
    server = EmulatorServer(account, time_scale=60).start()
    try:
        allow_base_url(server.base_url)
        creds = server.credentials
        status, _, body = cloud.api_request("POST", "/connections", user=USER, body={
            "api_key": creds["api_key"], "api_secret": creds["api_secret"], "base_url": server.base_url,
            "sync_mode": "full", "mining_accounts": [{"userName": account.mining_user, "algo": "sha256"}]})
        assert status == 201, body
        assert body["mining_accounts"] == [{"userName": account.mining_user, "algo": "sha256"}]
        run = follow_run(cloud, body["connection_id"], body["current_run"]["run_id"], timeout=300,
                         progress=ProgressBar(False))
        assert run.status == "succeeded", run.error
        first_run = run
        # The weekly resync: the ledger covers every window the first run exported, so none is
        # exported again (weight 1000, 5 a month); only the windows the quota left unread are
        # asked for again, and this month's spent quota leaves them named gaps, not failures.
        first_windows = {(t.endpoint, t.window_start) for t in TaskModel.query(first_run.run_id)
                         if t.endpoint.endswith("_export")}
        requests_before = dict(server.state.exports.used)
        status, _, sync = cloud.api_request("POST", f"/connections/{body['connection_id']}/syncs", user=USER,
                                            body={"mode": "incremental"})
        assert status == 202, sync
        resync = follow_run(cloud, body["connection_id"], sync["run_id"], timeout=300,
                            progress=ProgressBar(False))
        assert resync.status == "succeeded", resync.error
        assert server.state.exports.used == requests_before
        again = [t for t in TaskModel.query(resync.run_id) if t.endpoint.endswith("_export")]
        assert not {(t.endpoint, t.window_start) for t in again} & first_windows
        assert all(t.status == "done" and t.error["incomplete"]["cause"] == "export_quota" for t in again)
    finally:
        server.stop()
    run = first_run

    expected = account.truth().api_ids()
    stored = _stored(account)
    for name in CHECKED:
        ids = stored.get(name, [])
        assert len(ids) == len(set(ids)), f"{name}: duplicates"
        want = expected.get(name, set())
        assert set(ids) == want, f"{name}: {len(want - set(ids))} missing, {len(set(ids) - want)} extra"
    for name in ("margin.my_trades", "margin.borrow_repay", "usdm.user_trades", "coinm.user_trades",
                 "mining.payments", "mining.other", "mining.account_earnings"):
        assert expected.get(name), f"the account has no {name} records: the test proves nothing"

    # History past the live horizons (USD-M income 3 months, fills 6 months) came from the
    # asynchronous exports, once each (the export and the live walk overlap on nothing twice).
    tasks = list(TaskModel.query(run.run_id))
    for live, export in (("usdm.income", "usdm.income_export"), ("usdm.user_trades", "usdm.trades_export")):
        horizon = account.now_ms - ENDPOINTS[live].retention_ms
        old = {transaction_id(str(account.uid), "api", r.native_key) for r in account.records(live)
               if r.time_ms < horizon and r.completed}
        assert old, f"the account has no {live} record past the horizon: the test proves nothing"
        assert old <= set(stored[live]), f"{live}: {len(old - set(stored[live]))} old records missing"
        exports = [t for t in tasks if t.endpoint == export]
        assert exports and all(t.status == "done" for t in exports)
        # Only the part the live endpoint cannot reach: up to its horizon at plan time.
        assert max(t.window_end for t in exports) == run.window_end - ENDPOINTS[live].retention_ms - 1
        assert len(exports) <= ENDPOINTS[export].extra["monthly_quota"]
    # COIN-M income has no documented horizon: the live walk reads it all, no export is needed.
    assert not [t for t in tasks if t.endpoint == "coinm.income_export"]
    assert expected["coinm.income"] == set(stored["coinm.income"])

    # The scopes came from the API: the isolated pass names the isolated pairs, fills are asked
    # per pair and isIsolated, and no symbol list was given.
    tasks = list(TaskModel.query(run.run_id))
    isolated = {t.params.get("isolatedSymbol") for t in tasks if t.endpoint == "margin.borrow_repay"} - {None}
    iso_trades = {r.raw["symbol"] for r in account.records("margin.my_trades") if r.part[1]}
    assert isolated == iso_trades
    asked = {(t.symbol, t.params.get("isIsolated")) for t in tasks if t.endpoint == "margin.my_trades"}
    assert {(r.raw["symbol"], "TRUE" if r.part[1] else "FALSE")
            for r in account.records("margin.my_trades")} <= asked
    # The isolated universal-transfer types name the discovered pairs (Binance requires them).
    iso_variants = {(t.params.get("fromSymbol"), t.params.get("toSymbol")) for t in tasks
                    if t.endpoint == "wallet.universal_transfer" and "ISOLATED" in t.params["type"]}
    assert iso_variants and all(s in iso_trades for pair in iso_variants for s in pair if s)
    # A transfer both histories report is one record naming both (when the seed has one within
    # the universal transfer's 6-month horizon; tests/sync/test_silent_loss.py covers the rule).
    shared = expected.get("wallet.universal_transfer", set()) & expected.get("margin.transfers", set())
    assert all(stored["wallet.universal_transfer"].count(i) == 1 for i in shared)
    run = RunModel.get(run.connection_id, run.run_id)
    assert run.coverage["margin"]["complete"] is True and run.coverage["usdm"]["complete"] is True
    assert run.coverage["margin"]["scopes"]["margin_isolated"]["walked"] == len(iso_trades)
    # The capital flow agrees with the margin fills and loans over its 90-day horizon.
    check = run.reconciliation["margin_capital_flow"]
    assert check["agrees"] is True, check


def test_an_export_still_processing_is_handed_back_to_the_state_machine_and_resumed(cloud, monkeypatch):
    """Binance builds the file for minutes: the task does not hold a Lambda idle. It checkpoints
    the download id, hands back a retryable error, and the state machine's retry polls the same
    id: one request of the monthly quota per window, the old records stored once."""
    from binsync.sync import exports

    account = generate_account("small", 13)
    monkeypatch.setenv("SYNC_ONLY_ENDPOINTS", "usdm.income,usdm.user_trades")
    monkeypatch.setattr(exports, "POLL_BUDGET_S", 0.2)  # poll once, then hand back
    server = EmulatorServer(account, time_scale=60).start()
    server.state.exports.ready_after_s = 3600.0
    server.state.exports.ready_after_polls = 3  # processing twice: two hand-backs
    try:
        allow_base_url(server.base_url)
        creds = server.credentials
        body = register_key(cloud, base_url=server.base_url, api_key=creds["api_key"],
                            api_secret=creds["api_secret"], key_type="hmac", mode="full", user=USER)
        run = follow_run(cloud, body["connection_id"], body["current_run"]["run_id"], timeout=300,
                         progress=ProgressBar(False))
        used = sum(server.state.exports.used.values())
    finally:
        server.stop()
    assert run.status == "succeeded", [(t.task_id, t.attempts, t.error) for t in TaskModel.query(run.run_id)
                                       if t.status != "done"]
    export_tasks = [t for t in TaskModel.query(run.run_id) if t.endpoint.endswith("_export")]
    assert export_tasks and all(t.status == "done" for t in export_tasks)
    assert all(int(t.attempts or 0) == 3 for t in export_tasks)  # handed back twice, then done
    assert used == len(export_tasks)  # the retry polled the checkpointed id, no new request
    assert int(RunModel.get(run.connection_id, run.run_id).http_429 or 0) == 0  # not a rate limit
    expected = account.truth().api_ids()
    stored = _stored(account)
    for name in ("usdm.income", "usdm.user_trades"):
        assert sorted(stored.get(name, [])) == sorted(expected[name]), name
