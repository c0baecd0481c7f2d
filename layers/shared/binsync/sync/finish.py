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
from binsync.storage import documents
from binsync.storage.models import ConnectionModel, RunModel
from binsync.sync import binance_io, completeness, ledger, markets
from binsync.sync.errors import AUTH_ERRORS
from binsync.sync.margin_check import check_stored
from binsync.sync.planner import RULE_ALL
from binsync.sync.progress import now_ms, product_of, stored_counts
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
    beyond = list(documents.load(run.beyond_retention) or [])
    records_by_endpoint_variant: dict[tuple[str, str], int] = defaultdict(int)
    incomplete = []
    too_large: list[str] = []  # permanent: the same record fails every sync (large_items)
    traded: set[str] = set()
    gaps: dict[str, list[dict[str, Any]]] = defaultdict(list)  # product -> what was not read
    income_symbols: dict[str, set[str]] = defaultdict(set)     # usdm/coinm -> symbols income named
    walked: dict[str, set[str]] = defaultdict(set)             # endpoint -> symbols walked
    isolated_pairs: set[str] = set()
    rows = load_tasks(run.run_id)
    for task in rows:
        product = product_of(task.endpoint)
        if task.endpoint == "spot.my_trades" and task.symbol and int(task.records or 0) > 0:
            traded.add(task.symbol)
        counts[product] += int(task.records or 0)
        tasks_by_product[product].append(task)
        variant = json.dumps(task.params, sort_keys=True)
        records_by_endpoint_variant[(task.endpoint, variant)] += int(task.records or 0)
        if task.status != "done":
            incomplete.append(task.task_id)
            if (task.error or {}).get("type") == "ItemTooLarge":
                too_large.append(str(task.error.get("message") or task.task_id))
        if task.error and task.error.get("beyond_api_reach"):
            beyond.append({"product": product, "endpoint": task.endpoint, "symbol": task.symbol,
                           "before": None, "reason": task.error["reason"]})
        if task.symbol:
            walked[task.endpoint].add(task.symbol)
        isolated = (task.params or {}).get("isolatedSymbol") or (
            task.symbol if (task.params or {}).get("isIsolated") == "TRUE" else None)
        if isolated:
            isolated_pairs.add(str(isolated))
        _task_gaps(task, product, gaps, income_symbols)
    for (endpoint, params), records in records_by_endpoint_variant.items():
        ep = ENDPOINTS.get(endpoint)
        if ep and ep.retention_records and records >= ep.retention_records:
            beyond.append({"product": ep.product, "endpoint": endpoint, "params": json.loads(params),
                           "before": None,
                           "reason": f"Binance returns only the last {ep.retention_records} records; "
                                     "older ones to be filled from the statement"})
    for family, symbols in income_symbols.items():
        unwalked = sorted(symbols - walked[f"{family}.user_trades"])
        if unwalked:
            gaps[family].append({"endpoint": f"{family}.user_trades", "cause": "unwalked_income_symbols",
                                 "symbols": unwalked,
                                 "reason": "the income ledger names these symbols but no fill task walked "
                                           "them; the next sync walks them"})
    coverage = dict(documents.load(run.coverage) or {})
    for product, tasks in tasks_by_product.items():
        entry = dict(coverage.get(product) or {})
        if gaps.get(product):
            entry["gaps"] = gaps[product]
        entry["complete"] = (all(t.status == "done" for t in tasks) and not entry.get("not_planned")
                             and not gaps.get(product))
        entry["tasks"] = len(tasks)
        entry["records"] = counts[product]
        coverage[product] = entry
    for product, entry in coverage.items():
        if product not in tasks_by_product and entry.get("complete") is None:
            # Planned with nothing to fetch (e.g. no market can have new fills): complete.
            coverage[product] = {**entry, "complete": not entry.get("not_planned"), "tasks": 0, "records": 0}
    known = {"margin_isolated": isolated_pairs, **{f: set(v) for f, v in income_symbols.items()}}
    return {"counts": dict(counts), "coverage": coverage, "beyond_retention": beyond,
            "incomplete": incomplete, "too_large": too_large, "traded_markets": traded, "task_rows": rows,
            "gaps": {p: g for p, g in gaps.items() if g}, "near_duplicates": near_duplicates(rows),
            "known_symbols": {k: sorted(v) for k, v in known.items() if v}}


NEAR_DUPLICATES_LISTED = 200  # the run's report lists this many, as the upload report does


def near_duplicates(rows: list[Any]) -> dict[str, Any]:
    """The run's near-duplicates (statement.near_duplicates_api), from its task notes: each
    (statement, API) pair once although two endpoints may have written the same API event."""
    pairs: dict[tuple[str, str], dict[str, Any]] = {}
    unlisted = 0  # counted on a note beyond its listed pairs
    for task in rows:
        note = (task.error or {}).get("near_duplicates") if isinstance(task.error, dict) else None
        if not note:
            continue
        listed = note.get("listed") or []
        unlisted += max(0, int(note.get("count") or 0) - len(listed))
        for pair in listed:
            pairs.setdefault((pair["statement_id"], pair["api_id"]), pair)
    ordered = sorted(pairs.values(), key=lambda p: (p["time_ms"], p["statement_id"]))
    return {"near_duplicate_count": len(ordered) + unlisted,
            "near_duplicates": ordered[:NEAR_DUPLICATES_LISTED]}


def _task_gaps(task: Any, product: str, gaps: dict[str, list[dict[str, Any]]],
               income_symbols: dict[str, set[str]]) -> None:
    """What a done task's note says it could not read (sync/task_notes.py)."""
    note = task.error if task.status == "done" and isinstance(task.error, dict) else {}
    if note.get("incomplete"):
        gaps[product].append({**note["incomplete"], "task_id": task.task_id, "symbol": task.symbol,
                              "params": dict(task.params or {})})
    if note.get("unknown_types"):
        gaps[product].append({"endpoint": task.endpoint, "cause": "unknown_income_types",
                              "types": dict(note["unknown_types"]), "task_id": task.task_id,
                              "reason": "income types binsync does not map to a kind: kept as `other` "
                                        "with their legs, to be classified"})
    for symbol in note.get("income_symbols") or []:
        income_symbols[product].add(str(symbol))


def known_symbols_action(connection: ConnectionModel, summary: dict[str, Any]) -> list[Any]:
    """Remember isolated pairs and income-ledger symbols for the next plans (sync/discovery.py)."""
    merged = {k: set(v) for k, v in (connection.known_symbols or {}).items()}
    fresh = summary.get("known_symbols") or {}
    changed = False
    for scope, symbols in fresh.items():
        before = merged.setdefault(scope, set())
        if not set(symbols) <= before:
            before.update(symbols)
            changed = True
    if not changed:
        return []
    return [ConnectionModel.known_symbols.set({k: sorted(v) for k, v in sorted(merged.items())})]


def record_coverage(run: RunModel, summary: dict[str, Any],
                    reconciliation: dict[str, Any] | None = None) -> dict[str, Any]:
    """Add what the run proved read to the connection's ledger; the run's completeness state."""
    known = ledger.load(run.connection_id)
    ledger.record_tasks(known, summary["task_rows"], run_id=run.run_id, run_window_end=run.window_end)
    return assess_run(run, summary, known, reconciliation)


def assess_run(run: RunModel, summary: dict[str, Any], known: ledger.Ledger,
               reconciliation: dict[str, Any] | None = None) -> dict[str, Any]:
    """The completeness state of a run's data against the ledger as it stands now (a statement
    uploaded later covers the run's statement-only periods: binsync.sync.reassess)."""
    gaps = completeness.run_gaps(summary["task_rows"], known, beyond=summary["beyond_retention"],
                                 coverage=summary["coverage"], window_end=run.window_end,
                                 floor_ms=int(run.window_start or ledger.BINANCE_LAUNCH_MS),
                                 product_of=product_of)
    gaps += note_gaps(summary.get("gaps") or {}, run)
    return completeness.assess(gaps, completeness.reconciliation_differences(reconciliation)).to_dict()


def note_gaps(product_gaps: dict[str, list[dict[str, Any]]], run: RunModel) -> list[completeness.Gap]:
    """The task notes' gaps that are not unread windows (those come from the ledger): income
    types binsync cannot classify, and income symbols no fill task walked."""
    out = []
    for product, entries in product_gaps.items():
        for entry in entries:
            if entry.get("cause") == "unknown_income_types":
                types = sorted(entry["types"].items())
                cause = entry["reason"] + ": " + ", ".join(f"{t} ({n})" for t, n in types)
            elif entry.get("cause") == "unwalked_income_symbols":
                cause = entry["reason"] + ": " + ", ".join(entry["symbols"])
            else:
                continue  # same-millisecond overflow: the task's window is unread in the ledger
            out.append(completeness.Gap(entry["endpoint"], product, completeness.UNREAD, cause,
                                        run.window_start, run.window_end))
    return out


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


def run_error(run: RunModel, summary: dict[str, Any]) -> dict[str, Any] | None:
    """The error a finished run fails with, from its auth error and its task rows; None: success."""
    error: dict[str, Any] | None = None
    if run.error and run.error.get("type") in AUTH_ERRORS:
        error = dict(run.error)
    elif summary["too_large"]:
        # Retrying cannot help: the same transaction fails every sync. Its own error (category
        # permanent in events.failures), naming the transactions, never counted as transient.
        named = "; ".join(summary["too_large"][:5])
        error = {"type": "ItemTooLarge",
                 "message": (f"{len(summary['too_large'])} tasks hold a transaction too large to "
                             f"store: {named}"),
                 "user_message": ("A record of this account is too large for binsync to store (" + named
                                  + "). Every other record of those periods is stored; syncing again will "
                                  "not fix it. Contact support with this run id so the record can be "
                                  "stored by hand or split.")}
    elif summary["incomplete"]:
        error = {"type": "SyncIncomplete",
                 "message": f"{len(summary['incomplete'])} tasks did not complete: "
                            + ", ".join(summary["incomplete"][:10]),
                 "user_message": "Part of the history could not be read; the next sync retries it."}
    return error


def finish_run(user_id: str, connection_id: str, run_id: str, *, client: Any = None) -> dict[str, Any]:
    run = RunModel.get(connection_id, run_id)
    summary = summarise(run)
    error = run_error(run, summary)
    totals: StoredLedger | None = None
    if error is None:
        # One pass over the stored items for the counts and the reconciliation, not two.
        try:
            totals = stored_ledger(user_id, run.binance_uid, run_id=run_id)
        except Exception as exc:  # counted apart below; reconciliation says why it failed
            log.warning("stored ledger could not be read: %s", type(exc).__name__)
    if totals is not None:
        apply_stored_counts(summary, totals.run_counts)
    else:
        count_stored(run, summary)
    finished = now_ms()

    def fit(name: str, value: Any) -> Any:  # a heavy account's summaries exceed an item: S3
        return documents.fit(value, user_id=user_id, connection_id=connection_id, name=name)

    base = [RunModel.counts.set(summary["counts"]), RunModel.records.set(sum(summary["counts"].values())),
            RunModel.coverage.set(fit("coverage", summary["coverage"])),
            RunModel.beyond_retention.set(fit("beyond_retention", summary["beyond_retention"])),
            RunModel.finished_at.set(finished),
            RunModel.near_duplicates.set(fit("near_duplicates", summary["near_duplicates"]))]
    if error:
        state = fit("completeness", record_coverage(run, summary))
        run.update(actions=[*base, RunModel.status.set("failed"), RunModel.error.set(error),
                            RunModel.tasks_failed.set(len(summary["incomplete"])),
                            RunModel.completeness.set(state)])
        connection = ConnectionModel.get(user_id, connection_id)
        actions = market_state_actions(run, connection, summary, succeeded=False)
        actions += known_symbols_action(connection, summary)
        connection.update(actions=[*actions, ConnectionModel.completeness.set(state)])
        return {"outcome": "failed", "error": error["type"], "cause": _cause(run, error), "run_id": run_id}

    connection = ConnectionModel.get(user_id, connection_id)
    try:
        client = client or binance_io.make_client(connection)
        totals = totals or stored_ledger(user_id, run.binance_uid)
        run.coverage, run.beyond_retention = summary["coverage"], summary["beyond_retention"]
        reconciliation = reconcile_connection(user_id, connection_id, run=run, client=client, ledger=totals)
    except Exception as exc:  # reconciliation informs, it never fails a sync
        log.warning("reconciliation failed: %s", type(exc).__name__)
        reconciliation = {"error": type(exc).__name__, "message": str(exc)[:300]}
    margin = margin_capital_flow_check(run, summary)
    if margin is not None:
        reconciliation = {**reconciliation, "margin_capital_flow": margin}
    state = fit("completeness", record_coverage(run, summary, reconciliation))
    run.update(actions=[*base, RunModel.status.set("succeeded"),
                        RunModel.reconciliation.set(fit("reconciliation", reconciliation)),
                        RunModel.completeness.set(state)])
    connection.update(actions=[ConnectionModel.last_success_at.set(finished),
                               ConnectionModel.completeness.set(state),
                               ConnectionModel.last_success_window_end.set(run.window_end),
                               ConnectionModel.consecutive_transient_failures.set(0),
                               *market_state_actions(run, connection, summary, succeeded=True,
                                                     stored_markets=totals and totals.trade_markets),
                               *known_symbols_action(connection, summary)])
    reset_transient_failures(user_id, connection_id)  # and the repeated-failure warning goes too
    return {"outcome": "succeeded", "error": None, "cause": None, "run_id": run_id,
            "records": int(run.records or 0), "gaps": summary["gaps"]}


def count_stored(run: RunModel, summary: dict[str, Any]) -> None:
    """The run's records per product from what it stored (items' `first_run`), not from the
    task rows and counters: a worker killed mid-page loses its counts, and its retry finds
    those items already stored (issue 17: 120 records reported, 154 stored)."""
    try:
        counts = stored_counts(run.user_id, run.binance_uid, run.run_id)
    except Exception as exc:  # the task rows' counts are then the best there is
        log.warning("stored records could not be counted: %s", type(exc).__name__)
        return
    apply_stored_counts(summary, counts)


def apply_stored_counts(summary: dict[str, Any], counts: dict[str, int]) -> None:
    """The summary's per-product records become those the run stored (`first_run`)."""
    summary["counts"] = {product: counts.get(product, 0) for product in {*summary["counts"], *counts}}
    for product, entry in summary["coverage"].items():
        if "records" in entry:
            entry["records"] = counts.get(product, 0)


def margin_capital_flow_check(run: RunModel, summary: dict[str, Any]) -> dict[str, Any] | None:
    """Capital flow against the margin ledger over the flow's horizon (sync/margin_check.py),
    when this run read the capital flow; informs, never fails a sync."""
    if "margin.capital_flow" not in ((summary["coverage"].get("margin") or {}).get("endpoints") or []):
        return None
    flow = ENDPOINTS["margin.capital_flow"]
    # The client starts a minute inside the horizon; a few more keep the edge out of the check.
    since = int(run.window_end) - int(flow.retention_ms or 0) + 5 * 60_000
    try:
        return check_stored(run.user_id, run.binance_uid, since)
    except Exception as exc:
        log.warning("margin capital-flow check failed: %s", type(exc).__name__)
        return {"error": type(exc).__name__}


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
    # The Plan writes the task rows: a run that has them failed later, in its Finish.
    planned = int(run.tasks_total or 0) > 0
    what = (f"the sync read its tasks but could not finish ({name}): its result is not assessed"
            if planned else f"the sync could not be planned ({name}): nothing was read")
    record = {"type": name, "message": message[:1000],
              "user_message": user_message or (
                  "The sync read the history but could not record its result; it will be retried."
                  if planned else "The sync could not be planned; it will be retried.")}
    nothing = completeness.assess([completeness.Gap(
        "*", "*", completeness.UNREAD, what, run.window_start, run.window_end)]).to_dict()
    run.update(actions=[RunModel.status.set("failed"), RunModel.finished_at.set(now_ms()),
                        RunModel.error.set(record), RunModel.completeness.set(nothing)])
    return {"outcome": "failed", "error": name, "cause": _cause(run, record), "run_id": run_id}
