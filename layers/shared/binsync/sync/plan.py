"""The Plan step: gather the planner's inputs, persist the tasks, hand the Map only task ids.

The Map's items are batches of task ids (`tasks.batch_items`: one-market tasks go
`SYNC_BATCH_TASKS` to an item, every other task alone). Small plans go inline in the state;
a plan above `INLINE_MAX_TASKS` items is written as a JSON list of batches to S3
(`plans/<run_id>.json`) and read by a Distributed Map, so the parent execution's 25,000-event
history and 256 KiB payload limits are never reached.
"""

from __future__ import annotations

import json
import logging
import os
from typing import Any

from binsync.binance.catalogue import ENDPOINTS
from binsync.storage import clients
from binsync.storage.models import ConnectionModel, RunModel
from binsync.sync import binance_io, discovery, export_quota, ledger, markets
from binsync.sync.export_plan import export_endpoints
from binsync.sync.modes import INCREMENTAL_OVERLAP_MS, resolve_start
from binsync.sync.planner import MarketSelection, PlanInputs, build_plan, select_markets
from binsync.sync.progress import add, now_ms
from binsync.sync.tasks import batch_items, save_tasks

INLINE_MAX_TASKS = int(os.environ.get("SYNC_INLINE_MAX_TASKS", "500"))
# Step Functions caps a state's input/output at 256 KiB (262,144 bytes of UTF-8): the inline
# Map's item list travels in the execution's state, so a plan whose ids would fill more than this
# share of it goes to the Distributed Map (items read from S3) even with few items.
INLINE_MAX_PAYLOAD_BYTES = int(os.environ.get("SYNC_INLINE_MAX_PAYLOAD_BYTES", str(160 * 1024)))


def runs_distributed(items: list[list[str]]) -> bool:
    """Too many items for one execution's history (25,000 events), or too large a state."""
    if len(items) > INLINE_MAX_TASKS:
        return True
    return len(json.dumps(items, separators=(",", ":")).encode()) > INLINE_MAX_PAYLOAD_BYTES
BATCH_TASKS = int(os.environ.get("SYNC_BATCH_TASKS", "25"))
# An incremental resync's other tasks are a request or two each: 20 to a Map item (bench/cost.py:
# per-task items made the Step Functions transitions 74 % of a weekly resync's bill; 10 until
# issue 19's second pass).
INCREMENTAL_OTHER_BATCH = int(os.environ.get("SYNC_INCREMENTAL_OTHER_BATCH", "20"))
# A full sync's IP-bucket windows, 4 to an item (issue 19: 627 Map items on `reference`, most
# one empty page, each a Lambda invocation and a Distributed Map child; ~140 items still keep
# 32 IPs busy)
FULL_OTHER_BATCH = int(os.environ.get("SYNC_FULL_OTHER_BATCH", "4"))

log = logging.getLogger(__name__)


def only_endpoints() -> frozenset[str] | None:
    """SYNC_ONLY_ENDPOINTS (comma-separated catalogue names) restricts a deployment's plans."""
    raw = os.environ.get("SYNC_ONLY_ENDPOINTS", "").strip()
    return frozenset(n.strip() for n in raw.split(",") if n.strip()) or None


def read_balances(client: Any) -> dict[str, str] | None:
    """The spot balances now (asset -> free + locked as a decimal string), None if unreadable."""
    try:
        return {asset: str(total) for asset, total in sorted(binance_io.spot_balances(client).items())}
    except Exception as exc:  # the plan then walks every market (planner.select_markets)
        log.warning("spot balances could not be read at plan time: %s", type(exc).__name__)
        return None


def choose_markets(mode: str, connection: ConnectionModel, market_map: dict[str, dict[str, str]],
                   balances: dict[str, str] | None, now: int) -> MarketSelection:
    return select_markets(mode, market_map, now_ms=now, balances=balances,
                          last_balances=connection.last_success_balances,
                          traded=connection.traded_markets,
                          last_all_markets_at=connection.last_all_markets_at)


def mining_variants(accounts: list[dict[str, str]] | None) -> dict[str, list[dict[str, str]]]:
    """The mining endpoints' parameter sets: per mining account (userName, algo) for the
    earnings and extra-bonus lists, per algorithm for the account earnings."""
    accounts = [a for a in accounts or [] if a.get("userName") and a.get("algo")]
    if not accounts:
        return {}
    per_account = [{"algo": a["algo"], "userName": a["userName"]} for a in accounts]
    algos = [{"algo": algo} for algo in dict.fromkeys(a["algo"] for a in accounts)]
    return {name: (algos if ENDPOINTS[name].extra.get("variants_from") == "mining_algos" else per_account)
            for name, ep in ENDPOINTS.items() if ep.extra.get("variants_from")}


def add_unproven_markets(selection: MarketSelection, market_map: dict[str, dict[str, str]],
                         known: ledger.Ledger, endpoint: str = "spot.my_trades") -> MarketSelection:
    """The selection plus every market whose fill chain the ledger never proved read.

    The selection rule explains why a market proven read earlier can have no new fill; it says
    nothing of a market never read (a first sync that failed before reaching it).
    """
    chosen = set(selection.symbols)
    unproven = sorted(s for s in market_map
                      if s not in chosen and not known.known(ledger.scope_key(endpoint, {}, s)))
    if not unproven:
        return selection
    symbols = sorted(chosen | set(unproven))
    note = {**selection.note, "walked": len(symbols), "never_proven_read": len(unproven),
            "reason": f"{selection.note['reason']}; and {len(unproven)} markets never proven read"}
    return MarketSelection(symbols, note)


def remember_context_scopes(connection: ConnectionModel, scopes: discovery.Scopes) -> None:
    """Store the scopes normalisers read (catalogue `context_scope`: the sub-account emails) on
    the connection now, so every task of this run finds them (fetch.py), merged with the earlier
    runs' members (a member is never forgotten)."""
    wanted = {str(ep.extra["context_scope"]) for ep in ENDPOINTS.values() if ep.extra.get("context_scope")}
    known = dict(connection.known_symbols or {})
    merged = {**known, **{scope: sorted(set(known.get(scope, [])) | set(scopes.symbols[scope]))
                          for scope in wanted if scope in scopes.symbols}}
    if merged != known:
        connection.update(actions=[ConnectionModel.known_symbols.set(merged)])


def _plan_key(run_id: str) -> str:
    return f"{os.environ.get('PLANS_PREFIX', 'plans/')}{run_id}.json"


def plan_run(user_id: str, connection_id: str, run_id: str, *, client: Any = None) -> dict[str, Any]:
    run = RunModel.get(connection_id, run_id)
    connection = ConnectionModel.get(user_id, connection_id)
    client = client or binance_io.make_client(connection)
    stats_before = binance_io.client_stats(client)

    now = binance_io.server_time_ms(client) or now_ms()
    known = ledger.load(connection_id)
    start = resolve_start(run.mode, connection, ledger=known)
    if start.files_cover_until is not None:  # since_last, asked for explicitly: recorded as such
        ledger.declare_user_files(known, start.files_cover_until, run_id=run_id)
    # The live key restrictions win over the ones stored at registration (they can change).
    permissions = {**(connection.permissions or {}), **binance_io.api_restrictions(client)}
    products = binance_io.account_info(client)
    market_map = markets.merge_and_save(binance_io.exchange_markets(client))
    balances = read_balances(client)  # before any market task of this run: see planner.py
    selection = choose_markets(start.effective, connection, market_map, balances, now)
    if start.use_ledger:
        selection = add_unproven_markets(selection, market_map, known)

    scopes = discovery.discover(client, products, connection.known_symbols or {})
    remember_context_scopes(connection, scopes)

    plan = build_plan(PlanInputs(
        start_ms=start.start_ms, now_ms=now, permissions=permissions, products=products,
        symbols={"spot.my_trades": selection.symbols, **scopes.symbols},
        symbol_notes={"spot.my_trades": selection.note},
        only=only_endpoints(),
        variants=mining_variants(connection.mining_accounts),
        unknown_scopes=frozenset(scopes.failed),
        scope_floors=scopes.floors,
        covered=known.coverage_map() if start.use_ledger else None,
        chain_next=known.chain_next if start.use_ledger else {},
        late_overlap_ms=INCREMENTAL_OVERLAP_MS,
        export_quota_left=export_quota.remaining(connection.export_quota, export_endpoints(), now),
    ))
    save_tasks(run_id, plan.tasks)
    task_ids = [t.task_id for t in plan.tasks]
    other_batch = INCREMENTAL_OTHER_BATCH if start.effective == "incremental" else FULL_OTHER_BATCH
    items = batch_items(plan.tasks, BATCH_TASKS, other_batch)

    coverage = {product: {"from": c["from"], "to": c["to"], "endpoints": c["endpoints"], "complete": None,
                          **({"markets": c["markets"]} if "markets" in c else {}),
                          **({"statement_only": c["statement_only"]} if "statement_only" in c else {})}
                for product, c in plan.coverage.items()}
    for scope, note in scopes.notes.items():
        product = "margin" if scope.startswith("margin") else discovery.SCOPE_PRODUCTS.get(scope, scope)
        if product in coverage:
            coverage[product].setdefault("scopes", {})[scope] = note
    for skipped in plan.not_planned:
        coverage.setdefault(skipped["product"],
                            {"from": None, "to": None, "endpoints": [], "complete": False})
        coverage[skipped["product"]].setdefault("not_planned", []).append(
            {"endpoint": skipped["endpoint"], "reason": skipped["reason"]})
    run.update(actions=[
        RunModel.status.set("running"), RunModel.window_start.set(start.start_ms),
        RunModel.window_end.set(now), RunModel.tasks_total.set(len(task_ids)),
        RunModel.beyond_retention.set(plan.beyond_retention), RunModel.coverage.set(coverage),
        RunModel.spot_balances_at_plan.set(balances) if balances is not None
        else RunModel.spot_balances_at_plan.remove(),
    ])
    binance_io.remember_offset(client)
    stats = binance_io.client_stats(client)
    add(connection_id, run_id, **{k: stats.get(k, 0) - stats_before.get(k, 0) for k in stats})

    out: dict[str, Any] = {"user_id": user_id, "connection_id": connection_id, "run_id": run_id,
                           "task_count": len(task_ids), "item_count": len(items), "mode": start.effective,
                           "distributed": runs_distributed(items)}
    if out["distributed"]:
        bucket, key = os.environ["UPLOADS_BUCKET"], _plan_key(run_id)
        clients.client("s3").put_object(Bucket=bucket, Key=key, Body=json.dumps(items).encode(),
                                      ContentType="application/json")
        out.update(plan_bucket=bucket, plan_key=key, items=[])
    else:
        out.update(plan_bucket=None, plan_key=None, items=items)
    return out
