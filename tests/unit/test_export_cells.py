"""Every export is safe in any spreadsheet and says what it leaves out (issues 17 and 18).

Hostile values reach exports from Binance records and uploaded files: a coin, a Waltio
"ID Externe", an address, a transaction hash. Each text cell starting with = + - @ must be
inert (a leading '), amounts must stay numbers, and a transaction with no legs must appear
(transactions.csv, with `detail_of`) or be counted with its reason (Waltio).
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from binsync.model import Leg, Source, Transaction
from binsync.statement.waltio import write_waltio_csv
from binsync.transactions.export import TRANSACTIONS_HEADER, Annotated, Omitted, transactions_csv, waltio_csv

HOSTILE = ("=HYPERLINK(\"http://x\",\"y\")", "@SUM(1+1)", "+1+1", "-2+3")


def hostile_transactions() -> list[Transaction]:
    deposit = Transaction(
        id="=1+1", account="354937868", time_ms=1_700_000_000_000, kind="deposit",
        legs=(Leg(HOSTILE[0], Decimal("1.5"), "spot", "in"),),
        source=Source("statement", "@upload", native_id="+42"),
        description="deposit", meta={"address": HOSTILE[1], "tx_hash": HOSTILE[2]})
    trade = Transaction(
        id="t2", account="354937868", time_ms=1_700_000_001_000, kind="trade",
        legs=(Leg("BTC", Decimal("0.01"), "spot", "in"), Leg(HOSTILE[3], Decimal("-300.5"), "spot", "out")),
        source=Source("api", "spot.my_trades", native_id="7"))
    detail = Transaction(
        id="t3", account="354937868", time_ms=1_700_000_002_000, kind="trade", legs=(),
        source=Source("api", "usdm.user_trades", native_id="8"), meta={"detail_of": "usdm.income"})
    return [deposit, trade, detail]


def cells(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def assert_inert(rows: list[list[str]]) -> None:
    for row in rows:
        for cell in row:
            assert cell[:1] not in ("=", "+", "@") or cell.startswith("'"), row
            assert not cell.startswith("-") or cell.replace(".", "").lstrip("-").isdigit(), row


def test_transactions_csv_escapes_every_text_cell_and_keeps_amounts_numbers():
    rows = cells(transactions_csv(Annotated(tx) for tx in hostile_transactions()))
    assert_inert(rows)
    flat = [c for row in rows for c in row]
    assert "'" + HOSTILE[0] in flat and "'=1+1" in flat and "'-2+3" in flat
    assert "-300.5" in flat  # an amount is a number, not escaped


def test_waltio_exports_escape_coin_address_hash_and_external_id():
    items = [Annotated(tx) for tx in hostile_transactions()]
    api_rows = cells(waltio_csv(items))
    out = io.StringIO()
    write_waltio_csv([i.tx for i in items], out)  # the CLI's `statement parse --waltio`
    for rows in (api_rows, cells(out.getvalue())):
        assert_inert(rows)
        flat = [c for row in rows for c in row]
        for value in (HOSTILE[0], HOSTILE[1], HOSTILE[2], "=1+1"):
            assert "'" + value in flat


def test_a_transaction_without_legs_is_listed_or_counted_never_dropped():
    items = [Annotated(tx) for tx in hostile_transactions()]
    rows = cells(transactions_csv(items))
    header = rows[0]
    assert header == list(TRANSACTIONS_HEADER)
    by_id = [dict(zip(header, row, strict=True)) for row in rows[1:]]
    (detail,) = [r for r in by_id if r["id"] == "t3"]
    assert detail["asset"] == "" and detail["detail_of"] == "usdm.income"
    omitted = Omitted()
    waltio_csv(items, omitted)
    assert omitted.count == 1 and "usdm.income" in omitted.header()


def test_the_cli_export_has_the_api_schema(tmp_path):
    from binsync_local.cli.sync_cmd import export

    path = tmp_path / "x.csv"
    export([tx.to_dict() for tx in hostile_transactions()], str(path))
    rows = cells(path.read_text(encoding="utf-8"))
    api = cells(transactions_csv(Annotated(tx) for tx in hostile_transactions()))
    assert rows == api
