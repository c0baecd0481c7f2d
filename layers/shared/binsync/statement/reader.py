"""Open an uploaded file as a stream of rows: CSV, zipped CSV or XLSX; statement or Waltio.

Nothing is loaded whole: CSV is decoded and split by the C `csv` reader as it is read, a ZIP
member is streamed from the archive, XLSX goes through openpyxl's read-only (streaming) mode.
The format is detected from the bytes (ZIP magic, workbook inside) and the header row, never from
the file name:

- the statement's 7-column header (`User_ID,UTC_Time,Account,Operation,Coin,Change,Remark`), the
  legacy 6-column one without `User_ID`, quoted or not, UTF-8 with or without BOM (UTF-16 with a
  BOM too), `,` `;` or tab separated, a few localised header spellings (spec §2.1), and as a last
  resort a header-less file of 6 or 7 columns whose time column parses;
- the Waltio import format (spec §9), recognised by its French headers.

Rows are yielded as `(line_number, cells)` with string cells (XLSX numbers and dates are
rendered back to text), line numbers counted like a spreadsheet (header = line 1).
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from binsync.statement import limits

STATEMENT_COLUMNS = ("user_id", "utc_time", "account", "operation", "coin", "change", "remark")

_ALIASES: dict[str, str] = {}
for _canon, _names in {
    "user_id": ("user_id", "userid", "user id", "uid", "id utilisateur", "identyfikator użytkownika"),
    "utc_time": ("utc_time", "utc time", "time", "date(utc)", "date (utc)", "date", "czas",
                 "heure utc", "heure (utc)", "date utc", "fecha"),
    "account": ("account", "konto", "compte", "cuenta"),
    "operation": ("operation", "operacja", "opération", "operación", "type"),
    "coin": ("coin", "moneta", "asset", "currency", "monnaie", "devise", "moneda", "jeton"),
    "change": ("change", "zmień", "zmien", "amount", "montant", "variation", "cambio", "modification"),
    "remark": ("remark", "remarks", "uwagi", "remarque", "note", "notes", "observación", "commentaire"),
}.items():
    for _n in _names:
        _ALIASES[_n] = _canon


class FormatError(ValueError):
    """The file is not a statement (or Waltio) file; the message says why."""


@dataclass
class Table:
    kind: str  # "statement" | "waltio"
    columns: dict[str, int]  # canonical column -> index
    header: list[str]
    rows: Iterator[tuple[int, list[str]]]
    container: str  # "csv" | "zip" | "xlsx"
    delimiter: str = ","


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, float):
        text = repr(value)
        return text[:-2] if text.endswith(".0") else text
    return str(value)


def _map_header(cells: list[str]) -> dict[str, int] | None:
    columns: dict[str, int] = {}
    for index, cell in enumerate(cells):
        canon = _ALIASES.get(" ".join(cell.strip().strip('"').split()).lower())
        if canon and canon not in columns:
            columns[canon] = index
    required = {"utc_time", "account", "operation", "coin", "change"}
    return columns if required <= columns.keys() else None


def _is_waltio(cells: list[str]) -> bool:
    names = {" ".join(c.strip().split()).lower() for c in cells}
    return "type" in names and ("montant reçu" in names or "montant recu" in names)


def _looks_like_time(text: str) -> bool:
    text = text.strip()
    return len(text) >= 16 and text[:2].isdigit() and text[2:4].isdigit() and text[-2:].isdigit()


def _classify(header: list[str], rows: Iterator[tuple[int, list[str]]], container: str,
              delimiter: str = ",") -> Table:
    if _is_waltio(header):
        from binsync.statement.waltio import waltio_columns

        return Table("waltio", waltio_columns(header), header, rows, container, delimiter)
    columns = _map_header(header)
    if columns is not None:
        columns.setdefault("remark", -1)
        columns.setdefault("user_id", -1)
        return Table("statement", columns, header, rows, container, delimiter)
    # Header-less file, or a header in a language we do not know: positional mapping when the
    # shape fits (6 or 7 columns) and the first data row looks like a statement row.
    width = len(header)
    if width in (6, 7):
        names = STATEMENT_COLUMNS if width == 7 else STATEMENT_COLUMNS[1:]
        columns = {name: i for i, name in enumerate(names)}
        columns.setdefault("user_id", -1)
        if _looks_like_row(header, columns):
            def with_first(first: list[str] = header) -> Iterator[tuple[int, list[str]]]:
                yield 1, first
                yield from rows

            return Table("statement", columns, list(names), with_first(), container, delimiter)
        first = next(rows, None)
        if first is not None and _looks_like_row(first[1], columns):
            def with_peeked(peeked: tuple[int, list[str]] = first) -> Iterator[tuple[int, list[str]]]:
                yield peeked
                yield from rows

            return Table("statement", columns, header, with_peeked(), container, delimiter)
    raise FormatError(
        "not a Binance statement or Waltio file: header "
        f"{header[:8]!r} has none of the expected columns "
        "User_ID,UTC_Time,Account,Operation,Coin,Change,Remark"
    )


def _looks_like_row(cells: list[str], columns: dict[str, int]) -> bool:
    from binsync.statement.operations import account_wallet

    if len(cells) <= max(columns.values()):
        return False
    if not _looks_like_time(cells[columns["utc_time"]]) or account_wallet(cells[columns["account"]]) is None:
        return False
    try:
        Decimal(cells[columns["change"]].replace(",", "."))
    except (InvalidOperation, ValueError):
        return False
    return True


def _csv_rows(text: IO[str], container: str) -> Table:
    text = limits.bounded_lines(text)  # type: ignore[assignment]
    first = ""
    for line in text:  # skip blank lines before the header
        if line.strip():
            first = line
            break
    if not first:
        raise FormatError("the file is empty (no header row)")
    counts = {d: first.count(d) for d in (",", ";", "\t")}
    delimiter = max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","
    header = next(csv.reader([first], delimiter=delimiter))
    reader = csv.reader(text, delimiter=delimiter)

    def rows() -> Iterator[tuple[int, list[str]]]:
        # reader.line_num counts physical lines from our own first read; +1 for the header
        for cells in reader:
            if cells:
                yield reader.line_num + 1, cells

    return _classify(header, rows(), container, delimiter)


def _text(binary: IO[bytes]) -> IO[str]:
    head = binary.peek(4)[:4] if hasattr(binary, "peek") else b""
    encoding = "utf-16" if head[:2] in (b"\xff\xfe", b"\xfe\xff") else "utf-8-sig"
    # errors="replace": a stray byte in a Remark must not cost the rest of the file
    return io.TextIOWrapper(binary, encoding=encoding, errors="replace", newline="")


def _xlsx_rows(fh: IO[bytes]) -> Table:
    from openpyxl import load_workbook

    workbook = load_workbook(fh, read_only=True, data_only=True)
    sheet = workbook.worksheets[0]
    for name in workbook.sheetnames:  # Waltio puts data in "Vos données", dictionary after it
        if name.strip().lower() in ("vos données", "binance s", "sheet1", "transactions"):
            sheet = workbook[name]
            break
    values = sheet.iter_rows(values_only=True)
    header: list[str] = []
    line = 0
    for raw in values:
        line += 1
        if raw and any(v not in (None, "") for v in raw):
            header = [_cell_text(v) for v in raw]
            break
    if not header:
        raise FormatError("the workbook's first sheet is empty (no header row)")
    while header and header[-1] == "":
        header.pop()
    width = len(header)
    start = line

    def rows() -> Iterator[tuple[int, list[str]]]:
        number = start
        try:
            for raw in values:
                number += 1
                if raw is None or all(v in (None, "") for v in raw):
                    continue
                yield number, [_cell_text(v) for v in raw[:width]]
        finally:
            workbook.close()

    return _classify(header, rows(), "xlsx")


def open_table(fh: IO[bytes]) -> Table:
    """Detect the container and the format of a seekable binary file and stream its rows.
    A damaged file or one beyond `limits` raises limits.FileRefused (when opened or as read)."""
    buffered = fh if hasattr(fh, "peek") else io.BufferedReader(fh)  # type: ignore[arg-type]
    container = "zip" if buffered.peek(4)[:4] == b"PK\x03\x04" else "csv"
    try:
        table = _open_table(buffered)
    except Exception as exc:
        refused = limits.container_error(exc, _zip_kind(buffered) if container == "zip" else container, None)
        if refused is None or refused is exc:
            raise
        raise refused from exc
    table.rows = limits.guard_rows(table.rows, table.container)
    return table


def _zip_kind(fh: IO[bytes]) -> str:
    """"xlsx" when a ZIP that failed to open as a table holds a workbook, else "zip"."""
    try:
        fh.seek(0)
        names = zipfile.ZipFile(fh).namelist()
    except Exception:
        return "zip"
    return "xlsx" if "xl/workbook.xml" in names or any(n.lower().endswith(".xlsx") for n in names) else "zip"


def _open_table(fh: IO[bytes]) -> Table:
    buffered = fh if hasattr(fh, "peek") else io.BufferedReader(fh)  # type: ignore[arg-type]
    magic = buffered.peek(4)[:4]
    if magic == b"PK\x03\x04":
        archive = zipfile.ZipFile(buffered)
        names = archive.namelist()
        if "xl/workbook.xml" in names:
            limits.check_archive(archive, names)
            return _xlsx_rows(buffered)
        members = [n for n in names if not n.endswith("/") and not n.startswith("__MACOSX")]
        preferred = [n for n in members if n.lower().endswith((".csv", ".txt", ".xlsx"))] or members
        if not preferred:
            raise FormatError("the ZIP archive contains no file")
        member = preferred[0]
        limits.check_archive(archive, [member])
        inner = archive.open(member)
        if member.lower().endswith(".xlsx"):
            return _xlsx_rows(io.BytesIO(inner.read()))  # openpyxl needs a seekable file
        table = _csv_rows(_text(io.BufferedReader(inner)), "zip")  # type: ignore[arg-type]
        return table
    return _csv_rows(_text(buffered), "csv")
