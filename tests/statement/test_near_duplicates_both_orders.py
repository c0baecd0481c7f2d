"""Issue 16 item 5, both orders: near-duplicates are flagged whether the statement is uploaded
before or after the sync stores the API records, with the same pairs, marks and stored items.

The sync side runs for real (fetch.run_task writing a page of `wallet.deposits` rows, Finish
listing the pairs in the run's report); only the Binance client is a stub yielding the page."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from binsync.binance.client import ClientStats, Page
from binsync.storage.models import RunModel
from binsync.sync import fetch, finish
from binsync.sync.progress import live_progress
from binsync.sync.tasks import TaskSpec, save_tasks

from .helpers import UID, statement
from .test_merge import ms
from .test_upload import CONN, USER, _create_upload, _ensure_connection, _items, _report

BTC = "0.05000000"
ROWS = [
    ("2025-02-01 10:00:03", "Spot", "Deposit", "BTC", BTC),  # S1: 180 s before A1
    ("2025-02-01 10:02:00", "Spot", "Deposit", "BTC", BTC),  # S2: 30 s before A2, 63 s before A1
    ("2025-02-01 11:00:00", "Spot", "Deposit", "BTC", BTC),  # S3: A3's exact twin (merged)
    ("2025-02-01 11:03:00", "Spot", "Deposit", "BTC", BTC),  # S4: A3 merged S3, so no pair
    ("2025-02-01 12:00:00", "Spot", "Deposit", "BTC", "0.07000000"),  # S5: no API event of its amount
]
API = {"A1": "2025-02-01 10:03:03.250", "A2": "2025-02-01 10:02:30.000", "A3": "2025-02-01 11:00:00.500",
       "A5": "2025-02-01 12:02:00.000"}  # A5: 0.05 BTC, not S5's amount


def _deposit(name: str) -> dict[str, Any]:
    t = ms(API[name])
    return {"id": f"dep-{name}", "amount": "0.05", "coin": "BTC", "network": "BTC", "status": 1,
            "address": "bc1x", "txId": f"tx-{name}", "insertTime": t, "completeTime": t, "transferType": 0,
            "walletType": 0, "confirmTimes": "1/1", "unlockConfirm": 0}


class StubClient:
    def __init__(self, pages: list[Page]):
        self.pages = pages
        self.stats = ClientStats()

    def iter_pages(self, *_: Any, **__: Any):
        yield from self.pages


def _sync(run_id: str) -> dict[str, Any]:
    """One run with one deposits task; Finish's report as GET /connections/{id} shows it."""
    run_id = f"{run_id}-{uuid.uuid4().hex[:8]}"  # fetch caches "no file items" per run id
    RunModel(CONN, run_id, user_id=USER, binance_uid=UID, mode="full", started_at=ms(API["A1"]),
             coverage={}).save()
    spec = TaskSpec("wallet.deposits", ms("2025-02-01 00:00:00.000"), ms("2025-02-02 00:00:00.000"))
    save_tasks(run_id, [spec])
    client = StubClient([Page([_deposit(n) for n in API], None, 1, 1)])
    fetch.run_task(USER, CONN, run_id, spec.task_id, client=client)
    finish.finish_run(USER, CONN, run_id, client=client)
    return live_progress(RunModel.get(CONN, run_id))


def _statement_ids() -> dict[str, str]:
    """S1.. -> statement transaction id, by the row's time (ids are deterministic)."""
    import io

    from binsync.statement.parser import StatementParser

    parsed = StatementParser(uid=UID, expected_uid=UID, source_ref="binance-statement").parse(
        io.BytesIO(statement(ROWS)))
    return {f"S{i + 1}": tx.id for i, tx in enumerate(sorted(parsed, key=lambda tx: tx.time_ms))}


def _pairs(entries: list[dict[str, Any]]) -> set[tuple[str, str, int]]:
    return {(e["statement_id"], e["api_id"], e["gap_seconds"]) for e in entries}


def _stored() -> list[tuple[str, str, Any, tuple[str, ...]]]:
    return sorted((i.sk, i.source_kind, i.body.get("meta", {}).get("near_duplicate_of"),
                   tuple(i.merged_from or [])) for i in _items())


def _expected() -> set[tuple[str, str, int]]:
    s, a = _statement_ids(), _api_ids_by_time()
    return {(s["S2"], a["A2"], 30), (s["S1"], a["A1"], 180)}  # nearest first: S2-A2, then S1-A1


def _api_ids_by_time() -> dict[str, str]:
    from binsync.normalise import normalise

    by_time = {tx.time_ms: tx.id for tx in
               normalise("wallet.deposits", [_deposit(n) for n in API], uid=UID, context={}).transactions}
    return {name: by_time[ms(text)] for name, text in API.items()}


def _put(cloud: Any, upload_id: str) -> dict[str, Any]:
    cloud.put_upload(_create_upload(upload_id), statement(ROWS))
    status, report = _report(upload_id)
    assert status == "done", report
    return report


@pytest.fixture
def connection(cloud: Any) -> Any:
    _ensure_connection()
    return cloud


def test_api_first_then_the_statement_reports_the_nearest_pairs(connection: Any) -> None:
    run = _sync("r-1")
    assert run["near_duplicate_count"] == 0  # nothing from a file yet
    report = _put(connection, "u-1")
    assert report["merged_as_duplicate"] == 1  # S3, A3's exact twin
    assert report["near_duplicate_count"] == 2
    assert _pairs(report["near_duplicates"]) == _expected()
    marks = {m for _, kind, m, _ in _stored() if kind == "statement" and m}
    assert marks == {api for _, api, _ in _expected()}


def test_statement_first_then_the_sync_reports_the_same_pairs(connection: Any) -> None:
    report = _put(connection, "u-1")
    assert report["near_duplicate_count"] == 0  # no API data yet
    run = _sync("r-1")
    assert run["status"] == "succeeded"
    assert run["near_duplicate_count"] == 2
    assert _pairs(run["near_duplicates"]) == _expected()
    first = _stored()
    marks = {m for _, kind, m, _ in first if kind == "statement" and m}
    assert marks == {api for _, api, _ in _expected()}
    # a resync finds the same pairs again and rewrites nothing
    again = _sync("r-2")
    assert _pairs(again["near_duplicates"]) == _expected()
    assert _stored() == first
    # and a re-upload of the same file afterwards agrees
    assert _pairs(_put(connection, "u-2")["near_duplicates"]) == _expected()
    assert _stored() == first


def test_both_orders_leave_the_same_items(cloud: Any) -> None:
    """Same items, marks and merges whichever source arrived first (two fresh accounts)."""
    from binsync.storage.models import TransactionModel

    _ensure_connection()
    _put(cloud, "u-1")
    _sync("r-1")
    statement_first = _stored()
    for item in TransactionModel.query(USER):
        item.delete()
    _sync("r-2")
    _put(cloud, "u-2")
    assert _stored() == statement_first
    assert len([s for s in statement_first if s[1] == "statement"]) == 4  # S3 merged into A3
