"""Every container and dialect of the statement parses to the same transactions."""

from __future__ import annotations

import io
import zipfile
from decimal import Decimal

import pytest
from binsync.statement.reader import FormatError

from .helpers import assert_conserved, legs_of, parse, statement

ROWS = [
    ("2025-03-04 09:15:27", "Spot", "Transaction Spend", "USDT", "-250.00000000"),
    ("2025-03-04 09:15:27", "Spot", "Transaction Buy", "ETH", "0.11200000"),
    ("2025-03-04 09:15:27", "Spot", "Transaction Fee", "BNB", "-3.605E-05"),
    ("2025-02-11 16:44:51", "Spot", "Withdraw", "USDT", "-150.00000000", "Withdraw fee is included"),
    ("2025-02-13 00:33:45", "Spot", "Transfer Between Main and Funding Wallet", "USDT", "-500"),
    ("2025-02-13 00:33:45", "Funding", "Transfer Between Main and Funding Wallet", "USDT", "500"),
    ("2025-03-02 06:01:00", "Spot", "Simple Earn Flexible Interest", "USDC", "0.00000000", "Binance Earn"),
]


def _signature(txs):
    return sorted((tx.id, tx.kind, tx.time_ms, frozenset(legs_of(tx))) for tx in txs)


@pytest.fixture(scope="module")
def reference():
    txs, stats = parse(statement(ROWS))
    assert stats.rejected_count == 0 and len(txs) == 4
    return _signature(txs)


def _zip(data: bytes, name: str = "Binance-Transaction-History.csv") -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(name, data)
    return buf.getvalue()


def _xlsx(rows, header=("User_ID", "UTC_Time", "Account", "Operation", "Coin", "Change", "Remark"),
          numbers: bool = True) -> bytes:
    from datetime import datetime

    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Binance S"
    ws.append(list(header))
    for row in rows:
        cells = list(row) + [""] * (6 - len(row))
        when = datetime.strptime(cells[0], "%Y-%m-%d %H:%M:%S")
        change = float(cells[4]) if numbers else cells[4]
        ws.append([int("123456789"), when, cells[1], cells[2], cells[3], change, cells[5] or None])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@pytest.mark.parametrize("variant", ["bom", "unquoted", "semicolon", "crlf", "zip", "zip_bom", "tab",
                                     "utf16"])
def test_dialects_give_identical_transactions(reference, variant):
    data = {
        "bom": lambda: statement(ROWS, bom=True),
        "unquoted": lambda: statement(ROWS, quoted=False),
        "semicolon": lambda: statement(ROWS, sep=";"),
        "crlf": lambda: statement(ROWS).replace(b"\n", b"\r\n"),
        "zip": lambda: _zip(statement(ROWS)),
        "zip_bom": lambda: _zip(statement(ROWS, bom=True, quoted=False)),
        "tab": lambda: statement(ROWS, sep="\t", quoted=False),
        "utf16": lambda: statement(ROWS).decode().encode("utf-16"),
    }[variant]()
    txs, stats = parse(data)
    assert stats.rejected_count == 0
    assert _signature(txs) == reference


def test_semicolon_file_with_decimal_commas():
    rows = [(t, a, o, c, v.replace(".", ","), *rest) for t, a, o, c, v, *rest in ROWS]
    txs, stats = parse(statement(rows, sep=";"))
    assert stats.rejected_count == 0
    (trade,) = [tx for tx in txs if tx.kind == "trade"]
    assert ("BNB", "-0.00003605", "spot", "fee") in legs_of(trade)


def test_xlsx_numbers_and_dates(reference):
    txs, stats = parse(_xlsx(ROWS))
    assert stats.container == "xlsx" and stats.rejected_count == 0
    assert sorted((tx.kind, tx.time_ms, frozenset(legs_of(tx))) for tx in txs) == \
        sorted((k, t, legs) for _, k, t, legs in reference)


def test_zipped_xlsx():
    txs, stats = parse(_zip(_xlsx(ROWS), "statement.xlsx"))
    assert stats.container == "xlsx" and len(txs) == 4


def test_legacy_six_columns_use_the_given_uid(reference):
    txs, _ = parse(statement(ROWS, columns=6), uid="123456789")
    assert _signature(txs) == reference  # same ids: the uid, not the column, names the account
    txs, _ = parse(statement(ROWS, columns=6))
    assert {tx.account for tx in txs} == {"unknown"}


def test_localised_polish_headers():
    header = ("Czas", "Konto", "Operacja", "Moneta", "Zmień", "Uwagi")
    # `Czas` does not say UTC: the zone comes from the request (issue 16, times are not guessed)
    txs, stats = parse(statement(ROWS, columns=6, header=header, sep=";"), uid="123456789", tz="UTC")
    assert stats.rejected_count == 0 and len(txs) == 4


def test_headerless_file_is_read_by_position(reference):
    data = statement(ROWS).split(b"\n", 1)[1]
    txs, stats = parse(data, tz="+00:00")  # no header, so nothing says UTC: the zone is given
    assert _signature(txs) == reference and stats.rows == len(ROWS)


def test_scientific_notation_and_zero_rows_are_kept():
    txs, stats = parse(statement([
        ("2025-01-01 00:00:00", "Spot", "Distribution", "PEPE", "4.615E-06"),
        ("2025-01-01 00:00:05", "Spot", "Distribution", "PEPE", "0E-8"),
        ("2025-01-01 00:00:09", "Spot", "Distribution", "PEPE", "1.5e+3"),
    ]))
    assert stats.rejected_count == 0 and len(txs) == 3
    assert [tx.legs[0].amount for tx in txs] == [Decimal("0.000004615"), 0, Decimal(1500)]
    assert_conserved(txs, stats)


def test_header_only_file_has_no_transactions():
    txs, stats = parse(statement([]))
    assert txs == [] and stats.rows == 0 and stats.period() is None


@pytest.mark.parametrize("data", [
    b"",
    b"\n\n",
    b"Date(UTC),Pair,Side,Price,Executed,Amount,Fee\n2025-01-01 00:00:00,BTCUSDT,BUY,1,1,1,0\n",
    b"Date(UTC+0),Coin,Network,Amount,Address,TXID,Status\n",
    b"a,b\n1,2\n",
])
def test_other_files_fail_with_a_format_error(data):
    with pytest.raises(FormatError):
        parse(data)
