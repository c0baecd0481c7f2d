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
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import IO, Any
from xml.etree import ElementTree  # expat >= 2.4.1 refuses entity-expansion bombs

from binsync.statement import limits

STATEMENT_COLUMNS = ("user_id", "utc_time", "account", "operation", "coin", "change", "remark")

_ALIASES: dict[str, str] = {}
for _canon, _names in {
    # English (2021 `User_ID,UTC_Time`, 2025+ `User ID,Time`), Polish, French, Spanish as seen in
    # real exports (spec §2.1, §11), plus a few spellings other tools' fixtures use.
    "user_id": ("user_id", "userid", "user id", "uid", "id utilisateur", "identyfikator użytkownika",
                "identifiant utilisateur", "id de usuario", "id użytkownika", "id do usuário"),
    "utc_time": ("utc_time", "utc time", "time", "date(utc)", "date (utc)", "date", "czas",
                 "heure utc", "heure (utc)", "date utc", "fecha", "durée", "duree", "tiempo", "heure",
                 "tempo", "data", "zeit"),
    "account": ("account", "konto", "compte", "cuenta", "conta"),
    "operation": ("operation", "operacja", "opération", "operación", "operacion", "type", "operação"),
    "coin": ("coin", "moneta", "asset", "currency", "monnaie", "devise", "moneda", "jeton", "münze",
             "moeda"),
    "change": ("change", "zmień", "zmien", "zmiana", "amount", "montant", "variation", "cambio",
               "modification", "alteração", "änderung"),
    "remark": ("remark", "remarks", "uwagi", "remarque", "note", "notes", "observación", "observacion",
               "commentaire", "observação", "bemerkung"),
}.items():
    for _n in _names:
        _ALIASES[_n] = _canon

# The only data line of an export of an empty period.
NO_DATA = "no data matches the criteria."


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
    time_header: str = ""  # header text of the time column ("" when the file has no header)
    layout: str = "header"  # header | shape (columns found by value shape) | headerless
    member_name: str | None = None  # file name inside a ZIP (it may name the time zone)


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
    """`YYYY-MM-DD HH:MM:SS`, `YY-MM-DD ...`, `DD/MM/YYYY HH:MM`, ISO with an offset..."""
    text = text.strip()
    return (14 <= len(text) <= 32 and text[:2].isdigit() and ":" in text
            and ("-" in text[:10] or "/" in text[:10] or "." in text[:10]))


def _classify(header: list[str], rows: Iterator[tuple[int, list[str]]], container: str,
              delimiter: str = ",") -> Table:
    if _is_waltio(header):
        from binsync.statement.waltio import waltio_columns

        return Table("waltio", waltio_columns(header), header, rows, container, delimiter)
    columns = _map_header(header)
    if columns is not None:
        columns.setdefault("remark", -1)
        columns.setdefault("user_id", -1)
        return Table("statement", columns, header, rows, container, delimiter,
                     time_header=header[columns["utc_time"]])
    # A header-less file, or a header in a language we have never seen: find each column by the
    # shape of the values under it (a time, a known Account, a known Operation, a coin code, a
    # signed decimal, a uid of digits), first on the header line itself (no header), then on the
    # first data row.
    columns = _shape_columns(header)
    if columns is not None:
        def with_first(first: list[str] = header) -> Iterator[tuple[int, list[str]]]:
            yield 1, first
            yield from rows

        return Table("statement", columns, [""] * len(header), with_first(), container, delimiter,
                     layout="headerless")
    first = next(rows, None)
    columns = _shape_columns(first[1]) if first is not None else None
    if first is not None and columns is not None:
        def with_peeked(peeked: tuple[int, list[str]] = first) -> Iterator[tuple[int, list[str]]]:
            yield peeked
            yield from rows

        time_header = header[columns["utc_time"]] if columns["utc_time"] < len(header) else ""
        return Table("statement", columns, header, with_peeked(), container, delimiter,
                     time_header=time_header, layout="shape")
    raise FormatError(
        "not a Binance statement or Waltio file: header "
        f"{header[:8]!r} has none of the expected columns "
        "User_ID,UTC_Time,Account,Operation,Coin,Change,Remark (in any language), and the next row "
        "has no time, Account, Operation, coin and amount values either"
    )


def _is_amount(text: str) -> bool:
    t = text.strip().replace(",", ".")
    if not t or not (t[0].isdigit() or t[0] in "-+."):
        return False
    try:
        return Decimal(t).is_finite()
    except (InvalidOperation, ValueError):
        return False


def _is_coin(text: str) -> bool:
    t = text.strip()
    return 1 <= len(t) <= 16 and t.replace("-", "").isalnum() and t.upper() == t and not t.isdigit()


def _shape_columns(cells: list[str]) -> dict[str, int] | None:
    """Column indexes found by value shape on one data row, or None when the row does not fit.

    Binance's column order is the same in every language seen (uid, time, account, operation,
    coin, change, remark): the time is the first cell shaped like a time, the account the first
    known Account value after it, and Operation, Coin and Change follow it (a coin code and a
    signed decimal are checked; the Operation may be one we do not know yet)."""
    from binsync.statement.operations import account_wallet

    cells = [c.strip() for c in cells]
    i_time = next((i for i, c in enumerate(cells) if _looks_like_time(c)), None)
    if i_time is None:
        return None
    i_acct = next((i for i in range(i_time + 1, len(cells)) if account_wallet(cells[i]) is not None), None)
    if i_acct is None or i_acct + 3 >= len(cells):
        return None
    if not cells[i_acct + 1] or not _is_coin(cells[i_acct + 2]) or not _is_amount(cells[i_acct + 3]):
        return None
    uid = next((i for i in range(i_time) if cells[i].isdigit()), -1)
    return {"user_id": uid, "utc_time": i_time, "account": i_acct, "operation": i_acct + 1,
            "coin": i_acct + 2, "change": i_acct + 3,
            "remark": i_acct + 4 if i_acct + 4 < len(cells) else -1}


def _unwrap_line(line: str) -> str:
    """The inner text of a line an Excel re-save wrapped whole in one pair of quotes."""
    text = line.strip("\r\n")
    if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
        return text[1:-1].replace('""', '"')
    return text


def _csv_rows(text: IO[str], container: str) -> Table:
    text = limits.bounded_lines(text)  # type: ignore[assignment]
    first = ""
    skipped = 0
    for line in text:  # skip blank lines before the header
        if line.strip():
            first = line
            break
        skipped += 1
    if not first:
        raise FormatError("the file is empty (no header row)")
    wrapped = False
    stripped = first.lstrip("\ufeff").strip()
    if len(stripped) > 2 and stripped[0] == '"' and stripped[-1] == '"' \
            and '"' not in stripped[1:-1].replace('""', ""):
        # Excel re-save: every line is one quoted field whose text is the real line, inner quotes
        # doubled (`"User_ID,""UTC_Time"",..."`). One field holding separators means wrapped.
        inner = stripped[1:-1].replace('""', '"')
        if any(d in inner for d in (",", ";", "\t")):
            wrapped = True
            first = inner
    counts = {d: first.count(d) for d in (",", ";", "\t")}
    delimiter = max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","
    header = next(csv.reader([first], delimiter=delimiter))
    if wrapped:
        def unwrapped() -> Iterator[tuple[int, list[str]]]:
            number = 1 + skipped
            for line in text:
                number += 1
                inner = _unwrap_line(line)
                if inner.strip():
                    yield number, next(csv.reader([inner], delimiter=delimiter))

        return _classify(header, _drop_no_data(unwrapped()), container, delimiter)
    reader = csv.reader(text, delimiter=delimiter)

    def rows() -> Iterator[tuple[int, list[str]]]:
        # reader.line_num counts physical lines from our own first read; +1 for the header
        for cells in reader:
            if cells:
                if len(cells) == 1 and delimiter in cells[0]:
                    # one line wrapped whole in quotes under a plain header (a partial Excel
                    # re-save, everytrade's BinanceBeanV4Test.testCardCashback): the csv reader
                    # already undid the outer quotes and the doubling; split the inner line
                    cells = next(csv.reader([cells[0]], delimiter=delimiter))
                yield reader.line_num + 1 + skipped, cells

    return _classify(header, _drop_no_data(rows()), container, delimiter)


def _drop_no_data(rows: Iterator[tuple[int, list[str]]]) -> Iterator[tuple[int, list[str]]]:
    """Skip Binance's `No data matches the criteria.` line (the export of an empty period); it is
    the first data line, so only that one is looked at (the rest streams untouched)."""
    for line, cells in rows:
        if not (len(cells) == 1 and cells[0].strip().lower() == NO_DATA):
            yield line, cells
        break
    yield from rows


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
    # The French XLSX layout has a title in C1 and the header on row 10 (columns spread over
    # merged cells): the header is the first row that maps to the statement's columns, looked
    # for in the first 30 rows; otherwise the first non-empty row.
    first_nonempty: tuple[int, list[str]] | None = None
    for line, raw in enumerate(values, start=1):
        if raw and any(v not in (None, "") for v in raw):
            cells = [_cell_text(v) for v in raw]
            if first_nonempty is None:
                first_nonempty = (line, cells)
            if _map_header(cells) is not None or _is_waltio(cells):
                header = cells
                break
            if _shape_columns(cells) is not None or line >= 30:
                break  # data reached (or too far): no header row, start from the first row
    if not header and first_nonempty is not None:
        line, header = first_nonempty  # rows after it were consumed: a short sheet, re-read it
        values = sheet.iter_rows(min_row=line + 1, values_only=True)
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


_SHEET_XML = re.compile(r"xl/worksheets/sheet(\d+)\.xml")
_MAIN_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


def _column_index(ref: str) -> int:
    """0-based column of a cell reference (`C10` -> 2)."""
    index = 0
    for char in ref:
        if not char.isalpha():
            break
        index = index * 26 + ord(char.upper()) - 64
    return index - 1


def _sheet_xml_rows(stream: IO[bytes], shared: list[str]) -> Iterator[tuple[int, list[str]]]:
    """(row number, cells) of a worksheet XML, streamed (each row is cleared once read)."""
    number = 0
    for _event, element in ElementTree.iterparse(stream, events=("end",)):
        if element.tag != _MAIN_NS + "row":
            continue
        number = int(element.get("r") or number + 1)
        cells: list[str] = []
        for cell in element.iter(_MAIN_NS + "c"):
            kind = cell.get("t")
            if kind == "inlineStr":
                text = "".join(t.text or "" for t in cell.iter(_MAIN_NS + "t"))
            else:
                value = cell.find(_MAIN_NS + "v")
                text = value.text or "" if value is not None else ""
                if kind == "s" and text.isdigit() and int(text) < len(shared):
                    text = shared[int(text)]
            at = _column_index(cell.get("r") or "") if cell.get("r") else len(cells)
            cells.extend([""] * (at + 1 - len(cells)))
            cells[at] = text.strip()
        element.clear()
        if any(cells):
            yield number, cells


def _bare_sheet_rows(archive: zipfile.ZipFile, names: list[str]) -> Table:
    """A workbook reduced to its worksheet XML, without `xl/workbook.xml` (LocalCrypto's
    BinanceImportPreviewerTests build the French layout so; openpyxl cannot open it). Read with
    the same header search as `_xlsx_rows`: the first row of the first 30 that maps."""
    sheet = min((n for n in names if _SHEET_XML.fullmatch(n)), key=lambda n: int(_SHEET_XML.fullmatch(n)[1]))
    parts = [sheet] + [n for n in ("xl/sharedStrings.xml",) if n in names]
    limits.check_archive(archive, parts)
    shared: list[str] = []
    if "xl/sharedStrings.xml" in names:
        with archive.open("xl/sharedStrings.xml") as fh:
            for _event, element in ElementTree.iterparse(fh, events=("end",)):
                if element.tag == _MAIN_NS + "si":
                    shared.append("".join(t.text or "" for t in element.iter(_MAIN_NS + "t")))
                    element.clear()
    rows = _sheet_xml_rows(archive.open(sheet), shared)
    seen: list[tuple[int, list[str]]] = []
    for number, cells in rows:
        if _map_header(cells) is not None or _is_waltio(cells):
            while cells and cells[-1] == "":
                cells.pop()
            return _classify(cells, rows, "xlsx")
        seen.append((number, cells))
        if len(seen) >= 30 or _shape_columns(cells) is not None:
            break
    if not seen:
        raise FormatError("the workbook's first sheet is empty (no header row)")
    first = seen[0][1]

    def rest() -> Iterator[tuple[int, list[str]]]:
        yield from seen[1:]
        yield from rows

    return _classify(first, rest(), "xlsx")


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
    workbook = "xl/workbook.xml" in names or any(_SHEET_XML.fullmatch(n) for n in names)
    return "xlsx" if workbook or any(n.lower().endswith(".xlsx") for n in names) else "zip"


def _open_table(fh: IO[bytes]) -> Table:
    buffered = fh if hasattr(fh, "peek") else io.BufferedReader(fh)  # type: ignore[arg-type]
    magic = buffered.peek(4)[:4]
    if magic == b"PK\x03\x04":
        archive = zipfile.ZipFile(buffered)
        names = archive.namelist()
        if "xl/workbook.xml" in names:
            limits.check_archive(archive, names)
            return _xlsx_rows(buffered)
        if any(_SHEET_XML.fullmatch(n) for n in names):
            return _bare_sheet_rows(archive, names)
        members = [n for n in names if not n.endswith("/") and not n.startswith("__MACOSX")]
        preferred = [n for n in members if n.lower().endswith((".csv", ".txt", ".xlsx"))] or members
        if not preferred:
            raise FormatError("the ZIP archive contains no file")
        member = preferred[0]
        limits.check_archive(archive, [member])
        inner = archive.open(member)
        if member.lower().endswith(".xlsx"):
            table = _xlsx_rows(io.BytesIO(inner.read()))  # openpyxl needs a seekable file
            table.member_name = member
            return table
        table = _csv_rows(_text(io.BufferedReader(inner)), "zip")  # type: ignore[arg-type]
        table.member_name = member
        return table
    return _csv_rows(_text(buffered), "csv")
