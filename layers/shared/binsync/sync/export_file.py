"""Parse a futures asynchronous-export file into the live endpoint's rows.

The file behind `income/asyn/id` and `trade/asyn/id` is not documented (spec §5.6.2 ❓) and no
public sample was found. Assumption (catalogue `choice`): a CSV with a header row naming the live
endpoint's JSON fields. The parser is header-driven: columns may come in any order, unknown
columns are ignored, a missing required column is an `ExportFileError` naming it, and a bad
line is reported by number while every valid line is kept. Values are turned back into the JSON
types the live endpoint sends (times and ids as ints, flags as booleans), so the live
normaliser derives the same transaction ids from an exported row as from a live one.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Any

# Live endpoint -> the columns its rows carry (spec §5.6.1, §5.6.2, §5.7.2 samples).
COLUMNS: dict[str, tuple[str, ...]] = {
    "usdm.income": ("symbol", "incomeType", "income", "asset", "info", "time", "tranId", "tradeId"),
    "coinm.income": ("symbol", "incomeType", "income", "asset", "info", "time", "tranId", "tradeId"),
    "usdm.user_trades": ("buyer", "commission", "commissionAsset", "id", "maker", "orderId", "price", "qty",
                         "quoteQty", "realizedPnl", "side", "positionSide", "symbol", "time", "marginAsset",
                         "baseQty", "pair"),
    "coinm.user_trades": ("symbol", "id", "orderId", "pair", "side", "price", "qty", "realizedPnl",
                          "marginAsset", "baseQty", "commission", "commissionAsset", "time", "positionSide",
                          "buyer", "maker"),
}
# Columns a row cannot do without (the record's key and time).
REQUIRED: dict[str, tuple[str, ...]] = {
    "usdm.income": ("incomeType", "income", "asset", "time", "tranId"),
    "coinm.income": ("incomeType", "income", "asset", "time", "tranId"),
    "usdm.user_trades": ("symbol", "id", "time", "side", "price", "qty", "commission", "commissionAsset"),
    "coinm.user_trades": ("symbol", "id", "time", "side", "price", "qty", "commission", "commissionAsset"),
}
INT_COLUMNS = frozenset({"time", "id", "orderId"})
DIGIT_COLUMNS = frozenset({"tranId"})  # a number when it is one (the live endpoint sends either)
BOOL_COLUMNS = frozenset({"buyer", "maker"})


class ExportFileError(ValueError):
    """The file cannot be read at all (no header, a required column missing)."""


@dataclass
class ParsedExport:
    rows: list[dict[str, Any]]
    rejected: list[str] = field(default_factory=list)  # "line N: column: reason"


def _value(column: str, text: str) -> Any:
    text = text.strip()
    if column in INT_COLUMNS:
        return int(text)
    if column in DIGIT_COLUMNS:
        return int(text) if text.isdigit() else text
    if column in BOOL_COLUMNS:
        lowered = text.lower()
        if lowered not in ("true", "false"):
            raise ValueError(f"not a boolean: {text!r}")
        return lowered == "true"
    return text


def parse_export(live_endpoint: str, content: bytes | str) -> ParsedExport:
    """The rows of one export file, shaped as `live_endpoint` returns them."""
    known = COLUMNS[live_endpoint]
    text = content.decode("utf-8-sig") if isinstance(content, bytes) else content.lstrip("\ufeff")
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if not header:
        raise ExportFileError(f"{live_endpoint} export: the file has no header row")
    names = [h.strip() for h in header]
    missing = [c for c in REQUIRED[live_endpoint] if c not in names]
    if missing:
        raise ExportFileError(f"{live_endpoint} export: required column(s) missing: {', '.join(missing)}")
    positions = {name: i for i, name in enumerate(names) if name in known}
    out = ParsedExport(rows=[])
    for line_no, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue
        row: dict[str, Any] = {}
        try:
            for name, i in positions.items():
                column = name
                raw = cells[i] if i < len(cells) else ""
                if raw.strip() == "" and name not in REQUIRED[live_endpoint]:
                    row[name] = "" if name not in INT_COLUMNS | BOOL_COLUMNS else None
                    continue
                if raw.strip() == "":
                    raise ValueError("empty")
                row[name] = _value(name, raw)
        except ValueError as exc:
            out.rejected.append(f"line {line_no}: {column}: {exc}")
            continue
        out.rows.append({k: v for k, v in row.items() if v is not None})
    return out

