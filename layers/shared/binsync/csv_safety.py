"""Cells made safe for spreadsheets (CSV / formula injection, OWASP "CSV Injection").

Excel, LibreOffice and Google Sheets run a cell that starts with `=`, `+`, `-` or `@` (and, in
some versions, a tab or carriage return) as a formula: `=HYPERLINK(...)` in a coin name, an
address or an external id would run when the user opens the export. Every text cell of every
export goes through `safe_cell`: such a cell gets a leading `'`, which spreadsheets show as text.
A plain decimal number (`-300.5`, an amount) is left alone: it is a number, not a formula, and
tax tools must read it as one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


def safe_cell(value: object) -> str:
    text = "" if value is None else str(value)
    if text[:1] in FORMULA_START and not PLAIN_NUMBER.match(text):
        return "'" + text
    return text


def safe_row(row: Iterable[object]) -> list[str]:
    return [safe_cell(value) for value in row]
