"""Near-duplicates: a statement event equal to an API event in amounts but not in time (issue 16).

The merge rule (`statement.merge`) joins a statement event to its API twin only within 1 s. An
event whose match key and legs equal those of an API event 2 s to `WINDOW_S` away is most likely
the same event with a shifted clock (a wrong zone, a late API timestamp), but it may also be a
second, identical event: binsync cannot tell, so it does not decide. Policy "flag and store":
the statement event is stored (no row is ever lost), marked `meta.near_duplicate_of` (the API
transaction id) and `meta.near_duplicate_gap_s`, and listed in the upload report with both ids
and the gap, for the user to confirm or dismiss. Each API event is paired with at most one
statement event, the nearest; an API event that already merged an exact twin is not a candidate.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any

from binsync.model import Transaction
from binsync.statement.merge import _coalesce, _Item, _item, _sk_range, legs_match, tx_match_key
from binsync.storage.models import TransactionModel, account_key

WINDOW_S = 600  # how far apart (seconds) a near-duplicate may lie
EXACT_S = 1  # within this the merge rule applies, not this one
COALESCE_GAP_S = 86_400


def _api_neighbours(user_id: str, binance_uid: str, lo: int, hi: int) -> list[_Item]:
    start, end = _sk_range(lo, hi)
    akey = account_key(user_id, binance_uid)
    found: list[_Item] = []
    for model in TransactionModel.query(user_id, TransactionModel.sk.between(start, end),
                                        filter_condition=(TransactionModel.account_key == akey)
                                        & (TransactionModel.source_kind == "api"),
                                        consistent_read=True):
        item = _item(model)
        if item is not None and not (model.merged_from or []):
            found.append(item)
    return found


def _windows(seconds: Iterable[int]) -> list[tuple[int, int]]:
    """Disjoint second windows covering every second +- WINDOW_S."""
    out: list[tuple[int, int]] = []
    for sec in sorted(set(seconds)):
        lo, hi = sec - WINDOW_S, sec + WINDOW_S
        if out and lo <= out[-1][1] + 1:
            out[-1] = (out[-1][0], hi)
        else:
            out.append((lo, hi))
    return out


def _probe(tx: Transaction, key: str) -> _Item:
    """A statement transaction not yet stored, in the shape `legs_match` compares."""
    return _Item(model=None, tx=tx, key=key, seconds=(tx.time_ms // 1000,), is_api=False)  # type: ignore[arg-type]


def _gap(statement: Transaction, api: _Item) -> int:
    return abs(api.tx.time_ms // 1000 - statement.time_ms // 1000)


NearDuplicate = dict[str, Any]  # statement_id, api_id, gap_seconds, kind, time_ms, api_time_ms


def flag_near_duplicates(user_id: str, binance_uid: str, transactions: Sequence[Transaction],
                         ) -> tuple[list[Transaction], list[NearDuplicate]]:
    """The statement `transactions` with near-duplicates marked, and the report entries."""
    keyed = [(tx, tx_match_key(tx)) for tx in transactions]
    api: list[_Item] = []
    # Windows a day apart or less are read as one Query: fewer requests for the same items around
    # the events (a yearly export's chunk made about 600 window queries before).
    for lo, hi in _coalesce(_windows(tx.time_ms // 1000 for tx, key in keyed if key is not None),
                            max_gap=COALESCE_GAP_S):
        api.extend(_api_neighbours(user_id, binance_uid, lo, hi))
    if not api:
        return list(transactions), []
    # API events the merge rule will join to a statement event of this batch are not candidates
    taken = {a.tx.id for tx, key in keyed for a in api
             if a.key == key and _gap(tx, a) <= EXACT_S and legs_match([_probe(tx, a.key)], [a])}
    out: list[Transaction] = []
    found: list[dict[str, Any]] = []
    for tx, key in keyed:
        candidates = [] if key is None else [
            a for a in api
            if a.key == key and a.tx.id not in taken and EXACT_S < _gap(tx, a) <= WINDOW_S]
        twins = sorted((a for a in candidates if legs_match([_probe(tx, a.key)], [a])),
                       key=lambda a: (_gap(tx, a), a.tx.id))
        if not twins:
            out.append(tx)
            continue
        twin = twins[0]
        taken.add(twin.tx.id)
        gap = _gap(tx, twin)
        out.append(replace(tx, meta={**(tx.meta or {}), "near_duplicate_of": twin.tx.id,
                                     "near_duplicate_gap_s": gap}))
        found.append({"statement_id": tx.id, "api_id": twin.tx.id, "gap_seconds": gap,
                      "kind": tx.kind, "time_ms": tx.time_ms, "api_time_ms": twin.tx.time_ms})
    return out, found
