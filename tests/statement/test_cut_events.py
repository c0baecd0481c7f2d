"""Issue 16 item 3, across files: an event cut by an export boundary is stored once, completed by
the file that holds all of it, whatever the upload order. A trade at 23:59:59 whose fee row is at
00:00:00 of the next day; yearly exports cut it after the trade rows or start at the fee row."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from .helpers import statement
from .test_upload import _create_upload, _ensure_connection, _items, _report

D = Decimal
BEFORE = [("2024-12-31 10:00:00", "Spot", "Deposit", "USDT", "1000.00000000")]
TRADE = [("2024-12-31 23:59:59", "Spot", "Transaction Spend", "USDT", "-100.00000000"),
         ("2024-12-31 23:59:59", "Spot", "Transaction Buy", "BTC", "0.00100000")]
FEE = [("2025-01-01 00:00:00", "Spot", "Transaction Fee", "BTC", "-0.00000100")]
AFTER = [("2025-01-02 09:00:00", "Spot", "Deposit", "BTC", "0.50000000")]

YEAR_2024 = BEFORE + TRADE  # ends at 23:59:59: the fee row is in the next export
FROM_2025 = FEE + AFTER  # starts at the fee row: a fee-only fragment
OVERLAPPING = TRADE + FEE + AFTER  # an export of 2024-12-31 .. 2025: the whole event


def _totals() -> dict[str, Decimal]:
    sums: dict[str, Decimal] = {}
    for item in _items():
        for leg in item.body["legs"]:
            sums[leg["asset"]] = sums.get(leg["asset"], D(0)) + D(leg["amount"])
    return {k: v for k, v in sums.items() if v}


def _union_change_sums(*files: list[tuple[str, ...]]) -> dict[str, Decimal]:
    sums: dict[str, Decimal] = {}
    for row in {row for rows in files for row in rows}:  # each row once, however many files hold it
        sums[row[3]] = sums.get(row[3], D(0)) + D(row[4])
    return {k: v for k, v in sums.items() if v}


def _upload(cloud: Any, upload_id: str, rows: list[tuple[str, ...]]) -> dict[str, Any]:
    cloud.put_upload(_create_upload(upload_id), statement(rows))
    status, report = _report(upload_id)
    assert status == "done", report
    return report


def _trade_events() -> list[Any]:
    return [i for i in _items() if i.source_kind == "statement" and i.time_ms // 1000 >= 1735689599
            and i.time_ms // 1000 <= 1735689600]


def test_full_file_first_then_cut_files_keep_the_full_event(cloud: Any) -> None:
    _ensure_connection()
    _upload(cloud, "u-1", OVERLAPPING)
    second = _upload(cloud, "u-2", YEAR_2024)  # cut after the trade rows: same id, must not win
    third = _upload(cloud, "u-3", FROM_2025)  # the fee row alone: a fragment, not a second event
    assert second["fragments_already_stored"] == 1 and third["fragments_already_stored"] == 1
    events = _trade_events()
    assert len(events) == 1 and {leg["asset"] for leg in events[0].body["legs"]} == {"USDT", "BTC"}
    assert _totals() == _union_change_sums(OVERLAPPING, YEAR_2024, FROM_2025)
    assert _totals()["BTC"] == D("0.500999")  # not doubled


def test_cut_files_first_then_the_full_file_completes_the_event(cloud: Any) -> None:
    _ensure_connection()
    _upload(cloud, "u-1", YEAR_2024)
    _upload(cloud, "u-2", FROM_2025)
    full = _upload(cloud, "u-3", OVERLAPPING)
    assert full["fragments_completed"] == 2  # the trade-only and the fee-only versions
    events = _trade_events()
    assert len(events) == 1 and len(events[0].body["meta"]["rows"]) == 3
    assert _totals() == _union_change_sums(YEAR_2024, FROM_2025, OVERLAPPING)
    assert _totals()["BTC"] == D("0.500999")
