"""Issue 16: events cut by export boundaries whose versions only PARTLY overlap are stored once,
as the union of their distinct rows, whatever the upload order.

Two shapes. A dust batch Binance books over three seconds: one export ends in its middle second,
the next starts there (A: seconds 0-1, B: seconds 1-2). A trade whose second is cut inside
(Binance's exports cut at milliseconds): A holds the spend, buy and fee rows r1 r2 r3, B the buy
and fee r2 r3 and a second fee r4 booked one second later. Each version has a row the other
lacks, so neither is a fragment of the other; storing both counts the shared rows twice.
"""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

import pytest
from binsync.model import Transaction
from binsync.statement.parser import StatementParser
from binsync.statement.union import rebuild

from .helpers import UID, statement
from .test_merge import _write_api, api_tx, ms
from .test_upload import _create_upload, _ensure_connection, _items, _report

D = Decimal
T0, T1, T2 = "2025-06-30 23:59:58", "2025-06-30 23:59:59", "2025-07-01 00:00:00"
DUST = "Small Assets Exchange BNB"
D0 = [(T0, "Spot", DUST, "ADA", "-3.10000000"), (T0, "Spot", DUST, "BNB", "0.00210000")]
D1 = [(T1, "Spot", DUST, "DOGE", "-20.00000000"), (T1, "Spot", DUST, "BNB", "0.00150000")]
D2 = [(T2, "Spot", DUST, "XRP", "-1.50000000"), (T2, "Spot", DUST, "BNB", "0.00120000")]
R1 = (T1, "Spot", "Transaction Spend", "USDT", "-100.00000000")
R2 = (T1, "Spot", "Transaction Buy", "BTC", "0.00100000")
R3 = (T1, "Spot", "Transaction Fee", "BTC", "-0.00000100")
R4 = (T2, "Spot", "Transaction Fee", "BNB", "-0.00001000")
BEFORE = [("2025-06-30 10:00:00", "Spot", "Deposit", "USDT", "1000.00000000")]
AFTER = [("2025-07-01 09:00:00", "Spot", "Deposit", "BTC", "0.50000000")]

SHAPES = {
    "dust over three seconds": (BEFORE + D0 + D1, D1 + D2 + AFTER),
    "trade cut inside its second": ([*BEFORE, R1, R2, R3], [R2, R3, R4, *AFTER]),
}


def _parse(rows: list[tuple[str, ...]]) -> list[Transaction]:
    return StatementParser(uid=UID, source_ref="binance-statement").parse(io.BytesIO(statement(rows)))


def _union(*files: list[tuple[str, ...]]) -> list[tuple[str, ...]]:
    """The distinct rows of several files, in time order: one export holding all of them."""
    seen: dict[tuple[str, ...], None] = {}
    for rows in files:
        seen.update(dict.fromkeys(rows))
    return sorted(seen, key=lambda row: row[0])


def _totals() -> dict[str, Decimal]:
    sums: dict[str, Decimal] = {}
    for item in _items():
        for leg in item.body["legs"]:
            sums[leg["asset"]] = sums.get(leg["asset"], D(0)) + D(leg["amount"])
    return {k: v for k, v in sums.items() if v}


def _change_sums(rows: list[tuple[str, ...]]) -> dict[str, Decimal]:
    sums: dict[str, Decimal] = {}
    for row in rows:
        sums[row[3]] = sums.get(row[3], D(0)) + D(row[4])
    return {k: v for k, v in sums.items() if v}


def _state() -> list[tuple[str, str, tuple[tuple[str, str, str, str], ...], tuple[str, ...]]]:
    """What is stored, without provenance (line numbers differ from file to file)."""
    return sorted((i.tx_id, i.kind, tuple(sorted(tuple(leg.values()) for leg in i.body["legs"])),
                   tuple(i.body["meta"].get("rows") or ())) for i in _items())


def _upload(cloud: Any, upload_id: str, rows: list[tuple[str, ...]]) -> dict[str, Any]:
    cloud.put_upload(_create_upload(upload_id), statement(rows))
    status, report = _report(upload_id)
    assert status == "done", report
    return report


def _full_file_state(rows: list[tuple[str, ...]]) -> list[tuple]:
    return sorted((tx.id, tx.kind, tuple(sorted(tuple(leg.to_dict().values()) for leg in tx.legs)),
                   tuple(tx.meta["rows"])) for tx in _parse(rows))


@pytest.mark.parametrize("shape", list(SHAPES))
def test_partly_overlapping_uploads_store_the_union_in_either_order(cloud_factory: Any, shape: str) -> None:
    first, second = SHAPES[shape]
    full = _union(first, second)
    states = []
    for order in ((first, second), (second, first)):
        cloud = cloud_factory()
        _ensure_connection()
        _upload(cloud, "u-1", order[0])
        report = _upload(cloud, "u-2", order[1])
        # per coin, what is stored sums to the distinct rows of both files: nothing twice
        assert _totals() == _change_sums(full)
        assert report.get("fragments_united") == 1 and report.get("overlaps_not_united") == 0
        statement_events = [i for i in _items() if i.time_ms // 1000 >= 1751320000 and i.kind != "deposit"]
        assert len(statement_events) == 1
        assert sorted(statement_events[0].body["meta"]["united_from"]) == \
            sorted({tx.id for rows in order for tx in _parse(rows) if tx.kind != "deposit"})
        states.append(_state())
        # uploading either file again changes nothing
        again = _upload(cloud, "u-3", first)
        again2 = _upload(cloud, "u-4", second)
        assert again["fragments_already_stored"] == again2["fragments_already_stored"] == 1
        assert again["fragments_united"] == again2["fragments_united"] == 0
        assert _state() == states[-1]
    assert states[0] == states[1]  # A then B == B then A
    assert states[0] == _full_file_state(full)  # == one file holding every row


@pytest.mark.parametrize("shape", list(SHAPES))
def test_the_full_file_after_the_union_changes_nothing(cloud: Any, shape: str) -> None:
    first, second = SHAPES[shape]
    _ensure_connection()
    _upload(cloud, "u-1", first)
    _upload(cloud, "u-2", second)
    united = _state()
    assert _totals() == _change_sums(_union(first, second))
    report = _upload(cloud, "u-3", _union(first, second))
    assert report["imported"] == 0 and report.get("fragments_united") == 0
    assert _state() == united


def test_the_union_merges_with_the_api_record_of_the_whole_batch(cloud: Any) -> None:
    first, second = SHAPES["dust over three seconds"]
    _ensure_connection()
    _write_api([api_tx("dust:4242", ms("2025-06-30 23:59:58.500"), "dust",
                       ("ADA", "-3.1", "spot", "out"), ("DOGE", "-20", "spot", "out"),
                       ("XRP", "-1.5", "spot", "out"), ("BNB", "0.0048", "spot", "in"))])
    _upload(cloud, "u-1", first)  # a part of the batch: no API twin
    report = _upload(cloud, "u-2", second)
    assert _totals() == _change_sums(_union(first, second))
    dust = [i for i in _items() if i.kind == "dust"]
    assert [i.source_kind for i in dust] == ["api"] and dust[0].merged_from
    assert report.get("fragments_united") == 1 and report["merged_earlier_uploads"] == 1


@pytest.mark.parametrize("newest_first", [False, True])
@pytest.mark.parametrize("shape", list(SHAPES))
def test_rebuild_is_what_the_parser_makes_of_all_the_rows(shape: str, newest_first: bool) -> None:
    first, second = SHAPES[shape]
    def parse(rows: list[tuple[str, ...]]) -> list[Transaction]:
        return [tx for tx in _parse(list(reversed(rows)) if newest_first else rows) if tx.kind != "deposit"]
    (a,), (b,), (full,) = parse(first), parse(second), parse(_union(first, second))
    for versions in ([a, b], [b, a]):
        (built,) = rebuild(versions)
        assert (built.id, built.kind, built.legs, built.meta["rows"]) == \
            (full.id, full.kind, full.legs, full.meta["rows"])
        assert len(built.source.raw) == len(full.source.raw)


def test_rebuild_gives_up_without_raw_rows() -> None:
    first, second = SHAPES["dust over three seconds"]
    a = next(tx for tx in StatementParser(uid=UID, keep_raw=False).parse(io.BytesIO(statement(first)))
         if tx.kind == "dust")
    b = next(tx for tx in _parse(second) if tx.kind == "dust")
    assert rebuild([a, b]) is None
