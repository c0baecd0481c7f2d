"""Finish reads the account's stored items once: the run's counts (`first_run`) and the
reconciliation's sums come from the same pass (reconcile_wallets.stored_ledger)."""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

from binsync.model import Leg, Source, Transaction, transaction_id
from binsync.storage import writer
from binsync.storage.models import ConnectionModel, RunModel, TaskModel
from binsync.sync import finish
from binsync.sync.progress import stored_counts
from binsync.sync.reconcile_wallets import stored_ledger
from pynamodb.connection.table import TableConnection

USER, CONN, UID = "user-a", "c1", "42"


def _tx(n: int, endpoint: str, amount: str) -> Transaction:
    return Transaction(id=transaction_id(UID, "api", f"{endpoint}:{n}"), account=UID,
                       time_ms=1_600_000_000_000 + n, kind="deposit",
                       legs=(Leg("BTC", Decimal(amount), "spot", "in"),),
                       source=Source("api", endpoint, f"{endpoint}:{n}", {"id": n}))


def _stored_run() -> str:
    now = int(time.time() * 1000)
    ConnectionModel(USER, CONN, binance_uid=UID, secret_name="s", created_at=now).save()
    run_id = f"{now:013d}-ffff0002"
    RunModel(CONN, run_id, user_id=USER, binance_uid=UID, mode="full", status="running",
             started_at=now, window_start=1_500_000_000_000, window_end=now).save()
    TaskModel(run_id, "t1", endpoint="wallet.deposits", status="done", records=3).save()
    writer.write_transactions([_tx(1, "wallet.deposits", "0.5")], user_id=USER, run_id="an-earlier-run")
    writer.write_transactions([_tx(n, "wallet.deposits", "1.25") for n in range(2, 5)], user_id=USER,
                              run_id=run_id)
    return run_id


def test_the_runs_counts_come_from_the_same_pass_as_the_sums(cloud: Any) -> None:
    run_id = _stored_run()
    ledger = stored_ledger(USER, UID, run_id=run_id)
    assert ledger.run_counts == stored_counts(USER, UID, run_id) == {"wallet": 3}
    assert ledger.balances == {("spot", "BTC"): Decimal("4.25")}
    assert ledger.first_ms == 1_600_000_000_001


def test_finish_queries_the_accounts_items_once(cloud: Any, monkeypatch: Any) -> None:
    run_id = _stored_run()
    queries: list[str | None] = []
    real = TableConnection.query

    def query(self: Any, *args: Any, **kwargs: Any) -> Any:
        if self.table_name == writer._table_name():
            queries.append(kwargs.get("index_name"))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(TableConnection, "query", query)
    # A client that cannot read live balances: reconciliation reports its error, Finish succeeds.
    result = finish.finish_run(USER, CONN, run_id, client=object())
    assert result["outcome"] == "succeeded"
    run = RunModel.get(CONN, run_id)
    assert run.counts == {"wallet": 3} and int(run.records) == 3
    assert queries.count("by_account") == 1
