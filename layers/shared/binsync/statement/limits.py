"""Bounds on what one uploaded file may cost to read (issue 17 item 1).

A statement is read as a stream, but a hostile or broken file can still make one step
unbounded: a zip member that expands without end, one line of a gigabyte, two million rows in
one second (one cluster, one event), an amount whose exponent makes `format(value, "f")` write
a billion zeros. Each bound below is far above anything Binance writes and small enough that the
parse function (1 GB of memory, 300 s) finishes; a file beyond one is refused with the reason
in words, and the line where it applies.

- `MAX_UPLOAD_BYTES`: the one size limit, shared by the API (presigned URL) and the parser.
- `MAX_DECOMPRESSED_BYTES`: the declared uncompressed size of the zip members read (zipfile
  never yields more than a member declares: a lying header fails its CRC, see `container_error`).
- `MAX_ROW_CHARS`: one physical line or one XLSX row; also the csv module's field limit.
- `MAX_ROWS_PER_SECOND`: consecutive rows of one second (a 3,000-fill market order is 9,000
  rows: spend, buy, fee per fill).
- `MAX_INTEGER_DIGITS` / `MAX_FRACTION_DIGITS` / `MAX_AMOUNT_CHARS`: an amount's magnitude and
  precision (Binance writes at most 8 decimals in a statement, 18 for some tokens on chain;
  the largest supplies have 15 integer digits).
- `FIRST_SUPPORTED_SEC` / `END_SUPPORTED_SEC`: dates from 1970 up to (excluding) 2100: the
  transactions table sorts on epoch milliseconds and the API's cursor encodes them.
"""

from __future__ import annotations

import csv
import os
import zipfile
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import IO

MAX_UPLOAD_BYTES = 50 * 1024 * 1024
MAX_DECOMPRESSED_BYTES = 512 * 1024 * 1024
MAX_ROW_CHARS = 128 * 1024
MAX_ROWS_PER_SECOND = 50_000
MAX_INTEGER_DIGITS = 30
MAX_FRACTION_DIGITS = 30
MAX_AMOUNT_CHARS = 100
FIRST_SUPPORTED_SEC = 0  # 1970-01-01 00:00:00 UTC
END_SUPPORTED_SEC = int(datetime(2100, 1, 1, tzinfo=UTC).timestamp())

csv.field_size_limit(MAX_ROW_CHARS)  # the csv module's own default is 131072 too; say it here


class FileRefused(ValueError):
    """The file cannot be read to its end: corrupt, truncated, or beyond a limit above."""


def max_upload_bytes() -> int:
    """The accepted size of an upload (`UPLOAD_MAX_BYTES` overrides it, for tests and ops)."""
    return int(os.environ.get("UPLOAD_MAX_BYTES", MAX_UPLOAD_BYTES))


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):.0f} MB"


def check_archive(archive: zipfile.ZipFile, members: list[str]) -> None:
    """Refuse an archive whose members to read declare more than MAX_DECOMPRESSED_BYTES."""
    declared = sum(archive.getinfo(name).file_size for name in members)
    if declared > MAX_DECOMPRESSED_BYTES:
        raise FileRefused(f"the archive expands to {declared} bytes, more than the "
                          f"{_mb(MAX_DECOMPRESSED_BYTES)} accepted once decompressed")


def bounded_lines(text: IO[str], limit: int = MAX_ROW_CHARS) -> Iterator[str]:
    """The lines of `text`, refusing one longer than `limit` characters without reading it
    whole (iterating a text file would hold a gigabyte line in memory first)."""
    number = 0
    readline = text.readline
    while True:
        line = readline(limit + 2)  # room for "\r\n"
        if not line:
            return
        number += 1
        if len(line) > limit and len(line.rstrip("\r\n")) > limit:
            raise FileRefused(f"line {number} is longer than {limit} characters "
                              "(no statement row is; the file is not a statement or is damaged)")
        yield line


def check_row_chars(line: int, cells: list[str]) -> None:
    if sum(map(len, cells)) > MAX_ROW_CHARS:
        raise FileRefused(f"line {line} holds more than {MAX_ROW_CHARS} characters")


def amount_error(value: Decimal, text: str) -> str | None:
    """Why `value` (parsed from `text`) is not an amount we store, or None when it is one."""
    if len(text) <= 24 and "E" not in text and "e" not in text and value.is_finite():
        return None  # a plain number this short is within every bound (the common case)
    if not value.is_finite():
        return f"bad number {text[:40]!r} in Change"
    if len(text) > MAX_AMOUNT_CHARS:
        return f"number in Change longer than {MAX_AMOUNT_CHARS} characters"
    if value and value.adjusted() >= MAX_INTEGER_DIGITS:
        return f"number {text[:40]!r} in Change has more than {MAX_INTEGER_DIGITS} integer digits"
    _sign, digits, exponent = value.as_tuple()
    if isinstance(exponent, int) and exponent < -MAX_FRACTION_DIGITS:
        zeros = _trailing_zeros(digits)
        if exponent + zeros < -MAX_FRACTION_DIGITS:  # trailing zeros ("1.000...0") are harmless
            return f"number {text[:40]!r} in Change has more than {MAX_FRACTION_DIGITS} decimal places"
    return None


def _trailing_zeros(digits: tuple[int, ...]) -> int:
    count = 0
    for digit in reversed(digits):
        if digit:
            break
        count += 1
    return count


def time_error(sec: int, text: str) -> str | None:
    """Why epoch second `sec` (parsed from `text`) is outside the supported dates, or None."""
    if FIRST_SUPPORTED_SEC <= sec < END_SUPPORTED_SEC:
        return None
    return f"date {text.strip()[:40]!r} is outside the supported range 1970-01-01 to 2099-12-31"


def rows_per_second_error(line: int, count: int, time_text: str) -> FileRefused | None:
    if count <= MAX_ROWS_PER_SECOND:
        return None
    return FileRefused(f"line {line}: more than {MAX_ROWS_PER_SECOND} consecutive rows at "
                       f"{time_text.strip()[:40]}; no Binance statement holds that many in one second")


# Errors a damaged container raises while it is read: a truncated or garbage ZIP, a bad deflate
# stream, a member whose CRC or size does not match its header, an encrypted or unsupported
# member, a quoted field past the csv limit.
_CONTAINER_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, csv.Error, NotImplementedError,
                     RuntimeError, UnicodeError)


def container_error(exc: BaseException, container: str, line: int | None) -> FileRefused | None:
    """The refusal (in words) for an error raised while reading a file, or None when `exc` is
    not about the file (a bug or a storage fault: let it propagate and be retried)."""
    if isinstance(exc, FileRefused):
        return exc
    where = f" after line {line}" if line else ""
    if container == "xlsx" and isinstance(exc, Exception):
        # openpyxl raises what its XML and zip layers raise (KeyError for a missing part,
        # ParseError, ValueError, TypeError...): all of them mean the workbook is damaged
        return FileRefused(f"the XLSX workbook is damaged{where}: {type(exc).__name__}: {str(exc)[:200]}")
    if isinstance(exc, _CONTAINER_ERRORS):
        what = {"zip": "the ZIP archive is damaged or truncated", "csv": "the file cannot be read"}
        text = str(exc)[:200]
        if isinstance(exc, csv.Error) and "field larger than field limit" in text:
            return FileRefused(f"line {(line or 0) + 1}: a field is longer than {MAX_ROW_CHARS} characters")
        return FileRefused(f"{what.get(container, 'the file is damaged')}{where}: {text}")
    return None


def guard_rows(rows: Iterator[tuple[int, list[str]]], container: str) -> Iterator[tuple[int, list[str]]]:
    """`rows` with container errors turned into FileRefused naming the line reached."""
    line: int | None = None
    check_chars = container == "xlsx"  # CSV lines are bounded by bounded_lines already
    try:
        for line, cells in rows:
            if check_chars:
                check_row_chars(line, cells)
            yield line, cells
    except Exception as exc:
        refused = container_error(exc, container, line)
        if refused is None or refused is exc:
            raise
        raise refused from exc
