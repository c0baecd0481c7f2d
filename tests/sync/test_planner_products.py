"""Planner rules of the issue-14 products: every new endpoint is planned from the catalogue,
windows follow its documented maximum, variants are one task each, and mining endpoints are
planned per mining account of the connection (none without one)."""

from __future__ import annotations

import itertools

from binsync.binance.catalogue import DAY_MS, ENDPOINTS
from binsync.sync.plan import mining_variants
from binsync.sync.planner import PlanInputs, build_plan
from binsync_local.emulator.products import SYNCED_ENDPOINTS

NOW = 1_780_000_000_000
FLOOR = 1_500_001_200_000
PERMS = {"enableReading": True, "enableFutures": True}
# Sub-account transfers have one variant per discovered sub-account: test_sub_accounts.py.
NEW = tuple(n for n in SYNCED_ENDPOINTS if not ENDPOINTS[n].extra.get("variants_from_scope"))


def _plan(**kw):
    return build_plan(PlanInputs(start_ms=FLOOR, now_ms=NOW, permissions=PERMS,
                                 products={"isMarginEnabled": True}, **kw))


def test_every_new_product_is_planned_over_the_whole_span_in_its_windows():
    plan = _plan()
    for name in NEW:
        tasks = [t for t in plan.tasks if t.endpoint == name]
        ep = ENDPOINTS[name]
        assert tasks, name
        if ep.start_param is None:  # no time filter (dual investment): one task reads everything
            assert [(t.window_start, t.window_end) for t in tasks] == [(None, None)], name
            continue
        variants = len(ep.variants) or 1
        # covered from the floor to now, no gap, in whole maximum windows
        for params in ({**v} for v in (ep.variants or ({},))):
            mine = sorted((t for t in tasks if dict(t.params or {}) == params), key=lambda t: t.window_start)
            assert mine[0].window_start == FLOOR and mine[-1].window_end == NOW, name
            assert all(b.window_start == a.window_end + 1 for a, b in itertools.pairwise(mine)), name
            assert all((t.window_end - t.window_start + 1) % ep.max_window_ms == 0 for t in mine[:-1]), name
        assert len({tuple(sorted((t.params or {}).items())) for t in tasks}) == variants, name
    boost = {t.params["type"] for t in plan.tasks if t.endpoint == "staking.sol_boost_rewards"}
    assert boost == {"CLAIM", "DISTRIBUTE"}
    assert ENDPOINTS["loans.flexible_repay"].max_window_ms == 180 * DAY_MS  # spec §5.12


def test_mining_endpoints_need_a_mining_account_and_get_one_task_per_account():
    without = {t.endpoint for t in _plan().tasks}
    assert not without & {"mining.payments", "mining.other", "mining.account_earnings"}
    accounts = [{"userName": "miner1", "algo": "sha256"}, {"userName": "miner2", "algo": "scrypt"}]
    plan = _plan(variants=mining_variants(accounts))
    for name in ("mining.payments", "mining.other"):
        params = sorted((t.params["userName"], t.params["algo"]) for t in plan.tasks if t.endpoint == name)
        assert params == [("miner1", "sha256"), ("miner2", "scrypt")], name
    algos = sorted(t.params["algo"] for t in plan.tasks if t.endpoint == "mining.account_earnings")
    assert algos == ["scrypt", "sha256"]


def test_dual_investment_settlement_is_a_named_statement_only_gap():
    plan = _plan()
    tasks = [t for t in plan.tasks if t.endpoint == "dual_investment.positions"]
    assert len(tasks) == 1 and not tasks[0].params  # no time filter, no status: every position
    gaps = plan.coverage["dual_investment"]["statement_only"]
    assert [g["endpoint"] for g in gaps] == ["dual_investment.positions"]
    assert "settlement" in gaps[0]["what"] and "statement" in gaps[0]["what"]


def test_auto_invest_redemptions_are_a_named_statement_only_gap():
    plan = _plan()
    gaps = plan.coverage["auto_invest"]["statement_only"]
    assert "requestId" in gaps[0]["what"] and "redeem/history" in gaps[0]["what"]
    assert {t.endpoint for t in plan.tasks} >= {"auto_invest.history", "auto_invest.rebalance"}
