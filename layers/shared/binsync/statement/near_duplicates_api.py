"""Near-duplicates found by the sync: the statement was uploaded first (issue 16 item 5).

A user who downloads the statement before registering a key uploads it first; the API records
arrive later through the sync. Each written page then runs the same check the upload runs
(`statement.near_duplicates`) against the statement events already stored, with the same pairing
rule (`statement.near_pairs`), so both orders give the same pairs. Policy "flag and store": both
events stay stored, the statement event gets `meta.near_duplicate_of` (the API id) and
`meta.near_duplicate_gap_s`, and the pair is listed in the run's report
(`near_duplicate_count`, `near_duplicates`).

Cost: one Query on the sparse `by_file` index per written page, over the page's time range
+-`WINDOW_S`, shared with the 1 s merge (`merge.reconcile_api_transactions`), and only for an
account that has file items at all (`sync.fetch._account_has_files`): an API-only sync pays
nothing more. A stored statement event is rewritten only when its mark changes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from pynamodb.exceptions import UpdateError

from binsync.model import Transaction
from binsync.statement.merge import (
    MergeResult,
    _Item,
    _item,
    _seconds,
    _sk_range,
    reconcile_api_transactions,
    tx_match_key,
)
from binsync.statement.near_pairs import WINDOW_S, entry, exact_twins, pair_nearest
from binsync.storage.models import TransactionModel, account_key

NearDuplicate = dict[str, Any]


def _api_items(transactions: Sequence[Transaction], merged_ids: set[str]) -> list[_Item]:
    out = []
    for tx in transactions:
        key = tx_match_key(tx)
        if key is not None and tx.id not in merged_ids:  # one that merged a twin earlier: not a candidate
            out.append(_Item(model=None, tx=tx, key=key, seconds=(tx.time_ms // 1000,), is_api=True))  # type: ignore[arg-type]
    return out


def _mark(item: _Item, api_id: str, seconds: int) -> bool:
    """Write the mark on the stored statement event; False when it vanished meanwhile."""
    model = item.model
    body = dict(model.body) if isinstance(model.body, dict) else {}
    meta = dict(body.get("meta") or {})
    if meta.get("near_duplicate_of") == api_id and meta.get("near_duplicate_gap_s") == seconds:
        return True  # already marked so (a resync, or the upload found the same pair)
    meta.update(near_duplicate_of=api_id, near_duplicate_gap_s=seconds)
    body["meta"] = meta
    try:  # never re-creates an item a merge or a fragment completion deleted
        model.update(actions=[TransactionModel.body.set(body)], condition=TransactionModel.sk.exists())
    except UpdateError:
        return False
    return True


def flag_from_api(api_txs: Sequence[Transaction], stored: Iterable[TransactionModel], *,
                  merged_statement_ids: set[str], merged_api_ids: set[str]) -> list[NearDuplicate]:
    """Pair this page's API events with stored statement events; mark those and list the pairs."""
    apis = _api_items(api_txs, merged_api_ids)
    if not apis:
        return []
    page_ids = {a.tx.id for a in apis}
    every: list[_Item] = []
    for model in stored:
        if model.source_kind != "statement":
            continue
        item = _item(model)
        if item is not None:
            every.append(item)
    # API events with a 1 s twin are the merge's, even when that merge has just deleted the twin
    taken = exact_twins(every, apis)
    candidates = []
    for item in every:
        if item.tx.id in merged_statement_ids:
            continue
        marked = (item.tx.meta or {}).get("near_duplicate_of")
        if marked and marked not in page_ids:
            continue  # paired with another API event already
        candidates.append(item)
    found = []
    for statement, api, seconds in pair_nearest(candidates, [a for a in apis if a.tx.id not in taken]):
        if _mark(statement, api.tx.id, seconds):
            found.append(entry(statement, api, seconds))
    return found


def reconcile_api_page(user_id: str, binance_uid: str, transactions: Sequence[Transaction], *,
                       merged_api_ids: set[str] | None = None) -> tuple[MergeResult, list[NearDuplicate]]:
    """After the sync wrote a page: the 1 s merge, then near-duplicates, from one Query."""
    seconds = [s for tx in transactions if tx_match_key(tx) is not None
               for s in (*_seconds(tx), tx.time_ms // 1000)]
    if not seconds:
        return MergeResult(), []
    start, end = _sk_range(min(seconds) - WINDOW_S, max(seconds) + WINDOW_S)
    stored = list(TransactionModel.by_file.query(account_key(user_id, binance_uid),
                                                 TransactionModel.sk.between(start, end)))
    merged = reconcile_api_transactions(user_id, binance_uid, transactions, stored=stored)
    near = flag_from_api(transactions, stored, merged_statement_ids=merged.merged_statement_ids,
                         merged_api_ids=(merged_api_ids or set()) | merged.merged_api_ids)
    return merged, near
