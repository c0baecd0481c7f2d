"""Which statement event is the near-duplicate of which API event: one rule for both orders.

The upload (`statement.near_duplicates`, API data already stored) and the sync
(`statement.near_duplicates_api`, statement already stored) both call `pair_nearest`, so the
pairs do not depend on which source arrived first. A pair has the same match key and legs, and a
gap of `EXACT_S` < gap <= `WINDOW_S` seconds; pairs are taken nearest first (ties: statement id,
then API id), each event in at most one pair. API events the 1 s merge rule joins to a statement
event (`exact_twins`) are not candidates.

Candidates are found per match key in time order (bisect on the API events' seconds), so a chunk
of 500 statement events beside thousands of API fills compares only what lies in its window.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterator, Sequence

from binsync.statement.merge import _Item, legs_match

WINDOW_S = 600  # how far apart (seconds) a near-duplicate may lie
EXACT_S = 1  # within this the merge rule applies, not this one

Pair = tuple[_Item, _Item, int]  # statement item, API item, gap in seconds


def gap(statement: _Item, api: _Item) -> int:
    return abs(api.tx.time_ms // 1000 - statement.tx.time_ms // 1000)


def _near(statements: Sequence[_Item], apis: Sequence[_Item], reach: int) -> Iterator[tuple[_Item, _Item]]:
    """(statement, API) items of one match key at most `reach` seconds apart."""
    by_key: dict[str, list[tuple[int, _Item]]] = {}
    for api in apis:
        by_key.setdefault(api.key, []).append((api.tx.time_ms // 1000, api))
    index = {key: (sorted(rows, key=lambda r: (r[0], r[1].tx.id))) for key, rows in by_key.items()}
    seconds = {key: [sec for sec, _ in rows] for key, rows in index.items()}
    for statement in statements:
        rows = index.get(statement.key)
        if not rows:
            continue
        sec = statement.tx.time_ms // 1000
        keys = seconds[statement.key]
        for _, api in rows[bisect_left(keys, sec - reach):bisect_right(keys, sec + reach)]:
            yield statement, api


def exact_twins(statements: Sequence[_Item], apis: Sequence[_Item]) -> set[str]:
    """Ids of the API events the merge rule joins to one of `statements` (within 1 s)."""
    return {api.tx.id for statement, api in _near(statements, apis, EXACT_S)
            if legs_match([statement], [api])}


def pair_nearest(statements: Sequence[_Item], apis: Sequence[_Item]) -> list[Pair]:
    """Near-duplicate pairs, nearest first, each statement and API event at most once."""
    candidates = sorted(
        ((gap(s, a), s.tx.id, a.tx.id, s, a) for s, a in _near(statements, apis, WINDOW_S)
         if gap(s, a) > EXACT_S and legs_match([s], [a])),
        key=lambda c: c[:3])
    used_statements: set[str] = set()
    used_apis: set[str] = set()
    pairs: list[Pair] = []
    for seconds, s_id, a_id, statement, api in candidates:
        if s_id in used_statements or a_id in used_apis:
            continue
        used_statements.add(s_id)
        used_apis.add(a_id)
        pairs.append((statement, api, seconds))
    return pairs


def entry(statement: _Item, api: _Item, seconds: int) -> dict:
    """One line of the report (upload or run): both ids and the gap."""
    return {"statement_id": statement.tx.id, "api_id": api.tx.id, "gap_seconds": seconds,
            "kind": statement.tx.kind, "time_ms": statement.tx.time_ms, "api_time_ms": api.tx.time_ms}
