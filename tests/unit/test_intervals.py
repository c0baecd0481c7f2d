"""Inclusive millisecond intervals of the coverage ledger (binsync.sync.intervals)."""

from __future__ import annotations

from binsync.sync.intervals import add, clip, covers, gaps, merge, subtract


def test_merge_joins_overlapping_and_adjacent_intervals_and_drops_empty_ones():
    assert merge([(10, 19), (0, 9), (30, 40), (35, 50), (60, 59)]) == [(0, 19), (30, 50)]
    assert merge([(0, 9), (11, 20)]) == [(0, 9), (11, 20)]  # ms 10 is missing: not adjacent
    assert merge([]) == []


def test_add_keeps_an_item_to_one_interval_per_hole():
    covered: list = []
    for start in range(0, 1000, 100):  # ten consecutive task windows
        covered = add(covered, (start, start + 99))
    assert covered == [(0, 999)]


def test_subtract_cuts_holes_and_edges():
    assert subtract([(0, 100)], [(10, 19), (50, 60)]) == [(0, 9), (20, 49), (61, 100)]
    assert subtract([(0, 100)], [(0, 100)]) == []
    assert subtract([(0, 100)], [(-5, 0), (100, 200)]) == [(1, 99)]
    assert subtract([(0, 10), (20, 30)], [(5, 25)]) == [(0, 4), (26, 30)]
    assert subtract([(0, 10)], []) == [(0, 10)]


def test_gaps_are_the_unread_parts_of_the_required_period():
    assert gaps([(0, 49), (60, 99)], 0, 120) == [(50, 59), (100, 120)]
    assert gaps([], 5, 9) == [(5, 9)]
    assert gaps([(0, 200)], 5, 9) == []
    assert covers([(0, 9), (10, 20)], 0, 20) and not covers([(0, 9), (11, 20)], 0, 20)


def test_clip_keeps_the_parts_inside_a_period():
    assert clip([(0, 9), (20, 29), (40, 49)], 5, 25) == [(5, 9), (20, 25)]


def test_to_read_is_every_hole_plus_the_late_and_settle_overlaps():
    from binsync.sync.intervals import to_read

    day = 86_400_000
    now = 100 * day
    # Never read: everything from the floor.
    assert to_read([], 10 * day, now, late_overlap_ms=2 * day) == [(10 * day, now)]
    # Read up to day 90 with a hole at days 40-49 (a failed task): the hole, then from day 88.
    covered = [(10 * day, 40 * day - 1), (50 * day, 90 * day)]
    assert to_read(covered, 10 * day, now, late_overlap_ms=2 * day) == [
        (40 * day, 50 * day - 1), (88 * day, now)]
    # A settle period reaches further back than the late overlap.
    assert to_read([(10 * day, now - 1)], 10 * day, now, settle_ms=7 * day, late_overlap_ms=2 * day) == [
        (93 * day, now)]
    # Coverage before the floor (past a retention horizon) is not a reason to read.
    assert to_read([(0, now)], 10 * day, now) == []
