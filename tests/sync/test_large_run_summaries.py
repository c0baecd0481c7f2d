"""A heavy account's run summaries do not fit a DynamoDB item: Finish keeps them whole in S3.

Measured on `heavy` (bench, 2026-12-02): a reconciliation of 775,953 bytes and a completeness of
196,559 bytes made Finish's `RunModel.update` fail with `ValidationException: Item size to
update has exceeded the maximum allowed size`, and the sync FAILED after reading its whole
history. These tests give Finish a reconciliation of that size (a row per wallet and asset, as
reconcile_wallets writes them) and check the run succeeds, every reader sees the whole report,
and deleting the connection removes the S3 copies.
"""

from __future__ import annotations

import os
import time
from decimal import Decimal
from typing import Any

import boto3
from binsync.model import Leg, Source, Transaction, transaction_id
from binsync.storage import documents, writer
from binsync.storage.models import ConnectionModel, RunModel, TaskModel
from binsync.sync import finish
from binsync.sync.progress import live_progress

USER, CONN, UID = "user-heavy", "c-heavy", "4242"
ROWS = 4_000  # ~190 bytes each: about 800 KB, the heavy run's size


def _heavy_reconciliation(*_: Any, **__: Any) -> dict[str, Any]:
    results = [{"wallet": f"wallet{n % 9}", "asset": f"COIN{n:05d}", "stored": "1.00000001",
                "live": "1.00000002", "difference": "0.00000001", "status": "difference",
                "cause": "beyond_retention", "cause_words": "older than the API keeps",
                "period": {"from_ms": 1_500_000_000_000, "to_ms": 1_700_000_000_000}}
               for n in range(ROWS)]
    return {"assets": ROWS, "balanced": 0, "differences": ROWS, "not_checked": 0, "wallets": 9,
            "wallets_checked": [f"wallet{n}" for n in range(9)], "wallets_unread": {},
            "complete": False, "results": results, "at": int(time.time() * 1000)}


def _stored_run() -> str:
    now = int(time.time() * 1000)
    ConnectionModel(USER, CONN, binance_uid=UID, secret_name="s", created_at=now).save()
    run_id = f"{now:013d}-ffff0003"
    RunModel(CONN, run_id, user_id=USER, binance_uid=UID, mode="full", status="running",
             started_at=now, window_start=1_500_000_000_000, window_end=now, tasks_total=1).save()
    TaskModel(run_id, "t1", endpoint="wallet.deposits", status="done", records=1).save()
    tx = Transaction(id=transaction_id(UID, "api", "d:1"), account=UID, time_ms=1_600_000_000_000,
                     kind="deposit", legs=(Leg("BTC", Decimal("0.5"), "spot", "in"),),
                     source=Source("api", "wallet.deposits", "d:1", {"id": 1}))
    writer.write_transactions([tx], user_id=USER, run_id=run_id)
    return run_id


def _document_keys() -> list[str]:
    listed = boto3.client("s3").list_object_versions(Bucket=os.environ["UPLOADS_BUCKET"],
                                                     Prefix=documents.connection_prefix(USER, CONN))
    return [v["Key"] for v in listed.get("Versions", [])]


def test_a_heavy_reconciliation_is_kept_whole_and_the_run_succeeds(cloud: Any, monkeypatch: Any) -> None:
    run_id = _stored_run()
    monkeypatch.setattr(finish, "reconcile_connection", _heavy_reconciliation)
    result = finish.finish_run(USER, CONN, run_id, client=object())
    assert result["outcome"] == "succeeded"
    run = RunModel.get(CONN, run_id)
    assert run.status == "succeeded"
    # the item keeps a pointer and the report's counts, not the 800 KB of rows
    assert documents.is_offloaded(run.reconciliation)
    assert run.reconciliation["assets"] == ROWS and "results" not in run.reconciliation
    # every reader gets the whole report back
    view = live_progress(run)
    assert len(view["reconciliation"]["results"]) == ROWS
    assert view["reconciliation"]["results"][17]["asset"] == "COIN00017"
    connection = ConnectionModel.get(USER, CONN)
    assert documents.load(connection.completeness) == view["completeness"]
    assert view["completeness"]["differences_total"] == ROWS  # every explained difference counted


def test_a_retried_finish_rewrites_the_same_object(cloud: Any, monkeypatch: Any) -> None:
    run_id = _stored_run()
    monkeypatch.setattr(finish, "reconcile_connection", _heavy_reconciliation)
    monkeypatch.setattr(time, "time", lambda: 1_800_000_000.0)  # the report's `at` is the same
    finish.finish_run(USER, CONN, run_id, client=object())
    first = sorted(set(_document_keys()))
    finish.finish_run(USER, CONN, run_id, client=object())
    assert sorted(set(_document_keys())) == first  # content-addressed: no new object


def test_deleting_the_connection_removes_its_documents(cloud: Any, monkeypatch: Any) -> None:
    from binsync.connections.lifecycle import delete_connection

    run_id = _stored_run()
    monkeypatch.setattr(finish, "reconcile_connection", _heavy_reconciliation)
    finish.finish_run(USER, CONN, run_id, client=object())
    assert _document_keys()
    monkeypatch.setattr("binsync.connections.secrets.delete_credentials", lambda *_: None)
    delete_connection(USER, CONN)
    assert not _document_keys()


def test_a_large_summary_is_offloaded_with_its_small_fields(cloud: Any) -> None:
    gaps = [{"n": n, "pad": "x" * 100} for n in range(2_000)]
    big = {"state": "gaps_named", "words": "gaps named", "gaps": gaps}
    stored = documents.fit(big, user_id=USER, connection_id=CONN, name="completeness")
    assert stored["state"] == "gaps_named" and "gaps" not in stored
    assert documents.load(stored) == big


def test_small_summaries_stay_on_the_item() -> None:
    small = {"state": "complete", "gaps": []}
    assert documents.fit(small, user_id=USER, connection_id=CONN, name="completeness") is small
    assert documents.load(small) is small


def test_a_finish_failure_is_not_called_a_planning_failure(cloud: Any) -> None:
    run_id = _stored_run()  # planned: it has its task rows
    result = finish.fail_run(USER, CONN, run_id, {"Error": "UpdateError", "Cause": "{}"})
    run = RunModel.get(CONN, run_id)
    assert result["outcome"] == "failed"
    assert "could not be planned" not in run.error["user_message"]
    assert "could not finish" in run.completeness["gaps"][0]["cause"]
