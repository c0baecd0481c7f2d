"""Near-duplicates: a statement event equal to an API event in amounts but not in time (issue 16).

The merge rule (`statement.merge`) joins a statement event to its API twin only within 1 s. An
event whose match key and legs equal those of an API event 2 s to `WINDOW_S` away is most likely
the same event with a shifted clock (a wrong zone, a late API timestamp), but it may also be a
second, identical event: binsync cannot tell, so it does not decide. Policy "flag and store":
the statement event is stored (no row is ever lost), marked `meta.near_duplicate_of` (the API
transaction id) and `meta.near_duplicate_gap_s`, and listed in the upload report with both ids
and the gap, for the user to confirm or dismiss. Pairs are taken nearest first, each event in at
most one (`statement.near_pairs`, shared with the sync's check of the other order); an API event
that already merged an exact twin is not a candidate.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any

from binsync.model import Transaction
from binsync.statement.merge import _coalesce, _Item, _item, _sk_range, tx_match_key
from binsync.statement.near_pairs import EXACT_S, WINDOW_S, entry, exact_twins, pair_nearest
from binsync.storage.models import TransactionModel, account_key

__all__ = ["EXACT_S", "WINDOW_S", "flag_near_duplicates"]
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
    # the pairing rule is shared with the sync's check (statement.near_pairs): same pairs in
    # either order; API events the merge rule joins to an event of this batch are not candidates
    probes = [_probe(tx, key) for tx, key in keyed if key is not None]
    taken = exact_twins(probes, api)
    paired = {s.tx.id: (a, seconds)
              for s, a, seconds in pair_nearest(probes, [a for a in api if a.tx.id not in taken])}
    out: list[Transaction] = []
    found: list[dict[str, Any]] = []
    for tx in transactions:
        hit = paired.get(tx.id)
        if hit is None:
            out.append(tx)
            continue
        twin, seconds = hit
        out.append(replace(tx, meta={**(tx.meta or {}), "near_duplicate_of": twin.tx.id,
                                     "near_duplicate_gap_s": seconds}))
        found.append(entry(_probe(tx, twin.key), twin, seconds))
    return out, found
