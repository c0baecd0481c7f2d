"""Issue 16 item 5: a statement event equal to an API event in amounts but minutes away in time is
flagged in the upload report (both ids, the gap) and stored marked `meta.near_duplicate_of`,
never silently as a second event. Within 1 s the merge rule applies instead (test_merge)."""

from __future__ import annotations

from typing import Any

from .helpers import statement
from .test_merge import _write_api, api_tx, ms
from .test_upload import ROWS, _create_upload, _ensure_connection, _items, _report


def _statement_item(kind: str) -> Any:
    return next(i for i in _items() if i.source_kind == "statement" and i.kind == kind)


def test_an_api_event_minutes_away_with_the_same_amounts_is_reported_and_marked(cloud: Any) -> None:
    _ensure_connection()
    deposit = api_tx("deposit:77", ms("2025-02-01 10:03:03.250"), "deposit", ("BTC", "0.05", "spot", "in"))
    other_amount = api_tx("deposit:78", ms("2025-02-01 10:01:00.000"), "deposit",
                          ("BTC", "0.07", "spot", "in"))
    too_far = api_tx("transfer:99", ms("2025-02-13 00:53:45.010"), "transfer",  # 20 minutes away
                     ("USDT", "-500", "spot", "out"), ("USDT", "500", "funding", "in"))
    _write_api([deposit, other_amount, too_far])
    cloud.put_upload(_create_upload("u-1"), statement(ROWS))
    status, report = _report("u-1")
    assert status == "done"
    assert report["merged_as_duplicate"] == 0  # 180 s apart: not the same second, not merged
    stored = _statement_item("deposit")
    assert report["near_duplicate_count"] == 1
    assert report["near_duplicates"] == [{
        "statement_id": stored.tx_id, "api_id": deposit.id, "gap_seconds": 180, "kind": "deposit",
        "time_ms": ms("2025-02-01 10:00:03.000"), "api_time_ms": deposit.time_ms}]
    assert stored.body["meta"]["near_duplicate_of"] == deposit.id
    assert stored.body["meta"]["near_duplicate_gap_s"] == 180
    assert "near_duplicate_of" not in _statement_item("transfer").body.get("meta", {})
    # a re-upload of the same file reports the same pair and changes nothing
    before = sorted((i.sk, str(i.body)) for i in _items())
    cloud.put_upload(_create_upload("u-2"), statement(ROWS))
    _, again = _report("u-2")
    assert again["near_duplicates"] == report["near_duplicates"] and again["imported"] == 0
    assert sorted((i.sk, str(i.body)) for i in _items()) == before


def test_an_exact_twin_merges_and_is_not_also_a_near_duplicate(cloud: Any) -> None:
    _ensure_connection()
    twin = api_tx("deposit:77", ms("2025-02-01 10:00:03.999"), "deposit", ("BTC", "0.05", "spot", "in"))
    _write_api([twin])
    rows = [*ROWS, ("2025-02-01 10:04:03", "Spot", "Deposit", "BTC", "0.05000000")]  # a second deposit
    cloud.put_upload(_create_upload("u-1"), statement(rows))
    _, report = _report("u-1")
    assert report["merged_as_duplicate"] == 1
    assert report["near_duplicate_count"] == 0  # the API deposit has its twin; the later one is new
