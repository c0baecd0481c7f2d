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
from binsync.statement.operations import SAVINGS, SINGLE, TRANSFER, UNKNOWN, OpSpec

# Row tuple layout (built by parser.py; tuples are cheaper than objects at 10^6 rows).
LINE, SEC, WALLET, ACCOUNT, OP, SPEC, COIN, AMOUNT, REMARK, OPKEY, OCC, TIME_TEXT, CHANGE_TEXT = range(13)
Row = tuple  # (line, sec, wallet, account, op, spec, coin, amount, remark, opkey, occurrence, time, change)

_ZERO = Decimal(0)
_blake2b = hashlib.blake2b
_sha256 = hashlib.sha256
# Conversions Binance books over several seconds (a dust batch of 42 coins over 3 s, a card buy's
# fiat and crypto legs, a leverage-token redemption): one event while the seconds chain with gaps
# of at most CHAIN_GAP_S. The parser's clusters chain seconds with the same gap, so a chain is
# always inside one cluster.
CHAIN_FAMILIES = frozenset({"dust", "card_buy", "leverage_token", "fiat_sell"})
CHAIN_GAP_S = 3


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
        amount = row[AMOUNT]
        if amount > 0:
            got = True
        elif amount < 0 and not row[SPEC].fee:  # a fee is neither side
            spent = True
    return got and spent


def _only_fees(rows: list[Row]) -> bool:
    return all(row[SPEC].fee and row[AMOUNT] < 0 for row in rows)  # _is_fee inlined (hot)


def _transfer_complete(rows: list[Row]) -> bool:
    net: dict[str, Decimal] = {}
    for row in rows:
        net[row[COIN]] = net.get(row[COIN], _ZERO) + row[AMOUNT]
    return len(rows) >= 2 and not any(net.values())


# Operations that name one side of a fill: a received row pairs first with a paid row of the
# matching name (Spend<->Buy, Sold<->Revenue); legacy Buy/Sell/Transaction Related label both.
_PAIR_NAMES = frozenset({
    ("transaction buy", "transaction spend"), ("transaction revenue", "transaction sold"),
    ("buy", "buy"), ("sell", "sell"), ("transaction related", "transaction related"),
    ("buy", "transaction related"), ("transaction related", "buy"),
})
_PAIR_WINDOW = 16  # rows apart (in file order) a received and a paid row may be to form a fill


def _sides(rows: list[Row]) -> tuple[set[str], set[str]]:
    ins: set[str] = set()
    outs: set[str] = set()
    for row in rows:
        amount = row[AMOUNT]
        if amount > 0:
            ins.add(row[COIN])
        elif amount < 0 and not row[SPEC].fee:  # a fee is neither side
            outs.add(row[COIN])
    return ins, outs


def _split_swap(rows: list[Row]) -> list[list[Row]]:
    """Cut one swap group (one second, one wallet, one family) into one swap per market.

    One received and one paid coin (different) is one net swap. Otherwise every received row is
    paired with a paid row of *another* coin (never a coin for itself), preferring the matching
    operation name and then the nearest row in file order; pairs are aggregated per market
    (received coin, paid coin). A row left unpaired joins the market that has its coin on the
    same side; a fee joins the market that received (else paid) its coin, else the nearest fill.
    What still has no market stays a one-sided event of its own (visible, never dropped)."""
    ins, outs = _sides(rows)
    if len(ins) <= 1 and len(outs) <= 1 and not (ins and ins == outs):
        return [rows]
    order = sorted(rows, key=lambda r: r[LINE])
    position = {id(r): i for i, r in enumerate(order)}
    received = [r for r in order if not _is_fee(r) and r[AMOUNT] > 0]
    paid = [r for r in order if not _is_fee(r) and r[AMOUNT] < 0]
    candidates = []
    for r_in in received:
        p_in = position[id(r_in)]
        for r_out in paid:
            distance = abs(position[id(r_out)] - p_in)
            if distance > _PAIR_WINDOW or r_out[COIN] == r_in[COIN]:
                continue
            names = (r_in[OPKEY], r_out[OPKEY])
            affinity = 0 if names in _PAIR_NAMES else 1
            candidates.append((affinity, distance, p_in, position[id(r_out)], r_in, r_out))
    candidates.sort(key=lambda c: c[:4])
    used: set[int] = set()
    markets: dict[tuple[str, str], list[Row]] = {}
    anchor: dict[tuple[str, str], list[int]] = {}
    for _, _, p_in, p_out, r_in, r_out in candidates:
        if id(r_in) in used or id(r_out) in used:
            continue
        used.add(id(r_in))
        used.add(id(r_out))
        market = (r_in[COIN], r_out[COIN])
        markets.setdefault(market, []).extend((r_in, r_out))
        anchor.setdefault(market, []).extend((p_in, p_out))
    loose: list[Row] = []
    for row in order:
        if id(row) in used or _is_fee(row) or row[AMOUNT] == 0:
            continue
        side = 0 if row[AMOUNT] > 0 else 1
        target = _nearest([m for m in markets if m[side] == row[COIN]], anchor, position[id(row)])
        if target is None:
            loose.append(row)
        else:
            markets[target].append(row)
    for row in order:
        if not (_is_fee(row) or row[AMOUNT] == 0):
            continue
        here = position[id(row)]
        target = (_nearest([m for m in markets if m[0] == row[COIN]], anchor, here)
                  or _nearest([m for m in markets if m[1] == row[COIN]], anchor, here)
                  or _nearest(list(markets), anchor, here))
        if target is None:
            loose.append(row)
        else:
            markets[target].append(row)
    groups = [sorted(group, key=lambda r: r[LINE]) for group in markets.values()]
    if loose:
        groups.append(loose)  # one-sided rest of the second: kept together, never dropped
    return groups


def _nearest(markets: list[tuple[str, str]], anchor: dict[tuple[str, str], list[int]],
             here: int) -> tuple[str, str] | None:
    if not markets:
        return None
    return min(markets, key=lambda m: (min(abs(p - here) for p in anchor[m]), m))


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


def _split_savings(rows: list[Row]) -> list[tuple[list[Row], str | None]]:
    """`Savings distribution` rows of one second and wallet. A coin and its `LD` receipt token
    moving by the same amount in opposite directions (BTC -a, LDBTC +a) are the coin entering
    flexible savings, or leaving it: one transfer (everytrade-plugins books the two rows as a
    withdrawal and a deposit of BTC). Any other row is interest on its own."""
    out: list[tuple[list[Row], str | None]] = []
    free = list(rows)
    while free:
        row = free.pop(0)
        coin, amount = row[COIN], row[AMOUNT]
        partner = coin[2:] if coin.startswith("LD") else f"LD{coin}"
        match = next((i for i, other in enumerate(free)
                      if amount and other[COIN] == partner and other[AMOUNT] == -amount), None)
        if match is None:
            out.append(([row], None))
        else:
            out.append(([row, free.pop(match)], "transfer"))
    return out


def _swaps_itself(rows: list[Row]) -> bool:
    """A swap event that receives and pays the same coin and nothing else pairs it: a `Binance
    Convert` of USDT -6.2 / +6.2 in one second (a Rust tax tool's fixture: "a no-op"). It is kept
    as one `other` event (meta `self_swap`), never a trade of a coin for itself."""
    ins, outs = _sides(rows)
    return bool(ins & outs)


def _split_chain(rows: list[Row], family: str) -> list[tuple[list[Row], str | None]]:
    """A card buy that is credited the fiat it then spends (everytrade's fixture: `Buy Crypto`
    CZK +1471.5 at :49, CZK -1471.5 and ETH +0.0234 at :51) is the card charge arriving, then
    the purchase: the fiat credit is a `fiat_deposit` of its own and the buy keeps the fiat it
    paid, so it never swaps a coin for itself."""
    if family != "card_buy":
        return [(rows, None)]
    ins, outs = _sides(rows)
    both = ins & outs
    if not both:
        return [(rows, None)]
    funding = [r for r in rows if r[COIN] in both and r[AMOUNT] > 0 and not _is_fee(r)]
    rest = [r for r in rows if not (r[COIN] in both and r[AMOUNT] > 0 and not _is_fee(r))]
    return [(funding, "fiat_deposit"), (rest, None)]


def _received(rows: list[Row]) -> str:
    """`wallets|coins` credited by a card buy's rows: the match key merge.py gives the buy."""
    got = [r for r in rows if r[AMOUNT] > 0 and not _is_fee(r)]
    return f"{','.join(sorted({r[WALLET] for r in got}))}|{','.join(sorted({r[COIN] for r in got}))}"


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

        # 3. spill-over t -> t+1 (t+CHAIN_GAP_S for chained conversions), in ascending time
        absorbed: set[tuple] = set()
        # (a single group has nothing to join)
        for key in (sorted(groups, key=lambda k: k[0]) if len(groups) > 1 else ()):
            if key in absorbed:
                continue
            current = groups[key]
            if key[1] != TRANSFER and len(key) == 3 and key[2] in CHAIN_FAMILIES:
                reach, probe = key[0], key[0] + 1
                while probe <= reach + CHAIN_GAP_S:
                    following = (probe, *key[1:])
                    nxt = groups.get(following)
                    if nxt is not None and following not in absorbed:
                        current.extend(nxt)
                        absorbed.add(following)
                        reach = probe
                    probe += 1
                continue
            following = (key[0] + 1, *key[1:])
            nxt = groups.get(following)
            if nxt is None or following in absorbed:
                continue
            if key[1] == TRANSFER:
                join = not _transfer_complete(current) and not _transfer_complete(nxt)
            elif key[2] == UNKNOWN or key[2] == SAVINGS:
                join = False
            else:
                join = not _swap_complete(current) or _only_fees(nxt)
            if join:
                current.extend(nxt)
                absorbed.add(following)

        # 4./5. split into events
        overrides: dict[int, str] = {}
        funding: dict[int, str] = {}
        for key, group in groups.items():
            if key in absorbed:
                continue
            if key[1] == TRANSFER:
                for event, kind in _split_transfer(group):
                    if kind is not None:
                        overrides[len(events)] = kind
                    events.append(event)
            elif key[2] == UNKNOWN:
                events.append(group)
            elif key[2] == SAVINGS:
                for event, kind in _split_savings(group):
                    if kind is not None:
                        overrides[len(events)] = kind
                    events.append(event)
            elif key[2] in CHAIN_FAMILIES:
                split = _split_chain(group, key[2])
                for event, kind in split:
                    if kind == "fiat_deposit":
                        # The card charge arriving: merge.py matches it with its buy's API record.
                        funding[len(events)] = _received(split[-1][0])
                    if kind is not None:
                        overrides[len(events)] = kind
                    elif _swaps_itself(event):
                        overrides[len(events)] = "other"
                    events.append(event)
            else:
                for event in _split_swap(group):
                    if _only_fees(event):  # a fee with no fill in reach (BNB Fee Deduction of margin)
                        overrides[len(events)] = "fee"
                    elif _swaps_itself(event):
                        overrides[len(events)] = "other"
                    events.append(event)

        if overrides or funding:
            txs = [self._transaction(event, overrides.get(i), funding.get(i))
                   for i, event in enumerate(events)]
        else:
            txs = [self._transaction(event) for event in events]
        if len(txs) > 1:
            txs.sort(key=lambda tx: (tx.time_ms, tx.meta["lines"][0]))
        return txs

    def _transaction(self, event: list[Row], kind_override: str | None = None,
                     funds: str | None = None) -> Transaction:
        # One pass over the rows (called ~0.4 times per row: the parser's hottest function).
        first = event[0]
        keys: list[str] = []
        legs: dict[tuple[str, str, str], Decimal] = {}
        seconds: list[int] = []
        ops: list[str] = []
        lines: list[int] = []
        keep_raw = self.keep_raw
        raw: list[list] | None = [] if keep_raw else None
        for row in event:
            sec, wallet, coin, amount = row[SEC], row[WALLET], row[COIN], row[AMOUNT]
            keys.append(f"{sec}|{wallet}|{row[OPKEY]}|{coin}|{row[CHANGE_TEXT]}|{row[REMARK]}|{row[OCC]}")
            leg_key = (coin, wallet, ("fee" if row[SPEC].fee else "out") if amount < 0 else "in")
            legs[leg_key] = legs.get(leg_key, _ZERO) + amount
            if sec not in seconds:
                seconds.append(sec)
            op = row[OP]
            if op not in ops:
                ops.append(op)
            lines.append(row[LINE])
            if keep_raw:
                raw.append([row[LINE], row[TIME_TEXT], row[ACCOUNT], op, coin, row[CHANGE_TEXT],  # type: ignore[union-attr]
                            row[REMARK]])
        keys.sort()
        # The id hashes the rows of the event's first second only: an export that cuts the
        # event after that second (a fee row at 00:00:00 of the next day) gives the same id, and
        # the fuller version replaces it (binsync.statement.fragments). meta["rows"] keeps a short
        # fingerprint of every row so fragments cut at the other edge are recognised too.
        start = min(seconds)
        if len(seconds) == 1:
            row_key = "\n".join(keys)
        else:
            anchor_prefix = f"{start}|"
            row_key = "\n".join([k for k in keys if k.startswith(anchor_prefix)])
        fingerprints = sorted([_blake2b(k.encode(), digest_size=6).hexdigest() for k in keys])
        spec: OpSpec = first[SPEC]
        kind = kind_override or spec.kind
        meta: dict = {"lines": lines, "operations": ops, "rows": fingerprints}
        if len(seconds) > 1:
            meta["seconds"] = sorted(seconds)
        if not spec.known:
            meta["unknown_operation"] = first[OP]
        if funds:
            meta["funds_card_buy"] = funds
        if kind_override == "transfer" and spec.family == SAVINGS:
            meta["receipt_token"] = next(row[COIN] for row in event if row[COIN].startswith("LD"))
        if spec.paid_by is not None:  # a record of a payment another row books (one row, SINGLE)
            meta["reward_record"] = {"paid_by": spec.paid_by, "asset": first[COIN],
                                     "amount": first[CHANGE_TEXT], "wallet": first[WALLET]}
            meta["detail_of"] = f"the statement row {spec.paid_by!r} that pays it"
            legs = {}
        description = " / ".join(ops)
        if kind == "withdrawal":
            meta["fee_included"] = True  # the one row is -(amount + network fee); spec §6.6
            description = f"{description} (network fee included in the amount)"
        native = _sha256(row_key.encode()).hexdigest()[:24]
        if spec.is_swap and kind_override == "other":
            meta["self_swap"] = True  # receives and pays one coin (_swaps_itself)
        if spec.is_swap and not kind_override:
            roles = {role for (_, _, role), amount in legs.items() if amount}
            if "in" not in roles or "out" not in roles:
                meta["one_sided"] = True  # a fill whose other side is not in this file
        return Transaction(
            id=transaction_id(self.account, "statement", row_key),
            account=self.account,
            time_ms=start * 1000,
            kind=kind,
            legs=tuple([Leg(coin, amount, wallet, role) for (coin, wallet, role), amount in legs.items()]),
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
