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

from binsync.storage import clients
from binsync.storage.models import ConnectionModel, RunModel
from binsync.sync import binance_io, markets
from binsync.sync.modes import resolve_start
from binsync.sync.planner import MarketSelection, PlanInputs, build_plan, select_markets
from binsync.sync.progress import add, now_ms
from binsync.sync.tasks import batch_items, save_tasks

INLINE_MAX_TASKS = int(os.environ.get("SYNC_INLINE_MAX_TASKS", "500"))
BATCH_TASKS = int(os.environ.get("SYNC_BATCH_TASKS", "25"))

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


def mining_accounts(connection: ConnectionModel) -> list[dict[str, Any]]:
    """The connection's mining accounts as plain dicts ({"user_name", "algo"}), [] when none.

    Read from the `mining_accounts` attribute when the connection has one (POST /connections
    accepts them; issue 14 item 3), so this works before and after that attribute exists.
    """
    out = []
    for entry in getattr(connection, "mining_accounts", None) or []:
        as_dict = entry.as_dict() if hasattr(entry, "as_dict") else dict(entry)
        name = as_dict.get("user_name") or as_dict.get("userName")
        if name:
            out.append({"user_name": str(name), "algo": str(as_dict.get("algo") or "sha256")})
    return out


def _plan_key(run_id: str) -> str:
    return f"{os.environ.get('PLANS_PREFIX', 'plans/')}{run_id}.json"


def plan_run(user_id: str, connection_id: str, run_id: str, *, client: Any = None) -> dict[str, Any]:
    run = RunModel.get(connection_id, run_id)
    connection = ConnectionModel.get(user_id, connection_id)
    client = client or binance_io.make_client(connection)
    stats_before = binance_io.client_stats(client)

    now = binance_io.server_time_ms(client) or now_ms()
    start = resolve_start(run.mode, connection)
    # The live key restrictions win over the ones stored at registration (they can change).
    permissions = {**(connection.permissions or {}), **binance_io.api_restrictions(client)}
    products = binance_io.account_info(client)
    market_map = markets.merge_and_save(binance_io.exchange_markets(client))
    balances = read_balances(client)  # before any market task of this run: see planner.py
    selection = choose_markets(start.effective, connection, market_map, balances, now)

    plan = build_plan(PlanInputs(
        start_ms=start.start_ms, now_ms=now, permissions=permissions, products=products,
        symbols={"spot.my_trades": selection.symbols},
        symbol_notes={"spot.my_trades": selection.note},
        only=only_endpoints(),
        mining_accounts=mining_accounts(connection),
    ))
    save_tasks(run_id, plan.tasks)
    task_ids = [t.task_id for t in plan.tasks]
    items = batch_items(plan.tasks, BATCH_TASKS)

    coverage = {product: {"from": c["from"], "to": c["to"], "endpoints": c["endpoints"], "complete": None,
                          **({"markets": c["markets"]} if "markets" in c else {}),
                          **({"statement_only": c["statement_only"]} if "statement_only" in c else {})}
                for product, c in plan.coverage.items()}
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
                           "distributed": len(items) > INLINE_MAX_TASKS}
    if out["distributed"]:
        bucket, key = os.environ["UPLOADS_BUCKET"], _plan_key(run_id)
        clients.client("s3").put_object(Bucket=bucket, Key=key, Body=json.dumps(items).encode(),
                                      ContentType="application/json")
        out.update(plan_bucket=bucket, plan_key=key, items=[])
    else:
        out.update(plan_bucket=None, plan_key=None, items=items)
    return out
