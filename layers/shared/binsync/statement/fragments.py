"""Events cut by an export boundary are completed by the next file, never stored twice (issue 16).

A trade at 23:59:59 whose fee row falls at 00:00:00 of the next day is cut by a yearly export:
one file holds the trade rows, the next the fee row, an overlapping export all of them. The
parser's id hashes the rows of the event's first second, so a version cut after that second has
the fuller version's id; one cut before it (an export starting at the fee row) has another id.
Every statement transaction carries `meta.rows`, fingerprints of all its rows. Before a chunk is
written, stored statement events around it are compared by rows:

- a new event whose rows all sit inside a stored event is a fragment: not written;
- a stored event whose rows all sit inside a new event is replaced by the fuller new one
  (same id: overwritten; another id: the stored fragment is deleted).

Events whose rows only partly overlap are both kept (neither is a fragment of the other).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from binsync.model import Transaction
from binsync.statement.merge import _coalesce
from binsync.storage.models import TransactionModel, account_key, transaction_sk

PAD_S = 60  # a multi-second event (dust, Buy Crypto) spans seconds; its fragments lie this close
COALESCE_GAP_S = 86_400


@dataclass
class FragmentResult:
    to_write: list[Transaction]
    dropped: int = 0  # new fragments of stored events
    replaced: int = 0  # stored fragments completed by a fuller new event


def _rows(meta: dict | None) -> frozenset[str]:
    return frozenset((meta or {}).get("rows") or ())


Stored = tuple[TransactionModel, frozenset[str]]  # a stored statement event and its row fingerprints


def _stored_statement_events(user_id: str, binance_uid: str, lo_s: int, hi_s: int) -> list[Stored]:
    start, end = f"{lo_s * 1000:013d}", f"{(hi_s + 1) * 1000:013d}"
    akey = account_key(user_id, binance_uid)
    found = []
    for model in TransactionModel.query(user_id, TransactionModel.sk.between(start, end),
                                        filter_condition=(TransactionModel.account_key == akey)
                                        & (TransactionModel.source_kind == "statement"),
                                        consistent_read=True):
        body = model.body if isinstance(model.body, dict) else {}
        rows = _rows(body.get("meta"))
        if rows:
            found.append((model, rows))
    return found


def keep_fuller(user_id: str, binance_uid: str, transactions: Sequence[Transaction]) -> FragmentResult:
    """The statement `transactions` to write; stored fragments they complete are deleted."""
    result = FragmentResult(to_write=[])
    candidates = [tx for tx in transactions if _rows(tx.meta)]
    if not candidates:
        result.to_write = list(transactions)
        return result
    stored: list[Stored] = []
    for lo, hi in _coalesce(_windows(candidates), max_gap=COALESCE_GAP_S):  # one Query per day or less
        stored.extend(_stored_statement_events(user_id, binance_uid, lo, hi))
    # Only a stored event sharing a row with `tx` can contain it or be contained in it.
    sharing: dict[str, list[int]] = {}
    for index, (_, other) in enumerate(stored):
        for row in other:
            sharing.setdefault(row, []).append(index)
    deleted: set[str] = set()
    for tx in transactions:
        rows = _rows(tx.meta)
        near = [stored[i] for i in sorted({i for row in rows for i in sharing.get(row, ())})]
        if not rows or not near:
            result.to_write.append(tx)
            continue
        if any(rows < other or (rows == other and model.tx_id != tx.id) for model, other in near
               if model.sk not in deleted):
            result.dropped += 1  # every row already stored in a fuller (or equal) event
            continue
        for model, other in near:
            if model.sk in deleted or not other < rows:
                continue
            if model.sk != transaction_sk(tx.time_ms, tx.id):
                model.delete()  # the fragment's rows are all in `tx`, written next
            deleted.add(model.sk)
            result.replaced += 1
        result.to_write.append(tx)
    return result


def _last_second(tx: Transaction) -> int:
    return max((tx.meta or {}).get("seconds") or [tx.time_ms // 1000])


def _windows(transactions: Sequence[Transaction]) -> list[tuple[int, int]]:
    spans = sorted((tx.time_ms // 1000 - PAD_S, _last_second(tx) + PAD_S) for tx in transactions)
    out: list[tuple[int, int]] = []
    for lo, hi in spans:
        if out and lo <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out
