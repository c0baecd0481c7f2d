"""Planner: windows, retention clipping, permission/product gating, markets, modes."""

from __future__ import annotations

import itertools

from binsync.binance.catalogue import DAY_MS, ENDPOINTS
from binsync.sync.planner import (
    DEFAULT_TASK_SPAN_MS,
    STATEMENT_REASON,
    PlanInputs,
    build_plan,
    task_span,
    windows,
)

NOW = 1_780_000_000_000  # 2026-05-28
FLOOR = 1_500_001_200_000
ALL_PERMS = {"enableReading": True, "enableFutures": True, "enableVanillaOptions": True}
ALL_PRODUCTS = {"isMarginEnabled": True, "isFutureEnabled": True, "isOptionsEnabled": True}


def _plan(**kw):
    args = {"start_ms": FLOOR, "now_ms": NOW, "permissions": ALL_PERMS, "products": ALL_PRODUCTS,
            "symbols": {"spot.my_trades": ["BTCUSDT", "ETHBTC", "OLDBREAK"]}}
    args.update(kw)
    return build_plan(PlanInputs(**args))


def _tasks(plan, endpoint):
    return [t for t in plan.tasks if t.endpoint == endpoint]


def test_windows_are_inclusive_contiguous_and_bounded():
    w = windows(0, 10 * DAY_MS, 3 * DAY_MS)
    assert w[0][0] == 0 and w[-1][1] == 10 * DAY_MS
    for (_, e1), (s2, _) in itertools.pairwise(w):
        assert s2 == e1 + 1  # no gap, no overlap: a record on a boundary is fetched once
    assert all(e - s <= 3 * DAY_MS - 1 for s, e in w)
    assert windows(5, 4, DAY_MS) == []
    assert windows(0, 100, None) == [(0, 100)]


def test_full_plan_covers_every_deposit_window_from_the_floor_to_now():
    plan = _plan()
    deposits = sorted(_tasks(plan, "wallet.deposits"), key=lambda t: t.window_start)
    ep = ENDPOINTS["wallet.deposits"]
    assert deposits[0].window_start == FLOOR and deposits[-1].window_end == NOW
    span = task_span(ep, DEFAULT_TASK_SPAN_MS)
    assert span % ep.max_window_ms == 0 and span <= DEFAULT_TASK_SPAN_MS  # whole inner windows
    assert all(t.window_end - t.window_start < span for t in deposits)
    for before, after in itertools.pairwise(deposits):
        assert after.window_start == before.window_end + 1
    assert len(deposits) == -(-(NOW - FLOOR + 1) // span)
    # One maximum window per task when asked to.
    single = _tasks(_plan(task_span_ms=1), "wallet.deposits")
    assert all(t.window_end - t.window_start < ep.max_window_ms for t in single)
    assert len(single) == -(-(NOW - FLOOR + 1) // ep.max_window_ms)


def test_only_restricts_the_endpoints():
    plan = _plan(only=frozenset({"wallet.deposits", "spot.my_trades"}))
    assert {t.endpoint for t in plan.tasks} == {"wallet.deposits", "spot.my_trades"}


def test_my_trades_is_one_fromid_chain_per_market_including_break_symbols():
    trades = _tasks(_plan(), "spot.my_trades")
    assert sorted(t.symbol for t in trades) == ["BTCUSDT", "ETHBTC", "OLDBREAK"]
    assert all(t.window_start is None for t in trades)  # full history: chain from the first id
    # Later modes walk the chain too: cheaper than one request per 24 h window per market.
    incremental = _tasks(_plan(start_ms=NOW - 9 * DAY_MS), "spot.my_trades")
    assert {t.window_start for t in incremental} == {None}
    assert len(incremental) == len(trades)


def test_retention_clips_windows_and_records_the_period_beyond():
    plan = _plan()
    ep = ENDPOINTS["wallet.universal_transfer"]
    tasks = _tasks(plan, ep.name)
    assert tasks, "universal transfer is planned"
    horizon = min(t.window_start for t in tasks)
    assert horizon >= NOW - ep.retention_ms
    beyond = [b for b in plan.beyond_retention if b["endpoint"] == ep.name]
    assert len(beyond) == 1 and beyond[0]["before"] == horizon
    assert STATEMENT_REASON in beyond[0]["reason"]
    # An incremental sync inside the horizon loses nothing and records nothing.
    recent = _plan(start_ms=NOW - 7 * DAY_MS)
    assert not [b for b in recent.beyond_retention if b["endpoint"] == ep.name]


def test_dust_starts_at_its_earliest_date():
    plan = _plan()
    dust = _tasks(plan, "wallet.dust")
    assert min(t.window_start for t in dust) == ENDPOINTS["wallet.dust"].earliest_ms
    assert {t.params["accountType"] for t in dust} == {"SPOT", "MARGIN"}
    assert any(b["endpoint"] == "wallet.dust" for b in plan.beyond_retention)


def test_permissions_and_products_gate_endpoints():
    plan = _plan(permissions={**ALL_PERMS, "enableFutures": False},
                 products={**ALL_PRODUCTS, "isMarginEnabled": False})
    planned = {t.endpoint for t in plan.tasks}
    assert not any(name.startswith(("usdm.", "coinm.", "margin.")) for name in planned)
    reasons = {n["endpoint"]: n["reason"] for n in plan.not_planned}
    assert "enableFutures" in reasons["usdm.income"]
    assert "isMarginEnabled" in reasons["margin.borrow_repay"]
    assert {"spot.my_trades", "wallet.deposits", "wallet.withdrawals", "fiat.orders", "fiat.payments",
            "convert.trade_flow", "wallet.dust"} <= planned


def test_a_key_without_reading_plans_nothing():
    plan = _plan(permissions={"enableReading": False})
    assert plan.tasks == []


def test_task_ids_are_unique_and_deterministic():
    first, second = _plan(), _plan()
    ids = [t.task_id for t in first.tasks]
    assert len(ids) == len(set(ids))
    assert ids == [t.task_id for t in second.tasks]


def test_uid_bucket_endpoints_start_first():
    plan = _plan()
    kinds = [ENDPOINTS[t.endpoint].bucket.kind for t in plan.tasks]
    assert kinds.index("ip") > kinds.index("uid")
    assert "uid" not in kinds[kinds.index("ip"):]


def test_not_planned_by_default_endpoints():
    planned = {t.endpoint for t in _plan().tasks}
    # Mining pool lists need a mining account the user names (cloud mining is a spot ledger and
    # needs none); capital flow is planned since issue 14.
    needs_account = {e for e in planned if "algo" in ENDPOINTS[e].required_params}
    assert "margin.capital_flow" in planned and "mining.cloud_mining" in planned and not needs_account


def test_map_items_batch_one_market_tasks_and_keep_every_other_task_alone():
    from binsync.sync.tasks import TaskSpec, batch_items

    specs = [TaskSpec("fiat.orders", 1, 2, params={"transactionType": "0"}),
             TaskSpec("fiat.orders", 1, 2, params={"transactionType": "1"}),
             *(TaskSpec("spot.my_trades", None, 9, symbol=f"S{i}") for i in range(7)),
             TaskSpec("wallet.deposits", 1, 2), TaskSpec("wallet.deposits", 3, 4)]
    items = batch_items(specs, 3)
    # both fiat variants share the account's fiat UID bucket: one item, paced by one client
    assert [len(i) for i in items] == [2, 3, 2, 2, 1, 1]
    assert items[0] == [specs[0].task_id, specs[1].task_id] and items[-1] == [specs[-1].task_id]
    markets = [s.task_id for s in specs[2:9]]
    # dealt round-robin: neighbours (often one base asset, a user's busiest) go to different items
    assert items[1:4] == [markets[0::3], markets[1::3], markets[2::3]]
    flat = [t for item in items for t in item]
    assert sorted(flat) == sorted(s.task_id for s in specs) and len(flat) == len(specs)  # each once
    assert [len(i) for i in batch_items(specs, 1)] == [2] + [1] * (len(specs) - 2)


def test_a_short_incremental_window_still_rereads_the_settle_period_of_status_bearing_endpoints():
    # A weekly resync starts 9 days back; a withdrawal under review or a deposit waiting for
    # confirmations at the last sync was skipped (only final statuses are events), so those
    # endpoints start 30 days back; spot fills and conversions, final at once, do not.
    plan = _plan(start_ms=NOW - 9 * DAY_MS)
    for name in ("wallet.deposits", "wallet.withdrawals", "fiat.orders", "fiat.payments", "p2p.orders"):
        tasks = _tasks(plan, name)
        assert min(t.window_start for t in tasks) == NOW - 30 * DAY_MS == NOW - ENDPOINTS[name].settle_ms
        assert len(tasks) == max(1, len(ENDPOINTS[name].variants)), name  # one task per variant still
    assert min(t.window_start for t in _tasks(plan, "convert.trade_flow")) == NOW - 9 * DAY_MS
    # a full sync is not moved: its start is already earlier
    assert min(t.window_start for t in _tasks(_plan(), "wallet.deposits")) == FLOOR


def test_an_incremental_resync_batches_its_other_tasks_to_cut_transitions_and_invocations():
    from binsync.sync.tasks import TaskSpec, batch_items

    specs = [TaskSpec("fiat.orders", 1, 2, params={"transactionType": "0"}),
             TaskSpec("wallet.deposits", 1, 2),
             TaskSpec("earn.flexible_rewards", 1, 2, params={"type": "BONUS"}),
             TaskSpec("earn.flexible_rewards", 1, 2, params={"type": "REALTIME"}),
             *(TaskSpec("spot.my_trades", None, 9, symbol=f"S{i}") for i in range(4))]
    items = batch_items(specs, 25, other_batch=2)
    others = [s.task_id for s in specs[1:4]]
    assert [specs[0].task_id] in items                      # the UID bucket keeps its own item
    assert [others[0], others[1]] in items and [others[2]] in items
    assert len(items) == 4                                   # 1 UID + 2 batches of others + 1 of markets
    flat = [t for item in items for t in item]
    assert sorted(flat) == sorted(s.task_id for s in specs)  # each task exactly once
    assert len(batch_items(specs, 25)) == 5                  # other_batch 1 keeps them alone


def test_a_full_sync_batches_its_windows_but_never_an_export():
    from binsync.sync.export_plan import export_endpoints
    from binsync.sync.plan import FULL_OTHER_BATCH
    from binsync.sync.tasks import TaskSpec, batch_items

    assert FULL_OTHER_BATCH > 1  # one Lambda and one Map child per 4 windows, not per window
    export = export_endpoints()[0].name
    specs = [*(TaskSpec("wallet.deposits", i, i + 1) for i in range(5)),
             TaskSpec(export, 1, 2), TaskSpec("wallet.withdrawals", 1, 2)]
    items = batch_items(specs, 25, other_batch=4)
    ids = [s.task_id for s in specs]
    # an export waits hours for Binance's file (ExportPending): it never holds other tasks back
    assert items == [ids[0:4], [ids[4]], [ids[5]], [ids[6]]]


def test_an_incremental_plan_resumes_fill_chains_but_never_an_order_chain():
    """Fills never change once listed, so a fill chain resumes past the last id read; an order
    (allOrders) fills or cancels later under the same id, so its chain is walked from the start."""
    from binsync.binance.pagination import resume_state
    from binsync.sync.ledger import scope_key

    chain_next = {scope_key("spot.my_trades", {}, "BTCUSDT"): 41,
                  scope_key("spot.all_orders", {}, "BTCUSDT"): 77}
    symbols = {"spot.my_trades": ["BTCUSDT", "ETHBTC"], "spot.all_orders": ["BTCUSDT"]}
    only = frozenset({"spot.my_trades", "spot.all_orders"})
    plan = _plan(symbols=symbols, include=only, only=only, covered={}, chain_next=chain_next)
    cursors = {(t.endpoint, t.symbol): t.cursor for t in plan.tasks}
    assert cursors[("spot.my_trades", "BTCUSDT")] == resume_state(ENDPOINTS["spot.my_trades"], 41, NOW)
    assert cursors[("spot.my_trades", "ETHBTC")] is None  # never walked to its end: from the first fill
    assert cursors[("spot.all_orders", "BTCUSDT")] is None
    full = _plan(symbols=symbols, include=only, only=only, chain_next=chain_next)  # covered=None
    assert all(t.cursor is None for t in full.tasks)
