"""The real state machine on the embedded cloud, with an in-process fake Binance client.

Covers the workflow itself (inline and distributed Map, retries from checkpoints, failure
paths, idempotent re-runs, start rules); tests/sync/test_sync_emulator.py covers the wire.
"""

from __future__ import annotations

import json

import pytest
from binsync.binance.errors import CredentialsInvalid, InvalidRequest, TransientError
from binsync.model import transaction_id
from binsync.storage.models import (
    AnnotationModel,
    ConnectionModel,
    RunModel,
    TaskModel,
    TransactionModel,
    account_key,
)
from binsync.sync import plan
from binsync.sync.errors import SyncAlreadyRunning
from binsync.sync.start import start_sync

from .fakes import DEPOSITS, GONE, NOW, TRADES, FakeBinance, connect

UID = "777"
USER = "user-a"
ENDPOINTS = "wallet.deposits,spot.my_trades,wallet.withdrawals,convert.trade_flow"


def _expected_ids() -> set[str]:
    ids = {transaction_id(UID, "api", f"deposit:{r['id']}") for r in DEPOSITS}
    for symbol, rows in TRADES.items():
        ids |= {transaction_id(UID, "api", f"spot_trade:{symbol}:{r['id']}") for r in rows}
    return ids


@pytest.fixture
def env(cloud, monkeypatch):
    fake = FakeBinance()
    connect(monkeypatch, fake, user=USER, uid=UID, only_endpoints=ENDPOINTS)
    return cloud, fake


def _sync(cloud, mode="full", **kw):
    run = start_sync(USER, "c1", mode, "test", **kw)
    describe = cloud.wait_execution(run.execution_arn, timeout=120)
    return RunModel.get("c1", run.run_id), describe


def _stored() -> list[TransactionModel]:
    return list(TransactionModel.by_account.query(account_key(USER, UID)))


def test_full_sync_stores_every_record_once_and_a_second_sync_adds_nothing(env):
    cloud, fake = env
    run, describe = _sync(cloud)
    assert describe["status"] == "SUCCEEDED", describe
    assert run.status == "succeeded"
    stored = _stored()
    ids = [item.tx_id for item in stored]
    assert len(ids) == len(set(ids)) and set(ids) == _expected_ids()
    assert run.records == len(ids) and run.tasks_done == run.tasks_total > 0
    assert run.counts["wallet"] == len(DEPOSITS)
    assert run.counts["spot"] == sum(len(rows) for rows in TRADES.values())
    assert {("spot.my_trades", s) for s in ("BTCUSDT", "ETHBTC", "OLDBTC", GONE)} <= set(fake.calls)
    # The removed market is reported as beyond the API's reach, not as a failure.
    assert any(b.get("symbol") == GONE for b in run.beyond_retention)
    assert run.reconciliation and "differences" in run.reconciliation
    assert ConnectionModel.get(USER, "c1").last_success_window_end == NOW
    # Payloads carry ids only: the plan output holds task ids, never records.
    history = cloud.execution_history(run.execution_arn)
    assert max(len(json.dumps(e, default=str)) for e in history) < 20_000

    note = AnnotationModel(account_key(USER, UID), ids[0], user_id=USER, label="gift", note="keep me",
                           updated_at=NOW)
    note.save()
    second, describe = _sync(cloud)
    assert describe["status"] == "SUCCEEDED"
    assert second.records == 0
    assert sorted(item.tx_id for item in _stored()) == sorted(ids)
    kept = AnnotationModel.get(account_key(USER, UID), ids[0])
    assert (kept.label, kept.note) == ("gift", "keep me")


def test_large_plans_use_the_distributed_map_reading_task_ids_from_s3(env, monkeypatch):
    cloud, _ = env
    monkeypatch.setattr(plan, "INLINE_MAX_TASKS", 3)
    monkeypatch.setattr(plan, "BATCH_TASKS", 2)
    run, describe = _sync(cloud)
    assert describe["status"] == "SUCCEEDED", describe
    key = f"plans/{run.run_id}.json"
    items = json.loads(cloud.client("s3").get_object(Bucket=cloud.uploads_bucket, Key=key)["Body"].read())
    task_ids = [task_id for item in items for task_id in item]
    assert len(task_ids) == len(set(task_ids)) == run.tasks_total > 3
    # One-market tasks travel two to an item, a UID-bucket endpoint's tasks in one item, the
    # other tasks FULL_OTHER_BATCH to an item.
    by_endpoint = {}
    for item in items:
        by_endpoint.setdefault(item[0].split("|")[0], []).append(len(item))
    assert max(by_endpoint["spot.my_trades"]) == 2
    assert by_endpoint["convert.trade_flow"] == [run.coverage["convert"]["tasks"]]
    assert 1 < max(by_endpoint["wallet.deposits"]) <= plan.FULL_OTHER_BATCH
    assert cloud.client("stepfunctions").list_map_runs(executionArn=run.execution_arn)["mapRuns"]
    assert {item.tx_id for item in _stored()} == _expected_ids()


def test_transient_failures_resume_from_the_checkpoint(env):
    cloud, fake = env
    # BTCUSDT fails after its first page (10 fills stored and checkpointed), deposits at once.
    fake.fail_once["spot.my_trades:BTCUSDT"] = (TransientError, 1)
    fake.fail_once["wallet.deposits"] = (TransientError, 0)
    run, describe = _sync(cloud)
    assert describe["status"] == "SUCCEEDED", describe
    assert {item.tx_id for item in _stored()} == _expected_ids()
    task = next(t for t in TaskModel.query(run.run_id) if t.symbol == "BTCUSDT")
    assert task.attempts == 2 and task.status == "done" and task.records == len(TRADES["BTCUSDT"])
    assert fake.cursors["spot.my_trades:BTCUSDT"] == [None, {"pos": 10}]  # the retry resumed


def test_a_task_that_keeps_failing_fails_the_run_and_a_rerun_completes_it(env):
    cloud, fake = env
    fake.fail_always["spot.my_trades:BTCUSDT"] = TransientError
    run, describe = _sync(cloud)
    assert describe["status"] == "FAILED" and describe["error"] == "SyncIncomplete"
    assert run.status == "failed" and run.error["type"] == "SyncIncomplete"
    partial = {item.tx_id for item in _stored()}
    assert partial < _expected_ids()

    fake.fail_always.clear()
    rerun, describe = _sync(cloud)
    assert describe["status"] == "SUCCEEDED", describe
    final = [item.tx_id for item in _stored()]
    assert len(final) == len(set(final)) and set(final) == _expected_ids()
    assert rerun.records == len(_expected_ids()) - len(partial)


def test_a_broken_market_fails_alone_its_batch_mates_complete(env, monkeypatch):
    cloud, fake = env
    monkeypatch.setattr(plan, "BATCH_TASKS", 50)  # every market in one Map item
    fake.fail_always["spot.my_trades:BTCUSDT"] = InvalidRequest  # not retryable
    run, describe = _sync(cloud)
    assert describe["status"] == "FAILED" and describe["error"] == "SyncIncomplete"
    tasks = {t.symbol: t for t in TaskModel.query(run.run_id) if t.endpoint == "spot.my_trades"}
    assert tasks["BTCUSDT"].status == "failed" and tasks["BTCUSDT"].error["type"] == "InvalidRequest"
    assert all(t.status == "done" for s, t in tasks.items() if s != "BTCUSDT")
    expected = _expected_ids() - {transaction_id(UID, "api", f"spot_trade:BTCUSDT:{r['id']}")
                                  for r in TRADES["BTCUSDT"]}
    assert {item.tx_id for item in _stored()} == expected


def test_a_batch_saves_its_finished_tasks_before_a_retry_so_the_retry_skips_them(env, monkeypatch):
    cloud, fake = env
    monkeypatch.setattr(plan, "BATCH_TASKS", 50)  # every market in one Map item
    markets = sorted({*fake.known_markets, GONE})  # the plan's order
    stopper = markets[-1]  # the batch's last market: every other one is done when it stops
    fake.fail_once[f"spot.my_trades:{stopper}"] = (TransientError, 0)  # retryable: stops the batch
    run, describe = _sync(cloud)
    assert describe["status"] == "SUCCEEDED", describe
    tasks = {t.symbol: t for t in TaskModel.query(run.run_id) if t.endpoint == "spot.my_trades"}
    assert set(tasks) == set(markets) and all(t.status == "done" for t in tasks.values())
    calls = [symbol for endpoint, symbol in fake.calls if endpoint == "spot.my_trades"]
    for symbol in markets[:-1]:  # saved as done when the batch stopped: not fetched again
        assert calls.count(symbol) == 1 and tasks[symbol].attempts == 1, symbol
    assert calls.count(stopper) == 2 and tasks[stopper].attempts == 2
    assert tasks["BTCUSDT"].records == len(TRADES["BTCUSDT"]) and tasks["BTCUSDT"].cursor is None
    assert run.tasks_done == run.tasks_total  # each task counted once
    assert {item.tx_id for item in _stored()} == _expected_ids()


def test_invalid_credentials_fail_the_execution_with_a_readable_cause(env):
    cloud, fake = env
    fake.fail_always["wallet.deposits"] = CredentialsInvalid
    run, describe = _sync(cloud)
    assert describe["status"] == "FAILED" and describe["error"] == "CredentialsInvalid"
    cause = json.loads(describe["cause"])
    assert cause["connection_id"] == "c1" and cause["user_id"] == USER and cause["run_id"] == run.run_id
    assert cause["type"] == "CredentialsInvalid" and cause["user_message"]
    assert run.status == "failed" and run.error["type"] == "CredentialsInvalid"


def test_one_running_sync_per_connection_and_idempotent_starts(env):
    cloud, _ = env
    RunModel("c1", "0000000000001-aaaa", user_id=USER, binance_uid=UID, mode="full", status="planning",
             started_at=NOW * 2).save()  # started "now" from the run's point of view, no execution yet
    with pytest.raises(SyncAlreadyRunning):
        start_sync(USER, "c1", "full", "test")
    RunModel("c1", "0000000000001-aaaa").delete()

    first = start_sync(USER, "c1", "incremental", "schedule", idempotency_key="sched-1",
                       scheduled_time="2026-05-28T03:00:00Z")
    again = start_sync(USER, "c1", "incremental", "schedule", idempotency_key="sched-1",
                       scheduled_time="2026-05-28T03:00:00Z")
    assert again.run_id == first.run_id
    cloud.wait_execution(first.execution_arn, timeout=120)
    executions = cloud.client("stepfunctions").list_executions(stateMachineArn=cloud.state_machine_arn)
    assert len(executions["executions"]) == 1
