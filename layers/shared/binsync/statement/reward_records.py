"""Link each Simple Earn reward record on Account Earn to the Spot row that pays it (issue 16).

2026 exports write every Simple Earn bonus twice: `Simple Earn Flexible - Rewards Income` on
Account Earn and `Simple Earn Flexible Interest` on Spot, same coin and amount, usually 0-2 h
later (`Simple Earn Locked - Rewards Income` / `Simple Earn Locked Rewards` likewise). The
parser already keeps the record as an event with no legs (`operations.REWARD_RECORDS`), so the
reward is counted once whatever this module finds; this pass only says which payment each
record belongs to, or that the file does not hold it (the payment of a record at the end of an
export is in the next one).

The rule is GiacenzeCrypto's: same coin, same amount as a number, within 24 h, each payment the
twin of one record; records are taken in time order (the parser yields each cluster's events
sorted), each claiming the nearest payment still free. It streams: a record waits for its payment at most
WINDOW_S of file time, and payments are remembered as long, so memory holds one day of rewards.
A file in descending order meets each payment before its record; both orders give the same
links.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from decimal import Decimal

from binsync.model import Transaction
from binsync.statement.operations import REWARD_PAYMENTS, normalise

WINDOW_S = 86_400
_SWEEP_EVERY_S = 3_600
UNPAIRED_LISTED = 100  # lines of records without a payment named in the report

Key = tuple[str, str, Decimal]


def _payment_key(tx: Transaction) -> Key | None:
    if len(tx.legs) != 1 or tx.kind not in ("interest", "reward"):
        return None
    operations = tx.meta.get("operations") or ()
    if len(operations) != 1 or normalise(operations[0]) not in REWARD_PAYMENTS:
        return None
    leg = tx.legs[0]
    return normalise(operations[0]), leg.asset, leg.amount


def _record_key(tx: Transaction) -> Key:
    record = tx.meta["reward_record"]
    return normalise(record["paid_by"]), record["asset"], Decimal(record["amount"])


def _nearest(candidates: list, sec: int, at: int) -> int | None:
    """Index of the candidate whose second (element `at`) is nearest `sec`, within WINDOW_S."""
    best, distance = None, WINDOW_S + 1
    for index, candidate in enumerate(candidates):
        gap = abs(candidate[at] - sec)
        if gap < distance:
            best, distance = index, gap
    return best


class RewardRecordStats:
    def __init__(self) -> None:
        self.records = 0
        self.paid_in_file = 0
        self.unpaid_lines: list[int] = []
        self.unpaid = 0
        self.sums: dict[tuple[str, str], Decimal] = {}  # (coin, wallet) -> records' Change

    def to_dict(self) -> dict:
        return {"rows": self.records, "paid_in_file": self.paid_in_file,
                "payment_not_in_file": self.unpaid, "payment_not_in_file_lines": self.unpaid_lines}


def _link(record: Transaction, payment_id: str, payment_sec: int, stats: RewardRecordStats) -> None:
    record.meta["paid_by"] = payment_id
    record.meta["payment_gap_s"] = payment_sec - record.time_ms // 1000
    stats.paid_in_file += 1


def _unpaid(record: Transaction, stats: RewardRecordStats) -> Transaction:
    record.meta["payment_not_in_file"] = True
    stats.unpaid += 1
    if len(stats.unpaid_lines) < UNPAIRED_LISTED:
        stats.unpaid_lines.extend(record.meta["lines"])
    return record


def pair_reward_records(events: Iterable[Transaction], stats: RewardRecordStats) -> Iterator[Transaction]:
    waiting: dict[Key, list[tuple[Transaction, int]]] = {}  # records not yet paired, with their second
    payments: dict[Key, list[tuple[str, int]]] = {}  # payments no record has claimed yet
    swept = None
    for tx in events:
        sec = tx.time_ms // 1000
        if "reward_record" in tx.meta:
            key = _record_key(tx)
            stats.records += 1
            record = tx.meta["reward_record"]
            wallet_key = (record["asset"], record["wallet"])
            stats.sums[wallet_key] = stats.sums.get(wallet_key, Decimal(0)) + Decimal(record["amount"])
            found = payments.get(key)
            index = _nearest(found, sec, 1) if found else None
            if index is None:
                waiting.setdefault(key, []).append((tx, sec))
            else:
                payment_id, payment_sec = found.pop(index)  # type: ignore[union-attr]
                _link(tx, payment_id, payment_sec, stats)
                yield tx
        else:
            key = _payment_key(tx)  # type: ignore[assignment]
            if key is not None:
                held = waiting.get(key)
                index = _nearest(held, sec, 1) if held else None
                if index is None:
                    payments.setdefault(key, []).append((tx.id, sec))
                else:
                    record, _ = held.pop(index)  # type: ignore[union-attr]
                    _link(record, tx.id, sec, stats)
                    yield record
            yield tx
        if swept is None or abs(sec - swept) >= _SWEEP_EVERY_S:
            swept = sec
            yield from _sweep(waiting, payments, sec, stats)
    for held in waiting.values():
        for record, _ in held:
            yield _unpaid(record, stats)


def _sweep(waiting: dict, payments: dict, now: int, stats: RewardRecordStats) -> Iterator[Transaction]:
    """Records whose payment can no longer come within the window; payments too old to claim."""
    for key in list(waiting):
        held = waiting[key]
        keep = [(record, sec) for record, sec in held if abs(now - sec) <= WINDOW_S]
        if len(keep) != len(held):
            for record, sec in held:
                if abs(now - sec) > WINDOW_S:
                    yield _unpaid(record, stats)
        if keep:
            waiting[key] = keep
        else:
            del waiting[key]
    for key in list(payments):
        keep = [(pid, sec) for pid, sec in payments[key] if abs(now - sec) <= WINDOW_S]
        if keep:
            payments[key] = keep
        else:
            del payments[key]
