"""Inclusive millisecond intervals `(start, end)`: merge, add, subtract, gaps (pure).

The coverage ledger (`binsync.sync.ledger`) keeps, per endpoint scope, the intervals proven
read. Both ends are inclusive, like the planner's task windows (`end = start + span - 1`), so
`(0, 9)` and `(10, 19)` are adjacent and merge into `(0, 19)`: a ledger item stays small (one
interval per hole, never one per task).
"""

from __future__ import annotations

from collections.abc import Iterable

Interval = tuple[int, int]


def merge(intervals: Iterable[Iterable[int]]) -> list[Interval]:
    """Sorted, disjoint, non-adjacent intervals covering exactly the same milliseconds."""
    cleaned = sorted((int(a), int(b)) for a, b in intervals if int(a) <= int(b))
    out: list[Interval] = []
    for start, end in cleaned:
        if out and start <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def add(covered: Iterable[Iterable[int]], *more: Iterable[int]) -> list[Interval]:
    return merge([*covered, *more])


def subtract(intervals: Iterable[Iterable[int]], remove: Iterable[Iterable[int]]) -> list[Interval]:
    """The milliseconds of `intervals` that are in none of `remove`."""
    removed = merge(remove)
    out: list[Interval] = []
    for start, end in merge(intervals):
        cursor = start
        for r_start, r_end in removed:
            if r_end < cursor or r_start > end:
                continue
            if r_start > cursor:
                out.append((cursor, r_start - 1))
            cursor = max(cursor, r_end + 1)
            if cursor > end:
                break
        if cursor <= end:
            out.append((cursor, end))
    return out


def gaps(covered: Iterable[Iterable[int]], start: int, end: int) -> list[Interval]:
    """The parts of [start, end] that `covered` does not cover."""
    return subtract([(start, end)], covered)


def covers(covered: Iterable[Iterable[int]], start: int, end: int) -> bool:
    return not gaps(covered, start, end)


def clip(intervals: Iterable[Iterable[int]], start: int, end: int) -> list[Interval]:
    """The parts of `intervals` inside [start, end]."""
    return [(max(a, start), min(b, end)) for a, b in merge(intervals) if b >= start and a <= end]


def to_read(covered: Iterable[Iterable[int]], floor: int, now: int, *, settle_ms: int | None = None,
            late_overlap_ms: int = 0) -> list[Interval]:
    """What a sync must read of one scope so that [floor, now] ends up proven read.

    Every part of [floor, now] not covered, plus two overlaps that catch records which appear
    after their time: the last `late_overlap_ms` before the newest covered millisecond (records
    credited late), and the last `settle_ms` before now (records still pending at the last read
    are read again once final).
    """
    inside = clip(covered, floor, now)
    needed = gaps(inside, floor, now)
    if inside and late_overlap_ms:
        newest = inside[-1][1]
        needed.append((max(floor, newest - late_overlap_ms), now))
    if settle_ms:
        needed.append((max(floor, now - settle_ms), now))
    return merge(needed)
