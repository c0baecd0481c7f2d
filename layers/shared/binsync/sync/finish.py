"""The Finish step: counts, coverage, beyond-retention periods, reconciliation, outcome.

Returns `{"outcome": "succeeded"|"failed", "error", "cause"}`; on failure the state machine
fails the execution with `error` as the error name and `cause` (JSON: connection_id, user_id,
run_id, error type, user message) as the cause, which on_sync_failed reads.

It also keeps the connection's spot market state that `planner.select_markets` reads: the
markets with stored fills (after every run, failed or not: stored fills stay stored) and, after a
success only, the run's plan-time balance snapshot and the time of its walk of every market.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from typing import Any

from binsync.binance.catalogue import ENDPOINTS
from binsync.events.failures import reset_transient_failures
from binsync.storage.models import ConnectionModel, RunModel
from binsync.sync import binance_io, markets
from binsync.sync.errors import AUTH_ERRORS
from binsync.sync.planner import RULE_ALL
from binsync.sync.progress import now_ms, product_of
from binsync.sync.reconcile_run import reconcile_connection
from binsync.sync.reconcile_wallets import StoredLedger, stored_ledger
from binsync.sync.tasks import load_tasks

log = logging.getLogger(__name__)


def _cause(run: RunModel, error: dict[str, Any]) -> str:
    return json.dumps({"connection_id": run.connection_id, "user_id": run.user_id, "run_id": run.run_id,
                       "type": error.get("type"), "error": error.get("type"), "message": error.get("message"),
                       "user_message": error.get("user_message"), "endpoint": error.get("endpoint"),
                       "code": error.get("code")})


def summarise(run: RunModel) -> dict[str, Any]:
    """Per-product counts, coverage and what lies beyond the API's reach, from the task rows."""
    counts: dict[str, int] = defaultdict(int)
    tasks_by_product: dict[str, list[Any]] = defaultdict(list)
    beyond = list(run.beyond_retention or [])
    records_by_endpoint_variant: dict[tuple[str, str], int] = defaultdict(int)
    incomplete = []
    traded: set[str] = set()
    for task in load_tasks(run.run_id):
        product = product_of(task.endpoint)
        if task.endpoint == "spot.my_trades" and task.symbol and int(task.records or 0) > 0:
            traded.add(task.symbol)
        counts[product] += int(task.records or 0)
        tasks_by_product[product].append(task)
        variant = json.dumps(task.params, sort_keys=True)
        records_by_endpoint_variant[(task.endpoint, variant)] += int(task.records or 0)
        if task.status != "done":
            incomplete.append(task.task_id)
        if task.error and task.error.get("beyond_api_reach"):
            beyond.append({"product": product, "endpoint": task.endpoint, "symbol": task.symbol,
                           "before": None, "reason": task.error["reason"]})
    for (endpoint, params), records in records_by_endpoint_variant.items():
        ep = ENDPOINTS.get(endpoint)
        if ep and ep.retention_records and records >= ep.retention_records:
            beyond.append({"product": ep.product, "endpoint": endpoint, "params": json.loads(params),
                           "before": None,
                           "reason": f"Binance returns only the last {ep.retention_records} records; "
                                     "older ones to be filled from the statement"})
    coverage = dict(run.coverage or {})
    for product, tasks in tasks_by_product.items():
        entry = dict(coverage.get(product) or {})
        entry["complete"] = all(t.status == "done" for t in tasks) and not entry.get("not_planned")
        entry["tasks"] = len(tasks)
        entry["records"] = counts[product]
        coverage[product] = entry
    for product, entry in coverage.items():
        if product not in tasks_by_product and entry.get("complete") is None:
            # Planned with nothing to fetch (e.g. no market can have new fills): complete.
            coverage[product] = {**entry, "complete": not entry.get("not_planned"), "tasks": 0, "records": 0}
    return {"counts": dict(counts), "coverage": coverage, "beyond_retention": beyond,
            "incomplete": incomplete, "traded_markets": traded}


def market_state_actions(run: RunModel, connection: ConnectionModel, summary: dict[str, Any], *,
                         succeeded: bool, stored_markets: set[str] | None = None) -> list[Any]:
    """Connection updates for the next plan's market selection (planner.select_markets).

    `traded_markets` grows with the markets where this run stored fills. It is established
    (from None) only after a success, from the stored fills themselves: a task counts the fills
    it stored, not those an earlier run had stored. The balance snapshot and `last_all_markets_at`
    move only after a success of a run that walked spot markets (its spot coverage has a market
    note): its snapshot is then the point up to which every walked market is stored.
    """
    fresh: set[str] = summary["traded_markets"]
    previous = connection.traded_markets
    actions: list[Any] = []
    if previous is not None and not fresh <= set(previous):
        actions.append(ConnectionModel.traded_markets.set(sorted(set(previous) | fresh)))
    if not succeeded:
        return actions
    if previous is None:
        try:
            stored = (stored_markets if stored_markets is not None
                      else markets.stored_trade_markets(run.user_id, run.binance_uid))
        except Exception as exc:  # stays unknown: the next incremental walks every market again
            log.warning("stored markets could not be read: %s", type(exc).__name__)
        else:
            actions.append(ConnectionModel.traded_markets.set(sorted(stored | fresh)))
    note = (summary["coverage"].get("spot") or {}).get("markets")
    if note is None:
        return actions
    snapshot = run.spot_balances_at_plan
    actions.append(ConnectionModel.last_success_balances.set(snapshot) if snapshot is not None
                   else ConnectionModel.last_success_balances.remove())
    if note.get("rule") == RULE_ALL:
        actions.append(ConnectionModel.last_all_markets_at.set(int(run.window_end)))
    return actions


def finish_run(user_id: str, connection_id: str, run_id: str, *, client: Any = None) -> dict[str, Any]:
    run = RunModel.get(connection_id, run_id)
    summary = summarise(run)
    finished = now_ms()
    base = [RunModel.counts.set(summary["counts"]), RunModel.coverage.set(summary["coverage"]),
            RunModel.beyond_retention.set(summary["beyond_retention"]), RunModel.finished_at.set(finished)]

    error: dict[str, Any] | None = None
    if run.error and run.error.get("type") in AUTH_ERRORS:
        error = dict(run.error)
    elif summary["incomplete"]:
        error = {"type": "SyncIncomplete",
                 "message": f"{len(summary['incomplete'])} tasks did not complete: "
                            + ", ".join(summary["incomplete"][:10]),
                 "user_message": "Part of the history could not be read; the next sync retries it."}
    if error:
        run.update(actions=[*base, RunModel.status.set("failed"), RunModel.error.set(error),
                            RunModel.tasks_failed.set(len(summary["incomplete"]))])
        if summary["traded_markets"]:
            connection = ConnectionModel.get(user_id, connection_id)
            actions = market_state_actions(run, connection, summary, succeeded=False)
            if actions:
                connection.update(actions=actions)
        return {"outcome": "failed", "error": error["type"], "cause": _cause(run, error), "run_id": run_id}

    connection = ConnectionModel.get(user_id, connection_id)
    totals: StoredLedger | None = None
    try:
        client = client or binance_io.make_client(connection)
        totals = stored_ledger(user_id, run.binance_uid)
        run.coverage, run.beyond_retention = summary["coverage"], summary["beyond_retention"]
        reconciliation = reconcile_connection(user_id, connection_id, run=run, client=client, ledger=totals)
    except Exception as exc:  # reconciliation informs, it never fails a sync
        log.warning("reconciliation failed: %s", type(exc).__name__)
        reconciliation = {"error": type(exc).__name__, "message": str(exc)[:300]}
    run.update(actions=[*base, RunModel.status.set("succeeded"), RunModel.reconciliation.set(reconciliation)])
    connection.update(actions=[ConnectionModel.last_success_at.set(finished),
                               ConnectionModel.last_success_window_end.set(run.window_end),
                               ConnectionModel.consecutive_transient_failures.set(0),
                               *market_state_actions(run, connection, summary, succeeded=True,
                                                     stored_markets=totals and totals.trade_markets)])
    reset_transient_failures(user_id, connection_id)  # and the repeated-failure warning goes too
    return {"outcome": "succeeded", "error": None, "cause": None, "run_id": run_id,
            "records": int(run.records or 0)}


def fail_run(user_id: str, connection_id: str, run_id: str, error: dict[str, Any]) -> dict[str, Any]:
    """A step failed outside the Map (the Plan): record it and shape the execution failure."""
    run = RunModel.get(connection_id, run_id)
    name = str(error.get("Error") or error.get("type") or "SyncFailed")
    message, user_message = str(error.get("Cause") or error.get("message") or ""), None
    try:
        envelope = json.loads(message)
        message = envelope.get("errorMessage", message)
    except (TypeError, ValueError):
        pass
    if run.error and run.error.get("type") == name:
        user_message = run.error.get("user_message")
    record = {"type": name, "message": message[:1000],
              "user_message": user_message or "The sync could not be planned; it will be retried."}
    run.update(actions=[RunModel.status.set("failed"), RunModel.finished_at.set(now_ms()),
                        RunModel.error.set(record)])
    return {"outcome": "failed", "error": name, "cause": _cause(run, record), "run_id": run_id}
