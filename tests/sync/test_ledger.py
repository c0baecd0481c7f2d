"""The coverage ledger (binsync.sync.ledger), the plans it drives and the completeness state."""

from __future__ import annotations

from types import SimpleNamespace

from binsync.binance.catalogue import DAY_MS, ENDPOINTS
from binsync.storage.models import CoverageModel
from binsync.sync import completeness, ledger
from binsync.sync.ledger import BINANCE_LAUNCH_MS, Ledger, scope_key
from binsync.sync.modes import INCREMENTAL_OVERLAP_MS
from binsync.sync.plan import add_unproven_markets
from binsync.sync.planner import MarketSelection, PlanInputs, build_plan, task_span

NOW = 1_780_000_000_000
DEPOSITS = "wallet.deposits"


def _task(start, end, *, status="done", endpoint=DEPOSITS, symbol=None, error=None, params=None):
    return SimpleNamespace(endpoint=endpoint, window_start=start, window_end=end, symbol=symbol,
                           params=params or {}, status=status, error=error)


def test_done_tasks_merge_into_one_interval_and_a_failed_one_leaves_a_hole(cloud):
    known = ledger.load("c1")
    year = 365 * DAY_MS
    a, b, c = BINANCE_LAUNCH_MS, BINANCE_LAUNCH_MS + year, BINANCE_LAUNCH_MS + 2 * year
    tasks = [_task(a, b - 1), _task(b, c - 1, status="failed", error={"type": "TransientError"}),
             _task(c, NOW)]
    ledger.record_tasks(known, tasks, run_id="r1", run_window_end=NOW)
    assert ledger.load("c1").api[scope_key(DEPOSITS)] == [(a, b - 1), (c, NOW)]
    # The next run reads the hole: the item merges back to one interval.
    ledger.record_tasks(known, [_task(b, c - 1)], run_id="r2", run_window_end=NOW)
    item = CoverageModel.get("c1", scope_key(DEPOSITS))
    assert item.intervals == [[a, NOW]] and item.run_id == "r2"


def test_an_incomplete_or_unreachable_task_proves_nothing(cloud):
    known = ledger.load("c1")
    overflow = _task(BINANCE_LAUNCH_MS, NOW, error={"incomplete": ["more than 1000 records in one ms"]})
    gone = _task(None, NOW, endpoint="spot.my_trades", symbol="GONEBTC",
                 error={"beyond_api_reach": True, "reason": "market removed"})
    chain = _task(None, NOW, endpoint="spot.my_trades", symbol="BTCUSDT")
    ledger.record_tasks(known, [overflow, gone, chain], run_id="r1", run_window_end=NOW)
    known = ledger.load("c1")
    assert known.covered(scope_key(DEPOSITS)) == []
    assert ledger.unread_reason(overflow) == "read incompletely: more than 1000 records in one ms"
    assert known.covered(scope_key("spot.my_trades", {}, "GONEBTC")) == []
    assert known.statement_only[scope_key("spot.my_trades", {}, "GONEBTC")] == [(BINANCE_LAUNCH_MS, NOW)]
    assert known.covered(scope_key("spot.my_trades", {}, "BTCUSDT")) == [(BINANCE_LAUNCH_MS, NOW)]


def _plan(covered):
    return build_plan(PlanInputs(start_ms=BINANCE_LAUNCH_MS, now_ms=NOW, only=frozenset({DEPOSITS}),
                                 covered=covered, late_overlap_ms=INCREMENTAL_OVERLAP_MS))


def test_the_plan_reads_every_hole_and_the_overlaps_and_nothing_else():
    ep = ENDPOINTS[DEPOSITS]
    full = _plan(None).tasks
    assert full[0].window_start == BINANCE_LAUNCH_MS and full[-1].window_end == NOW
    hole = (BINANCE_LAUNCH_MS + 400 * DAY_MS, BINANCE_LAUNCH_MS + 500 * DAY_MS - 1)
    read_to = NOW - 7 * DAY_MS
    covered = {scope_key(DEPOSITS): [(BINANCE_LAUNCH_MS, hole[0] - 1), (hole[1] + 1, read_to)], "*": []}
    windows = [(t.window_start, t.window_end) for t in _plan(covered).tasks]
    assert windows[0][0] == hole[0] and max(e for s, e in windows if s < read_to - DAY_MS * 30) == hole[1]
    tail_start = min(read_to - INCREMENTAL_OVERLAP_MS, NOW - (ep.settle_ms or 0))
    assert next(w for w in windows if w[0] > hole[1])[0] == tail_start and windows[-1][1] == NOW
    span = task_span(ep, 365 * DAY_MS) or 0
    assert all(e - s + 1 <= span for s, e in windows)
    # The user's files (since_last) cover up to their newest transaction for every scope.
    files = {"*": [(BINANCE_LAUNCH_MS, read_to)]}
    assert [t.window_start for t in _plan(files).tasks] == [tail_start]


def test_a_market_never_proven_read_is_walked_whatever_the_selection_rule_says(cloud):
    markets = {s: {"base": s[:3], "quote": s[3:]} for s in ("BTCUSDT", "ETHBTC", "XRPUSDT")}
    known = Ledger("c1", api={scope_key("spot.my_trades", {}, "BTCUSDT"): [(BINANCE_LAUNCH_MS, NOW)],
                              scope_key("spot.my_trades", {}, "ETHBTC"): [(BINANCE_LAUNCH_MS, NOW)]})
    selection = MarketSelection(["BTCUSDT"], {"rule": "traded_or_balance_changed", "walked": 1, "of": 3,
                                              "reason": "markets with stored fills"})
    chosen = add_unproven_markets(selection, markets, known)
    assert chosen.symbols == ["BTCUSDT", "XRPUSDT"]
    assert (chosen.note["walked"], chosen.note["never_proven_read"]) == (2, 1)
    known.api[scope_key("spot.my_trades", {}, "XRPUSDT")] = [(BINANCE_LAUNCH_MS, NOW)]
    assert add_unproven_markets(selection, markets, known) is selection


def test_completeness_names_gaps_and_ranks_unexplained_differences_worst():
    known = Ledger("c1", api={scope_key(DEPOSITS): [(BINANCE_LAUNCH_MS, NOW - 100 * DAY_MS)]})
    failed = _task(NOW - 100 * DAY_MS - 10 * DAY_MS, NOW, status="failed",
                   error={"type": "TransientError", "message": "HTTP 503"})
    gaps = completeness.run_gaps([failed], known, window_end=NOW)
    (gap,) = gaps  # only the part no sync read is a gap
    assert (gap.start_ms, gap.end_ms, gap.kind) == (NOW - 100 * DAY_MS + 1, NOW, "unread")
    assert gap.cause.startswith("the task failed: TransientError") and DEPOSITS in gap.words()
    assert completeness.assess(gaps).state == "gaps_named"
    assert completeness.assess([]).state == "complete"
    explained = [{"wallet": "spot", "asset": "BTC", "difference": "1", "cause": "beyond_retention"}]
    assert completeness.assess([], explained).state == "complete"
    unexplained = [{"wallet": "spot", "asset": "BTC", "difference": "1"}]
    result = completeness.assess(gaps, unexplained)
    assert result.state == "unexplained_differences" and "1 gap(s) named" in result.words


def test_a_period_beyond_the_api_is_a_gap_until_a_statement_covers_it():
    horizon = NOW - 90 * DAY_MS
    beyond = [{"product": "margin", "endpoint": "margin.interest", "before": horizon,
               "reason": "beyond the API's retention horizon; to be filled from the statement"}]
    known = Ledger("c1")
    assert completeness.assess(completeness.run_gaps([], known, beyond=beyond)).state == "gaps_named"
    known.statements["margin"] = [(BINANCE_LAUNCH_MS + DAY_MS, NOW)]
    result = completeness.assess(completeness.run_gaps([], known, beyond=beyond))
    assert result.state == "complete" and result.explained[0].covered_by == "statement"
    assert completeness.reconciliation_differences(
        {"wallet": "spot", "differences": [{"asset": "BTC", "difference": "1"}]}) == [
        {"wallet": "spot", "asset": "BTC", "difference": "1"}]


def test_statements_with_a_year_missing_name_that_year_not_the_whole_period():
    """The demo's yearly files: margin rows only in some years. The years no file shows margin in
    stay open, each named with its own period; the years the files cover are not listed again."""
    year = 365 * DAY_MS
    first = BINANCE_LAUNCH_MS + 100 * DAY_MS
    horizon = first + 5 * year
    beyond = [{"product": "margin", "endpoint": "margin.interest", "before": horizon,
               "reason": "beyond the API's retention horizon; to be filled from the statement"}]
    known = Ledger("c1")
    known.statements["margin"] = [(first, first + year - 1), (first + 2 * year, NOW)]
    known.statements["spot"] = [(first, NOW)]
    result = completeness.assess(completeness.run_gaps([], known, beyond=beyond))
    assert result.state == "gaps_named"
    assert [(g.start_ms, g.end_ms) for g in result.gaps] == [(first + year, first + 2 * year - 1)]
    assert "no uploaded statement shows this product's wallets" in result.gaps[0].cause
    # the first file (spot) shows no margin: its year is open too, not taken as before the history
    earliest = first - 50 * DAY_MS
    known.statements["spot"] = [(earliest, NOW)]
    gaps = completeness.assess(completeness.run_gaps([], known, beyond=beyond)).gaps
    assert [(g.start_ms, g.end_ms) for g in gaps] == [(earliest, first - 1),
                                                     (first + year, first + 2 * year - 1)]
    # a margin statement that starts after the period covers nothing of it
    known.statements["margin"] = [(horizon + DAY_MS, NOW)]
    gaps = completeness.run_gaps([], known, beyond=beyond)
    assert [(g.start_ms, g.end_ms, g.covered_by) for g in gaps] == [(earliest, horizon - 1, None)]
    known.statements = {"margin": [(horizon + DAY_MS, NOW)]}
    gaps = completeness.run_gaps([], known, beyond=beyond)
    assert [(g.start_ms, g.end_ms, g.covered_by) for g in gaps] == [(BINANCE_LAUNCH_MS, horizon - 1, None)]
