"""Events cut by an export boundary are completed by the next file, never stored twice (issue 16).

A trade at 23:59:59 whose fee row falls at 00:00:00 of the next day is cut by a yearly export:
one file holds the trade rows, the next the fee row, an overlapping export all of them. The
parser's id hashes the rows of the event's first second, so a version cut after that second has
the fuller version's id; one cut before it (an export starting at the fee row) has another id.
Every statement transaction carries `meta.rows`, fingerprints of all its rows. Before a chunk is
written, stored statement events around it are compared by rows with each new event:

- a new event whose rows all sit inside a stored event is a fragment: not written (`dropped`);
- a stored event whose rows all sit inside a new event is replaced by the fuller new one
  (same id: overwritten; another id: the stored fragment is deleted) (`replaced`);
- a new and a stored event that share rows while each has rows the other lacks (a dust batch
  over three seconds, file A ending and file B starting in the middle one) are rebuilt as the
  events the parser makes of the union of their distinct rows (`statement.union`), stored under
  the id the parser gives them, and the stored version is deleted (`united`). When the rows of a
  version cannot be recovered (no raw rows kept), both stay as before (`not_united`).

Stored versions are deleted only after what supersedes them is written (`delete_superseded`):
an invocation killed in between leaves a duplicate that the retry removes (a stored event inside
another stored one is a leftover, deleted with it), never a lost row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from binsync.model import Transaction
from binsync.statement.merge import _coalesce
from binsync.statement.union import rebuild
from binsync.storage.large_items import full_body
from binsync.storage.models import TransactionModel, account_key, transaction_sk

PAD_S = 60  # a multi-second event (dust, Buy Crypto) spans seconds; its fragments lie this close
COALESCE_GAP_S = 86_400


@dataclass
class FragmentResult:
    to_write: list[Transaction]
    # stored versions superseded by `to_write`: deleted once it is written
    to_delete: list[TransactionModel] = field(default_factory=list)
    dropped: int = 0  # new fragments of stored events
    replaced: int = 0  # stored fragments completed by a fuller new event
    united: int = 0  # stored events partly overlapping a new one, rebuilt as their union
    not_united: int = 0  # partial overlaps left as they are: a version's rows could not be recovered

    def delete_superseded(self) -> None:
        for model in self.to_delete:
            model.delete()


def _rows(meta: dict | None) -> frozenset[str]:
    return frozenset((meta or {}).get("rows") or ())


Stored = tuple[TransactionModel, frozenset[str], dict]  # a stored statement event, its row fingerprints, body


def _stored_statement_events(user_id: str, binance_uid: str, lo_s: int, hi_s: int) -> list[Stored]:
    start, end = f"{lo_s * 1000:013d}", f"{(hi_s + 1) * 1000:013d}"
    akey = account_key(user_id, binance_uid)
    found = []
    for model in TransactionModel.query(user_id, TransactionModel.sk.between(start, end),
                                        filter_condition=(TransactionModel.account_key == akey)
                                        & (TransactionModel.source_kind == "statement"),
                                        consistent_read=True):
        body = model.body if isinstance(model.body, dict) else {}
        if (body.get("meta") or {}).get("full_body"):  # a huge event: its rows are in S3
            body = full_body(body)
        rows = _rows(body.get("meta"))
        if rows:
            found.append((model, rows, body))
    return found


def keep_fuller(user_id: str, binance_uid: str, transactions: Sequence[Transaction]) -> FragmentResult:
    """The statement `transactions` to write, and the stored versions they supersede."""
    result = FragmentResult(to_write=[])
    candidates = [tx for tx in transactions if _rows(tx.meta)]
    if not candidates:
        result.to_write = list(transactions)
        return result
    stored: list[Stored] = []
    for lo, hi in _coalesce(_windows(candidates), max_gap=COALESCE_GAP_S):  # one Query per day or less
        stored.extend(_stored_statement_events(user_id, binance_uid, lo, hi))
    # Only a stored event sharing a row with `tx` can contain it, sit in it or overlap it.
    sharing: dict[str, list[int]] = {}
    for index, (_, other, _) in enumerate(stored):
        for row in other:
            sharing.setdefault(row, []).append(index)
    superseded: set[str] = set()  # sort keys of stored versions already planned away
    for tx in transactions:
        rows = _rows(tx.meta)
        near = [stored[i] for i in sorted({i for row in rows for i in sharing.get(row, ())})
                if stored[i][0].sk not in superseded]
        if not rows or not near:
            result.to_write.append(tx)
            continue
        own_sk = transaction_sk(tx.time_ms, tx.id)
        union = rows.union(*(other for _, other, _ in near))
        fuller = [model for model, other, _ in near if other == union]
        if union == rows and not any(model.sk != own_sk for model in fuller):
            # every stored version sits inside `tx` (or is `tx` itself): `tx` replaces them
            result.to_write.append(tx)
            for model, other, _ in near:
                _supersede(result, superseded, model, keep=model.sk == own_sk)
                result.replaced += other < rows
        elif fuller:
            # a stored event holds every row: `tx` is a fragment; any other stored version near
            # it sits inside that event too (a leftover of an interrupted upload)
            keeper = fuller[0]
            result.dropped += 1
            for model, _, _ in near:
                if model.sk != keeper.sk:
                    _supersede(result, superseded, model, keep=False)
                    result.replaced += 1
        else:
            _unite(result, superseded, tx, near)
    result.to_write = list({tx.id: tx for tx in result.to_write}.values())
    return result


def _supersede(result: FragmentResult, superseded: set[str], model: TransactionModel, *, keep: bool) -> None:
    """`model` is replaced: overwritten in place (`keep`, same sort key) or deleted after the write."""
    superseded.add(model.sk)
    if not keep:
        result.to_delete.append(model)


def _unite(result: FragmentResult, superseded: set[str], tx: Transaction, near: list[Stored]) -> None:
    """`tx` and stored versions partly overlapping it: stored as the events of their union."""
    versions = [tx, *(Transaction.from_dict(body) for _, _, body in near)]
    built = rebuild(versions)
    if built is None:
        result.not_united += 1
        result.to_write.append(tx)  # as before issue 16's union: both kept, reported
        return
    written = {transaction_sk(event.time_ms, event.id) for event in built}
    for model, _, _ in near:
        _supersede(result, superseded, model, keep=model.sk in written)
        result.united += 1
    result.to_write.extend(built)


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
