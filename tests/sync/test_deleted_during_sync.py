"""DELETE during a sync (issue 17 item 3): the worker writes nothing more, the run row is not
re-created, the runs' task rows go with the connection."""

from __future__ import annotations

import time
from typing import Any

import pytest
from binsync.binance.client import Page
from binsync.binance.signing import Credentials
from binsync.connections import lifecycle, secrets
from binsync.storage.models import ConnectionModel, RunModel, TaskModel, TransactionModel
from binsync.sync import fetch, progress
from binsync.sync.errors import ConnectionGone

USER, CONN, RUN = "user-a", "c1", "r1"
DEPOSIT = {"id": "d1", "amount": "0.5", "coin": "BTC", "network": "BTC", "status": 1, "address": "a",
           "txId": "t1", "insertTime": 1_700_000_000_000, "transferType": 0, "confirmTimes": "1/1",
           "unlockConfirm": 0, "walletType": 0}


def _setup() -> None:
    name = secrets.store_credentials(USER, CONN, Credentials("k", "s"))
    ConnectionModel(USER, CONN, binance_uid="42", secret_name=name, created_at=int(time.time() * 1000)).save()
    RunModel(CONN, RUN, user_id=USER, binance_uid="42", mode="full", status="running",
             started_at=int(time.time() * 1000)).save()
    TaskModel(RUN, "t-1", endpoint="wallet.deposits", window_start=1_690_000_000_000,
              window_end=1_710_000_000_000).save()


class DeletingClient:
    """A client whose connection is deleted (DELETE /connections/...) before its first page."""

    deadline = None

    def iter_pages(self, *args: Any, **kwargs: Any) -> Any:
        lifecycle.delete_connection(USER, CONN)
        yield Page(rows=[DEPOSIT], cursor=None, request_count=1, weight=1)


def test_a_worker_whose_connection_is_deleted_writes_nothing(cloud: Any) -> None:
    _setup()
    fetch._connections.clear()
    fetch._runs.clear()
    with pytest.raises(ConnectionGone):
        fetch.run_task(USER, CONN, RUN, "t-1", client=DeletingClient())
    assert list(TransactionModel.query(USER)) == []
    assert list(RunModel.query(CONN)) == []  # not re-created by the worker's counters
    assert list(TaskModel.query(RUN)) == []


def test_counters_of_a_deleted_run_do_not_recreate_it(cloud: Any) -> None:
    with pytest.raises(ConnectionGone):
        progress.add(CONN, "gone", records=3)
    assert list(RunModel.query(CONN)) == []


def test_delete_removes_the_runs_task_rows(cloud: Any) -> None:
    _setup()
    lifecycle.delete_connection(USER, CONN)
    assert list(TaskModel.query(RUN)) == [] and list(RunModel.query(CONN)) == []


def _empty_tasks(n: int) -> list[str]:
    ids = [f"m-{i}" for i in range(n)]
    for task_id in ids:
        TaskModel(RUN, task_id, endpoint="wallet.deposits", window_start=1_690_000_000_000,
                  window_end=1_710_000_000_000).save()
    return ids


class EmptyClient:
    """One empty last page per task (a market with no fills); `delete_at`: the task whose walk
    sees the connection deleted."""

    deadline = None

    def __init__(self, delete_at: int | None = None) -> None:
        self.delete_at, self.walks = delete_at, 0

    def iter_pages(self, *args: Any, **kwargs: Any) -> Any:
        if self.walks == self.delete_at:
            lifecycle.delete_connection(USER, CONN)
        self.walks += 1
        yield Page(rows=[], cursor=None, request_count=1, weight=1)


def test_a_batch_of_empty_tasks_checks_the_connection_once(cloud: Any, monkeypatch: Any) -> None:
    """Nothing to write on an empty page: one check for the batch's rows, not one per task
    (1,545 consistent reads of the connection in the reference subset sync)."""
    _setup()
    ids = _empty_tasks(5)
    fetch._connections.clear()
    fetch._runs.clear()
    checks: list[str] = []
    real = fetch._require_connection
    monkeypatch.setattr(fetch, "_require_connection", lambda u, c: (checks.append(c), real(u, c))[1])
    out = fetch.run_batch(USER, CONN, RUN, ids, client=EmptyClient())
    assert out["statuses"] == {"done": 5}
    assert len(checks) == 1
    statuses = {t.task_id: t.status for t in TaskModel.query(RUN)}
    assert statuses == {"t-1": "pending", **dict.fromkeys(ids, "done")}


def test_a_batch_of_empty_tasks_whose_connection_is_deleted_writes_nothing(cloud: Any) -> None:
    _setup()
    ids = _empty_tasks(4)
    fetch._connections.clear()
    fetch._runs.clear()
    with pytest.raises(ConnectionGone):
        fetch.run_batch(USER, CONN, RUN, ids, client=EmptyClient(delete_at=2))
    assert list(RunModel.query(CONN)) == []
    assert list(TaskModel.query(RUN)) == []  # the done tasks' rows are not re-created


def test_a_single_empty_task_whose_connection_is_deleted_writes_nothing(cloud: Any) -> None:
    _setup()
    fetch._connections.clear()
    fetch._runs.clear()
    with pytest.raises(ConnectionGone):
        fetch.run_task(USER, CONN, RUN, "t-1", client=EmptyClient(delete_at=0))
    assert list(TaskModel.query(RUN)) == [] and list(RunModel.query(CONN)) == []
