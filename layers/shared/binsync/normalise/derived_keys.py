"""Native keys for records that lack their optional id field (issue 16 item 6).

Real responses recorded by third parties omit fields the documentation shows: deposits without
`id`, futures income without `tranId`, margin interest without `txId`, Simple Earn locked rewards
without `type`. Such a record is still a real event, so it is never rejected for the missing id:
its key is derived from the fields that are present, rendered exactly as Binance sent them, so the
same record fetched twice (overlapping pages, a retry) gets the same key and is stored once.
A derived key is marked `~` so it can never collide with a key built from a real id
(docs/ledger.md, id column).
"""

from __future__ import annotations

from .base import Row, RowError


def _field_text(row: Row, key: str) -> str:
    if not row.has(key):
        return ""
    value = row.data[key]
    if isinstance(value, bool | dict | list):
        raise RowError(row.name(key), f"not a key field: {value!r}")
    return str(value).strip()


def ident_or_derived(row: Row, key: str, fields: tuple[str, ...]) -> str:
    """`row[key]` as an exact id when present; else `~` + the present `fields` joined by `|`.

    At least one of `fields` must be present, otherwise the id stays `missing` (nothing to key on).
    """
    if row.has(key):
        return row.ident(key)
    parts = [_field_text(row, name) for name in fields]
    if not any(parts):
        raise RowError(row.name(key), "missing, and none of " + ", ".join(fields) + " to derive a key from")
    return "~" + "|".join(parts)
