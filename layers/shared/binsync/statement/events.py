"""Group statement rows into economic events and build unified transactions (spec §5.4).

Input is one *cluster*: rows whose seconds form a chain with gaps of at most one second (see
`parser.py`), so every event and its +1 s spill-over is inside it. Rules:

1. Every row gets an occurrence index among the identical rows (same second, wallet, operation,
   coin, change, remark) of its cluster, in file order. Identical rows are legitimate fills and
   are never merged; the index makes them distinct keys. Two overlapping exports of one account
   contain the same rows in the same order, so their events get the same keys and ids.
2. Groups: a `single` operation is one event per row; a swap family (spot fills, convert, dust,
   ETH staking...) groups by (second, wallet, family); a transfer groups by (second, operation)
   across wallets; an unknown operation groups by (second, wallet, operation).
3. Spill-over (BittyTax's t/t+1 rule): a swap group at t that lacks a side (only spends, only
   buys, only fees) absorbs the group of the same key at t+1, as does a complete group when the
   next second holds only fee rows. Transfer halves at t and t+1 are joined when both are halves.
4. Swaps: when the non-fee rows hold at most one received and one spent coin, the group is one
   *net* swap (the per-second aggregate; exact for tax purposes, rotki's rule). Otherwise rows are
   cut into fills in file order (a fill closes when it has both sides) and fills are aggregated
   per (received coin, spent coin). Dust batches stay one transaction (the API's `transId`).
5. Transfers: a debit and a credit of the same coin and absolute amount are one transfer; an
   unpaired row stays a one-leg transfer (real exports show only the spot side of an Earn
   subscription).

Every row ends in exactly one transaction, one leg aggregated per (coin, wallet, role), so the
legs sum to the Change column per coin and wallet by construction.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal

from binsync.model import Leg, Source, Transaction, transaction_id
from binsync.statement.operations import SINGLE, TRANSFER, UNKNOWN, OpSpec

# Row tuple layout (built by parser.py; tuples are cheaper than objects at 10^6 rows).
LINE, SEC, WALLET, ACCOUNT, OP, SPEC, COIN, AMOUNT, REMARK, OPKEY, OCC, TIME_TEXT, CHANGE_TEXT = range(13)
Row = tuple  # (line, sec, wallet, account, op, spec, coin, amount, remark, opkey, occurrence, time, change)

_ZERO = Decimal(0)


def _role(row: Row) -> str:
    amount = row[AMOUNT]
    if amount < 0:
        return "fee" if row[SPEC].fee else "out"
    return "in"


def _is_fee(row: Row) -> bool:
    return row[SPEC].fee and row[AMOUNT] < 0


def _swap_complete(rows: list[Row]) -> bool:
    got = spent = False
    for row in rows:
        if _is_fee(row):
            continue
        if row[AMOUNT] > 0:
            got = True
        elif row[AMOUNT] < 0:
            spent = True
    return got and spent


def _only_fees(rows: list[Row]) -> bool:
    return all(_is_fee(row) for row in rows)


def _transfer_complete(rows: list[Row]) -> bool:
    net: dict[str, Decimal] = {}
    for row in rows:
        net[row[COIN]] = net.get(row[COIN], _ZERO) + row[AMOUNT]
    return len(rows) >= 2 and not any(net.values())


def _split_swap(rows: list[Row]) -> list[list[Row]]:
    """Cut one swap group into swaps; see rule 4 of the module docstring."""
    ins: set[str] = set()
    outs: set[str] = set()
    for row in rows:
        if not _is_fee(row):
            if row[AMOUNT] > 0:
                ins.add(row[COIN])
            elif row[AMOUNT] < 0:
                outs.add(row[COIN])
    if len(ins) <= 1 and len(outs) <= 1:
        return [rows]
    fills: list[list[Row]] = []
    current: list[Row] = []
    got: str | None = None
    spent: str | None = None
    for row in rows:
        if not _is_fee(row) and row[AMOUNT] != 0:
            positive = row[AMOUNT] > 0
            if got is not None and spent is not None:
                fills.append(current)
                current, got, spent = [], None, None
            if positive and got is None:
                got = row[COIN]
            elif not positive and spent is None:
                spent = row[COIN]
        current.append(row)
    if current:
        fills.append(current)
    pairs: dict[tuple[str | None, str | None], list[Row]] = {}
    for fill in fills:
        got = next((r[COIN] for r in fill if not _is_fee(r) and r[AMOUNT] > 0), None)
        spent = next((r[COIN] for r in fill if not _is_fee(r) and r[AMOUNT] < 0), None)
        pairs.setdefault((got, spent), []).extend(fill)
    # A half fill (one side missing) joins a complete pair sharing its coin, else stands alone.
    complete = [k for k in pairs if k[0] is not None and k[1] is not None]
    for key in [k for k in pairs if k[0] is None or k[1] is None]:
        target = next((k for k in complete if key[0] in k or key[1] in k), None)
        if target is None and complete:
            target = complete[-1]
        if target is not None:
            pairs[target].extend(pairs.pop(key))
    return [sorted(group, key=lambda r: r[LINE]) for group in pairs.values()]


def _split_transfer(rows: list[Row]) -> list[tuple[list[Row], str | None]]:
    """(rows, kind override) per event: pairs of one coin, then what is left. A leftover with a
    debit in one coin and a credit in another is a conversion (SOL -> BNSOL under `Staking
    Purchase`, WBETH -> ETH under `ETH 2.0 Staking Withdrawals`): one `trade`."""
    if len(rows) == 2 and rows[0][AMOUNT] == -rows[1][AMOUNT] and rows[0][COIN] == rows[1][COIN]:
        return [(rows, None)]
    pending: list[Row] = []
    out: list[tuple[list[Row], str | None]] = []
    for row in rows:
        match = next((i for i, p in enumerate(pending)
                      if p[COIN] == row[COIN] and p[AMOUNT] == -row[AMOUNT] and p[WALLET] != row[WALLET]
                      and row[AMOUNT] != 0), None)
        if match is None:
            pending.append(row)
        else:
            out.append(([pending.pop(match), row], None))
    if pending:
        credits = {r[COIN] for r in pending if r[AMOUNT] > 0}
        debits = {r[COIN] for r in pending if r[AMOUNT] < 0}
        if credits and debits and not credits & debits:
            out.append((pending, "trade"))
        else:
            out.extend(([row], None) for row in pending)
    out.sort(key=lambda event: event[0][0][LINE])
    return out


def _time_text(sec: int) -> str:
    return datetime.fromtimestamp(sec, tz=UTC).strftime("%Y-%m-%d %H:%M:%S")


class EventBuilder:
    """Turns clusters of rows into transactions for one account (Binance uid) and one file."""

    def __init__(self, account: str, source_ref: str, keep_raw: bool = True) -> None:
        self.account = account
        self.source_ref = source_ref
        self.keep_raw = keep_raw

    def build(self, rows: list[Row]) -> list[Transaction]:
        # 1. (occurrence indexes were assigned by the parser, in file order, per cluster)
        # 2. groups
        events: list[list[Row]] = []
        groups: dict[tuple, list[Row]] = {}
        for row in rows:
            spec: OpSpec = row[SPEC]
            family = spec.family
            if family == SINGLE:
                events.append([row])
                continue
            if family == TRANSFER:
                key = (row[SEC], TRANSFER, row[OPKEY])
            elif family == UNKNOWN:
                key = (row[SEC], row[WALLET], UNKNOWN, row[OPKEY])
            else:
                key = (row[SEC], row[WALLET], family)
            group = groups.get(key)
            if group is None:
                groups[key] = [row]
            else:
                group.append(row)

        # 3. spill-over t -> t+1, in ascending time
        absorbed: set[tuple] = set()
        for key in sorted(groups, key=lambda k: k[0]):
            if key in absorbed:
                continue
            following = (key[0] + 1, *key[1:])
            nxt = groups.get(following)
            if nxt is None or following in absorbed:
                continue
            current = groups[key]
            if key[1] == TRANSFER:
                join = not _transfer_complete(current) and not _transfer_complete(nxt)
            elif key[2] == UNKNOWN:
                join = False
            else:
                join = not _swap_complete(current) or _only_fees(nxt)
            if join:
                current.extend(nxt)
                absorbed.add(following)

        # 4./5. split into events
        overrides: dict[int, str] = {}
        for key, group in groups.items():
            if key in absorbed:
                continue
            if key[1] == TRANSFER:
                for event, kind in _split_transfer(group):
                    if kind is not None:
                        overrides[len(events)] = kind
                    events.append(event)
            elif key[2] == UNKNOWN or key[2] == "dust":
                events.append(group)
            else:
                events.extend(_split_swap(group))

        txs = [self._transaction(event, overrides.get(i)) for i, event in enumerate(events)]
        txs.sort(key=lambda tx: (tx.time_ms, tx.meta["lines"][0]))
        return txs

    def _transaction(self, event: list[Row], kind_override: str | None = None) -> Transaction:
        first = event[0]
        keys: list[str] = []
        legs: dict[tuple[str, str, str], Decimal] = {}
        seconds: list[int] = []
        for row in event:
            amount = row[AMOUNT]
            keys.append(f"{row[SEC]}|{row[WALLET]}|{row[OPKEY]}|{row[COIN]}|{row[CHANGE_TEXT]}|{row[REMARK]}|"
                        f"{row[OCC]}")
            leg_key = (row[COIN], row[WALLET], _role(row))
            legs[leg_key] = legs.get(leg_key, _ZERO) + amount
            if row[SEC] not in seconds:
                seconds.append(row[SEC])
        keys.sort()
        row_key = "\n".join(keys)
        spec: OpSpec = first[SPEC]
        kind = kind_override or spec.kind
        ops: list[str] = []
        for row in event:
            if row[OP] not in ops:
                ops.append(row[OP])
        meta: dict = {"lines": [row[LINE] for row in event], "operations": ops}
        if len(seconds) > 1:
            meta["seconds"] = sorted(seconds)
        if not spec.known:
            meta["unknown_operation"] = first[OP]
        description = " / ".join(ops)
        if kind == "withdrawal":
            meta["fee_included"] = True  # the one row is -(amount + network fee); spec §6.6
            description = f"{description} (network fee included in the amount)"
        raw = None
        if self.keep_raw:
            raw = [[r[LINE], r[TIME_TEXT], r[ACCOUNT], r[OP], r[COIN], r[CHANGE_TEXT], r[REMARK]]
                   for r in event]
        native = hashlib.sha256(row_key.encode()).hexdigest()[:24]
        return Transaction(
            id=transaction_id(self.account, "statement", row_key),
            account=self.account,
            time_ms=min(seconds) * 1000,
            kind=kind,
            legs=tuple(Leg(coin, amount, wallet, role) for (coin, wallet, role), amount in legs.items()),
            source=Source("statement", self.source_ref, native, raw),
            description=description,
            meta=meta,
        )


def legs_sum(transactions: Iterable[Transaction]) -> dict[tuple[str, str], Decimal]:
    """Sum of leg amounts per (asset, wallet): the conservation check used by tests and reports."""
    sums: dict[tuple[str, str], Decimal] = {}
    for tx in transactions:
        for leg in tx.legs:
            key = (leg.asset, leg.wallet)
            sums[key] = sums.get(key, _ZERO) + leg.amount
    return sums
