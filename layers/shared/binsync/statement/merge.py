"""Cross-source merge: a statement event the API also returned is stored once (issue 8 item 3).

Match rule
----------
A statement item S and API items A of the same user and Binance uid are the same economic
event when all of these hold:

1. Same **match key**: `family | wallets | assets` computed from the non-fee legs (fee legs
   when there are none; legs in wallet `external` are ignored: the statement has no rows for
   money outside Binance). The family groups kinds both sources may name differently: reward,
   interest, airdrop, rebate, mining are `income`; fee, futures_pnl, funding_fee, liquidation,
   options are `derivatives` (the statement's futures cash flows vs the income/bill records);
   fiat deposit/withdrawal are `fiat`; every other kind is its own family; kind `other` never
   matches (an unknown operation is kept as is).
2. Same **time**, at second resolution: the statement has seconds, the API milliseconds
   (floored). Items of one key are chained into *components* when their seconds are at most
   1 s apart (the statement's +1 s spill-over, and an API fill landing in the next second).
3. Same **legs**: over the component, the sums per (asset, wallet) of the statement items equal
   those of the API items, within 1e-8 per contributing leg (8-decimal rounding). This is what
   makes aggregates match: the statement's per-second net trade equals the sum of the API fills
   of that pair in that second; a `Withdraw` row of -(amount+fee) equals the API withdrawal's
   out + fee legs; a dust batch equals its `transId`'s details; two futures cash flows of one
   second equal the two income records.

Card buys (`card_buy`) are keyed on the crypto received: the card payment record has the fiat
`external`, a real statement shows it on Spot (debited; or credited as the card charge, a
`fiat_deposit` with meta `funds_card_buy` keyed with its buy, then spent) or not at all. Their
items chain over up to 3 s, and a fiat the statement debits from one Binance wallet equals the
API record's `external` fiat: the merged API record takes that wallet (storage.api_sources).

When a whole component does not match (the API returned only part of it), each group of items
sharing an exact second is tried on its own.

On a match the API items are kept (they carry ids, prices, fees, addresses) and record the
statement transaction ids in `merged_from`; the statement items are deleted. The API item wins
because its detail is richer and its id survives a resync.

Symmetry and concurrency
------------------------
Both writers *write first, then reconcile*: the upload stores its events and then looks for API
items around them (base table, strongly consistent); the sync stores a page and then calls
`reconcile_api_transactions`, which looks for statement items around the page through the
sparse GSI `by_file` (only file items carry `file_account_key`, so the sync never scans API
items when no statement was uploaded). Whichever writes second sees the other, so the order
(statement first or API first) does not matter. The merge is a DynamoDB transaction: statement
deletes are conditional on the item still existing, so two concurrent reconcilers cannot double
apply it. A race inside the GSI's propagation delay can leave both sides until the next
reconcile of that period (any re-upload or resync) merges them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from binsync.model import Leg, Transaction
from binsync.storage.api_sources import relocate_fiat
from binsync.storage.models import TransactionModel, account_key

TOLERANCE = Decimal("1e-8")
WINDOW_PAD_S = 2  # seconds read around the items being reconciled
TRANSACT_MAX = 100  # DynamoDB TransactWriteItems limit
# An API withdrawal is stored at its completion time, which can be hours after the apply time
# the statement shows: windows read around a statement withdrawal reach that far ahead.
LOOKAHEAD_S = {"withdrawal": 86_400}
CARD_BUY_GAP_S = 3  # statement.events.CHAIN_GAP_S

MATCH_FAMILY: dict[str, str] = {
    "trade": "trade", "convert": "convert", "dust": "dust", "deposit": "deposit",
    "withdrawal": "withdrawal", "fiat_deposit": "fiat", "fiat_withdrawal": "fiat", "card_buy": "card_buy",
    "transfer": "transfer", "reward": "income", "interest": "income", "airdrop": "income",
    "rebate": "income", "mining": "income", "fee": "derivatives", "futures_pnl": "derivatives",
    "funding_fee": "derivatives", "liquidation": "derivatives", "options": "derivatives",
    "borrow": "borrow", "repay": "repay", "p2p": "p2p", "pay": "pay", "loan": "loan",
}


def match_key(kind: str, legs: Iterable[Leg]) -> str | None:
    """`family|wallets|assets` of a transaction, or None when it never matches."""
    family = MATCH_FAMILY.get(kind)
    if family is None:
        return None
    inside = [leg for leg in legs if leg.wallet != "external"]
    core = [leg for leg in inside if leg.role != "fee"] or inside
    if family == "card_buy":
        # Keyed on the crypto received: the fiat is on Spot in the statement (debited, or
        # credited and debited) and `external` in the card payment history, or not shown at all.
        core = [leg for leg in core if leg.amount > 0 and leg.role == "in"] or core
    if not core:
        return None
    wallets = ",".join(sorted({leg.wallet for leg in core}))
    assets = ",".join(sorted({leg.asset for leg in core}))
    return f"{family}|{wallets}|{assets}"


def tx_match_key(tx: Transaction) -> str | None:
    funds = (tx.meta or {}).get("funds_card_buy")
    if tx.kind == "fiat_deposit" and tx.source.kind != "api" and funds:
        # The card charge a statement credits before the buy spends it (statement.events
        # _split_chain): merged with the buy, the API record's `external` fiat is its source.
        return f"card_buy|{funds}"
    return match_key(tx.kind, tx.legs)


@dataclass
class _Item:
    model: TransactionModel
    tx: Transaction
    key: str
    seconds: tuple[int, ...]
    is_api: bool


@dataclass
class MergeResult:
    merged_statement_ids: set[str] = field(default_factory=set)
    api_items_updated: int = 0
    conflicts: int = 0  # merges another reconciler applied first
    merged_api_ids: set[str] = field(default_factory=set)  # API items that took statement twins

    def add(self, other: MergeResult) -> None:
        self.merged_statement_ids |= other.merged_statement_ids
        self.merged_api_ids |= other.merged_api_ids
        self.api_items_updated += other.api_items_updated
        self.conflicts += other.conflicts


def _seconds(tx: Transaction) -> tuple[int, ...]:
    """The seconds the statement shows the event at. A withdrawal leaves the balance when it is
    applied: the statement row has the apply time, the API record completes later."""
    meta = tx.meta or {}
    listed = meta.get("seconds")
    if listed:
        return tuple(sorted(int(s) for s in listed))
    if tx.kind == "withdrawal" and tx.source.kind == "api" and meta.get("applyTime"):
        return (int(meta["applyTime"]) // 1000,)
    return (tx.time_ms // 1000,)


def _lookahead(tx: Transaction) -> int:
    """How much later than its statement second the twin API item may be stored (sort key)."""
    return LOOKAHEAD_S.get(MATCH_FAMILY.get(tx.kind, ""), 0)


def _item(model: TransactionModel) -> _Item | None:
    body = model.body if isinstance(model.body, dict) else json.loads(model.body)
    tx = Transaction.from_dict(body)
    key = tx_match_key(tx)
    if key is None:
        return None
    return _Item(model, tx, key, _seconds(tx), model.source_kind == "api")


def _sums(items: Sequence[_Item]) -> tuple[dict[tuple[str, str], Decimal], dict[tuple[str, str], int]]:
    sums: dict[tuple[str, str], Decimal] = {}
    counts: dict[tuple[str, str], int] = {}
    for item in items:
        for leg in item.tx.legs:
            if leg.wallet == "external":
                continue
            k = (leg.asset, leg.wallet)
            sums[k] = sums.get(k, Decimal(0)) + leg.amount
            counts[k] = counts.get(k, 0) + 1
    return sums, counts


def legs_match(statement: Sequence[_Item], api: Sequence[_Item]) -> bool:
    return _fiat_moves(statement, api) is not None


def _fiat_moves(statement: Sequence[_Item], api: Sequence[_Item]) -> dict[str, str] | None:
    """None when the legs differ; else {asset: wallet} of the card-buy fiat the statement shows
    on a Binance wallet where the API record has it `external` (empty for any other match)."""
    s_sums, s_counts = _sums(statement)
    a_sums, a_counts = _sums(api)
    moves: dict[str, str] = {}
    for k in s_sums.keys() | a_sums.keys():
        diff = abs(s_sums.get(k, Decimal(0)) - a_sums.get(k, Decimal(0)))
        if diff > TOLERANCE * (s_counts.get(k, 0) + a_counts.get(k, 0)):
            wallet = _fiat_paid_from(k[0], statement, api)
            if wallet is None:
                return None
            moves[k[0]] = wallet
    return moves


def _fiat_paid_from(asset: str, statement: Sequence[_Item], api: Sequence[_Item]) -> str | None:
    """The one Binance wallet a card buy's statement debits `asset` from, when that debit is
    exactly what the API record (the card payment history) spends of it from `external`."""
    if not all(it.key.startswith("card_buy|") for it in (*statement, *api)):
        return None
    def total(items: Sequence[_Item], outside: bool) -> tuple[Decimal, set[str], int]:
        amount, wallets, count = Decimal(0), set(), 0
        for item in items:
            for leg in item.tx.legs:
                if leg.asset == asset and (leg.wallet == "external") == outside:
                    amount += leg.amount
                    wallets.add(leg.wallet)
                    count += 1
        return amount, wallets, count
    s_in, s_wallets, s_n = total(statement, outside=False)
    _, _, a_in_n = total(api, outside=False)
    a_out, _, a_out_n = total(api, outside=True)
    if a_in_n or not a_out_n or len(s_wallets) != 1 or s_in >= 0:
        return None
    if abs(s_in - a_out) > TOLERANCE * (s_n + a_out_n):
        return None
    return next(iter(s_wallets))


def _components(items: list[_Item], gap: int) -> list[list[_Item]]:
    """Chains of items whose seconds are at most `gap` apart (items sorted by first second)."""
    items = sorted(items, key=lambda it: (it.seconds[0], it.seconds[-1]))
    out: list[list[_Item]] = []
    current: list[_Item] = []
    reach = None
    for item in items:
        if current and reach is not None and item.seconds[0] <= reach + gap:
            current.append(item)
            reach = max(reach, item.seconds[-1])
        else:
            if current:
                out.append(current)
            current, reach = [item], item.seconds[-1]
    if current:
        out.append(current)
    return out


def plan_merges(items: Iterable[_Item]) -> list[tuple[list[_Item], list[_Item]]]:
    """(statement items, API items) groups that are the same events, per the match rule."""
    items = list(items)
    by_key: dict[str, list[_Item]] = {}
    for item in items:
        by_key.setdefault(item.key, []).append(item)
    merges: list[tuple[list[_Item], list[_Item]]] = []
    for group in by_key.values():
        if all(it.is_api for it in group) or not any(it.is_api for it in group):
            continue
        # A card buy's statement rows chain over up to 3 s (the charge credited, then the buy).
        gap = CARD_BUY_GAP_S if group[0].key.startswith("card_buy|") else 1
        for component in _components(group, gap=gap):
            statement = [it for it in component if not it.is_api]
            api = [it for it in component if it.is_api]
            if not statement or not api:
                continue
            if legs_match(statement, api):
                merges.append((statement, api))
                continue
            for part in _components(component, gap=0):  # exact seconds only
                s_part = [it for it in part if not it.is_api]
                a_part = [it for it in part if it.is_api]
                if s_part and a_part and legs_match(s_part, a_part):
                    merges.append((s_part, a_part))
    merges.extend(_cross_market_trades(items, merges))
    return merges


def _cross_market_trades(items: Iterable[_Item], merges: list[tuple[list[_Item], list[_Item]]],
                         ) -> list[tuple[list[_Item], list[_Item]]]:
    """Spot fills of several markets in one second whose statement legs were paired differently.

    The statement has no market column: in a second with fills of several markets, a fee row
    (BNB paying the fee of an ETH fill, say) can land in another market's event, so neither event
    equals its API fills and both sources would be kept, counting those fills twice. What the
    statement does prove is the second's total: when every unmerged trade of the statement and
    every unmerged API fill of the same seconds sum to the same legs, they are the same fills.
    """
    taken = {id(it) for statement, api in merges for it in (*statement, *api)}
    trades = [it for it in items if id(it) not in taken and it.key.startswith("trade|")]
    if not any(it.is_api for it in trades) or all(it.is_api for it in trades):
        return []
    out: list[tuple[list[_Item], list[_Item]]] = []
    def same_fills(part: list[_Item]) -> tuple[list[_Item], list[_Item]] | None:
        statement = [it for it in part if not it.is_api]
        api = [it for it in part if it.is_api]
        several_markets = len({it.key for it in part}) > 1
        if statement and api and several_markets and legs_match(statement, api):
            return statement, api
        return None

    for component in _components(trades, gap=1):
        whole = same_fills(component)
        if whole:
            out.append(whole)
            continue
        out.extend(found for part in _components(component, gap=0) if (found := same_fills(part)))
    return out


def _apply(statement: list[_Item], api: list[_Item]) -> MergeResult:
    from pynamodb.exceptions import TransactWriteError
    from pynamodb.transactions import TransactWrite

    result = MergeResult()
    moves = _fiat_moves(statement, api) or {}
    ids = {it.tx.id for it in statement}
    actions: list[tuple[str, _Item]] = [("update", it) for it in api] + [("delete", it) for it in statement]
    for offset in range(0, len(actions), TRANSACT_MAX):
        chunk = actions[offset:offset + TRANSACT_MAX]
        try:
            # The model's own (cached) connection: a new Connection builds a new botocore client,
            # which loads the DynamoDB service model (0.8 s per merged event measured locally).
            with TransactWrite(connection=TransactionModel._get_connection().connection) as tw:
                for action, item in chunk:
                    model = item.model
                    if action == "update":
                        merged = sorted(set(model.merged_from or []) | ids)
                        updates = [TransactionModel.merged_from.set(merged)]
                        moved = relocate_fiat(item.tx, moves) if moves else item.tx
                        if moved is not item.tx:  # the statement's wallet for the fiat paid
                            wallets = sorted({lg.wallet for lg in moved.legs})
                            updates += [TransactionModel.body.set(moved.to_dict()),
                                        TransactionModel.wallets.set(wallets)]
                        tw.update(model, actions=updates, condition=TransactionModel.sk.exists())
                    else:
                        tw.delete(model, condition=TransactionModel.sk.exists())
        except TransactWriteError:
            result.conflicts += 1  # another reconciler merged (or an item vanished) first
            continue
        result.api_items_updated += sum(1 for action, _ in chunk if action == "update")
        result.merged_statement_ids |= {item.tx.id for action, item in chunk if action == "delete"}
        result.merged_api_ids |= {item.tx.id for action, item in chunk if action == "update"}
    return result


def _windows(seconds: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Disjoint [lo, hi] second windows covering every (second, lookahead) +- WINDOW_PAD_S."""
    out: list[tuple[int, int]] = []
    for sec, ahead in sorted(set(seconds)):
        lo, hi = sec - WINDOW_PAD_S, sec + WINDOW_PAD_S + ahead
        if out and lo <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out


def _coalesce(windows: list[tuple[int, int]], max_gap: int = 7 * 86_400) -> list[tuple[int, int]]:
    """Join windows closer than `max_gap` seconds: one query instead of many tiny ones."""
    out: list[tuple[int, int]] = []
    for lo, hi in windows:
        if out and lo - out[-1][1] <= max_gap:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out


def _sk_range(lo: int, hi: int) -> tuple[str, str]:
    return f"{lo * 1000:013d}", f"{(hi + 1) * 1000:013d}"


def reconcile_window(user_id: str, binance_uid: str, lo: int, hi: int) -> MergeResult:
    """Merge every matching statement/API group of one account between seconds lo and hi."""
    akey = account_key(user_id, binance_uid)
    start, end = _sk_range(lo, hi)
    items: list[_Item] = []
    for model in TransactionModel.query(user_id, TransactionModel.sk.between(start, end),
                                        filter_condition=TransactionModel.account_key == akey,
                                        consistent_read=True):
        item = _item(model)
        if item is not None:
            items.append(item)
    result = MergeResult()
    for statement, api in plan_merges(items):
        result.add(_apply(statement, api))
    return result


def reconcile_statement_transactions(user_id: str, binance_uid: str,
                                     transactions: Sequence[Transaction]) -> MergeResult:
    """After storing statement events: merge them with API items already stored."""
    seconds = [(s, _lookahead(tx)) for tx in transactions if tx_match_key(tx) for s in _seconds(tx)]
    result = MergeResult()
    for lo, hi in _coalesce(_windows(seconds)):
        result.add(reconcile_window(user_id, binance_uid, lo, hi))
    return result


def reconcile_api_transactions(user_id: str, binance_uid: str, transactions: Sequence[Transaction],
                               stored: Iterable[TransactionModel] | None = None) -> MergeResult:
    """After the sync stored a page of API transactions: merge statement items that match.

    Cheap when no statement was uploaded for the account: one query on the sparse `by_file`
    index over the page's time range, which returns nothing. `stored`: the file items of that
    range when the caller already read them (`statement.near_duplicates_api` reads a wider range
    once for both checks).
    """
    keyed = [(tx_match_key(tx), tx) for tx in transactions]
    page: dict[str, set[int]] = {}
    for key, tx in keyed:
        if key is not None:
            page.setdefault(key, set()).update(_seconds(tx))
    if not page:
        return MergeResult()
    all_seconds = [s for secs in page.values() for s in secs]
    start, end = _sk_range(min(all_seconds) - WINDOW_PAD_S, max(all_seconds) + WINDOW_PAD_S)
    candidates: list[tuple[int, int]] = []
    akey = account_key(user_id, binance_uid)
    if stored is None:
        stored = TransactionModel.by_file.query(akey, TransactionModel.sk.between(start, end))
    for model in stored:
        item = _item(model)
        if item is None or item.key not in page:
            continue
        near = page[item.key]
        reach = CARD_BUY_GAP_S if item.key.startswith("card_buy|") else 1
        if any(s + d in near for s in item.seconds for d in range(-reach, reach + 1)):
            candidates.extend((s, _lookahead(item.tx)) for s in item.seconds)
    result = MergeResult()
    for lo, hi in _coalesce(_windows(candidates)):
        result.add(reconcile_window(user_id, binance_uid, lo, hi))
    return result
