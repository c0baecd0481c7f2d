"""One event from the union of partly overlapping versions of it (issue 16).

Two exports cut one event at different edges: file A holds its rows r1, r2, r3, file B the rows
r2, r3, r4 (a dust batch booked over three seconds, A ending and B starting in the middle one).
Neither version contains the other, so neither is a fragment to drop or replace; storing both
counts r2 and r3 twice. `rebuild` turns the versions back into parser rows (from the provenance
every statement event keeps: `source.raw` and the row fingerprints `meta.rows`) and runs the
parser's own `EventBuilder` over the union of the distinct rows, so the result is what the parser
makes of a file holding all of them: usually one event, with the id the full file gives it.
`meta.united_from` lists the versions' ids; `meta.lines` are then lines of several files.

The result depends only on the set of versions (never on which was stored first): rows are
identified by fingerprint, each second is laid out in the order of the version holding most of
its rows (ties: the version whose fingerprints sort first), seconds in the file direction of the
largest version. A version whose rows cannot be recovered exactly (no raw rows, a fingerprint
that no raw row reproduces) makes `rebuild` return None: the caller then keeps what it has.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterable, Sequence
from decimal import Decimal, InvalidOperation

from binsync.model import Transaction
from binsync.statement.events import AMOUNT, COIN, LINE, SEC, WALLET, EventBuilder, Row
from binsync.statement.operations import account_wallet, lookup, normalise
from binsync.statement.parser import parse_time, value_offset

_OCC_REACH = 256  # identical rows of a second in other events before this one's (bounds a search)


def _fingerprint(sec: int, wallet: str, opkey: str, coin: str, change: str, remark: str, occ: int) -> str:
    # the key EventBuilder._transaction hashes into meta.rows
    key = f"{sec}|{wallet}|{opkey}|{coin}|{change}|{remark}|{occ}"
    return hashlib.blake2b(key.encode(), digest_size=6).hexdigest()


def parser_rows(tx: Transaction) -> list[tuple[str, Row]] | None:
    """(fingerprint, parser row) of every row of a stored statement event, in its raw order; None
    when they cannot all be recovered. The raw time is the file's (maybe local) text: a row's UTC
    second is the one of the event's seconds that reproduces its fingerprint."""
    meta = tx.meta or {}
    wanted = set(meta.get("rows") or ())
    raw = tx.source.raw
    if not wanted or not isinstance(raw, list) or len(raw) != len(wanted):
        return None
    seconds = sorted({int(s) for s in meta.get("seconds") or [tx.time_ms // 1000]})
    out: list[tuple[str, Row]] = []
    taken: set[str] = set()
    next_occ: dict[tuple, int] = {}
    for cells in raw:
        try:
            line, time_text, account, op, coin, change, remark = cells
            amount = Decimal(change)
            naive = parse_time(time_text)
        except (TypeError, ValueError, InvalidOperation):
            return None
        wallet = account_wallet(account)
        if wallet is None:
            return None
        opkey = normalise(op)
        own = value_offset(time_text) if len(time_text) > 19 else None
        candidates = [naive - own] if own is not None else seconds
        found = None
        for sec in candidates:
            ident = (sec, wallet, opkey, coin, change, remark)
            start = next_occ.get(ident, 0)
            for occ in range(start, start + _OCC_REACH):
                fp = _fingerprint(sec, wallet, opkey, coin, change, remark, occ)
                if fp in wanted and fp not in taken:
                    found = (fp, sec, occ, ident)
                    break
            if found:
                break
        if found is None:
            return None
        fp, sec, occ, ident = found
        taken.add(fp)
        next_occ[ident] = occ + 1
        row = (int(line), sec, wallet, account, op, lookup(op, wallet), coin, amount, remark, opkey, occ,
               time_text, change)
        out.append((fp, row))
    return out


def _newest_first(rows: Sequence[Row]) -> bool:
    """Binance writes newest first: lines grow while seconds fall."""
    by_line = sorted(rows, key=lambda r: r[LINE])
    return len({r[SEC] for r in rows}) > 1 and by_line[0][SEC] > by_line[-1][SEC]


def rebuild(versions: Sequence[Transaction]) -> list[Transaction] | None:
    """The events the parser builds from the union of the versions' distinct rows, or None."""
    recovered = []
    for tx in versions:
        rows = parser_rows(tx)
        if rows is None:
            return None
        recovered.append(rows)
    # a canonical rank of the versions: most rows first, then by sorted fingerprints
    order = sorted(range(len(versions)),
                   key=lambda i: (-len(recovered[i]), sorted(fp for fp, _ in recovered[i])))
    chosen: dict[str, Row] = {}  # fingerprint -> row, from the best-ranked version holding it
    owner: dict[int, int] = {}  # second -> rank of the version holding most of its rows
    for index in order:
        for fp, row in recovered[index]:
            chosen.setdefault(fp, row)
    for sec in {row[SEC] for row in chosen.values()}:
        counts = [sum(1 for _, row in recovered[i] if row[SEC] == sec) for i in order]
        owner[sec] = max(range(len(order)), key=lambda rank: (counts[rank], -rank))
    rank_of = {index: rank for rank, index in enumerate(order)}
    place: dict[str, tuple[int, int, int]] = {}  # fingerprint -> (rank of its version, line, n)
    for index in order:
        for n, (fp, row) in enumerate(recovered[index]):
            if fp not in place:
                rank = rank_of[index]
                place[fp] = (0 if owner[row[SEC]] == rank else 1 + rank, row[LINE], n)
    descending = _newest_first([row for _, row in recovered[order[0]]])
    laid = sorted(chosen, key=lambda fp: ((-1 if descending else 1) * chosen[fp][SEC], place[fp]))
    # Synthetic line numbers in that layout (the builder orders fills by line), the files' own
    # line numbers restored afterwards: they are the provenance.
    synthetic = [(n + 1, *chosen[fp][1:]) for n, fp in enumerate(laid)]
    original = {n + 1: chosen[fp][LINE] for n, fp in enumerate(laid)}
    first = versions[order[0]]
    built = EventBuilder(first.account, first.source.ref, keep_raw=True).build(synthetic)
    out = []
    for tx in built:
        meta = dict(tx.meta)
        meta["lines"] = [original[n] for n in meta["lines"]]  # of several files: see united_from
        meta["united_from"] = sorted({version.id for version in versions})
        raw = [[original[cells[0]], *cells[1:]] for cells in tx.source.raw or []]
        out.append(dataclasses.replace(tx, meta=meta, source=dataclasses.replace(tx.source, raw=raw)))
    if _sums(out) != _row_sums(chosen.values()):
        return None  # never: the builder conserves every row; checked because money is at stake
    return out


def _sums(txs: Sequence[Transaction]) -> dict[tuple[str, str], Decimal]:
    sums: dict[tuple[str, str], Decimal] = {}
    for tx in txs:
        for leg in tx.legs:
            sums[(leg.asset, leg.wallet)] = sums.get((leg.asset, leg.wallet), Decimal(0)) + leg.amount
    return {k: v for k, v in sums.items() if v}


def _row_sums(rows: Iterable[Row]) -> dict[tuple[str, str], Decimal]:
    sums: dict[tuple[str, str], Decimal] = {}
    for row in rows:
        sums[(row[COIN], row[WALLET])] = sums.get((row[COIN], row[WALLET]), Decimal(0)) + row[AMOUNT]
    return {k: v for k, v in sums.items() if v}
