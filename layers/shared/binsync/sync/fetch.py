"""Run one task (issue 5 item 5): fetch pages, normalise, store idempotently, checkpoint.

Order per page: write the page's transactions, then move the checkpoint past it. A crash between
the two re-fetches that page on the retry, and the writes are idempotent, so a retry or a
re-run never duplicates and never loses a record. A retryable error (rate limit, ban, 5xx,
clock skew) propagates to the state machine, which retries the task from its checkpoint.

Credential and permission errors are recorded on the run before propagating: the other tasks
of the run then stop at once (`auth_failed`) and Finish fails the execution with that error.
A removed market (-1121 Invalid symbol) is not a failure: the task records it as beyond the
API's reach, to be filled from the statement.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections import Counter
from typing import Any

from pynamodb.exceptions import UpdateError

from binsync.binance import pagination
from binsync.binance.catalogue import ENDPOINTS
from binsync.storage.models import ConnectionModel, RunModel, TaskModel, TransactionModel, account_key
from binsync.storage.writer import write_transactions
from binsync.sync import binance_io, export_quota, exports, markets
from binsync.sync.errors import AUTH_ERRORS, RETRYABLE_ERRORS, ConnectionGone
from binsync.sync.progress import add
from binsync.sync.task_notes import TaskWatch

log = logging.getLogger(__name__)

INVALID_SYMBOL = -1121
MAX_REJECT_SAMPLES = 5
NEAR_DUPLICATES_NOTED = 200  # pairs listed on a task's note (the count is exact)


def _normalise(endpoint: str, rows: list[Any], uid: str, context: dict[str, Any]) -> Any:
    from binsync.normalise import normalise

    return normalise(endpoint, rows, uid=uid, context=context)


def _context(task: TaskModel, connection: ConnectionModel | None = None) -> dict[str, Any]:
    context: dict[str, Any] = {"params": dict(task.params or {})}
    scope = ENDPOINTS[task.endpoint].extra.get("context_scope") if task.endpoint in ENDPOINTS else None
    if scope and connection is not None:  # stored at plan time (plan.remember_context_scopes)
        members = (connection.known_symbols or {}).get(str(scope))
        if members is not None:
            context[str(scope)] = list(members)
    if task.symbol:
        context["symbol"] = task.symbol
        market = markets.market_of(task.symbol)
        if market:
            context.update(base=market["base"], quote=market["quote"])
    return context


def _plan_time(run: RunModel) -> int:
    """Binance's time when the run was planned: the month the plan counted the export quota in."""
    return int(run.window_end or time.time() * 1000)


def auth_failed(run: RunModel) -> bool:
    return bool(run.error) and run.error.get("type") in AUTH_ERRORS


def record_run_error(run: RunModel, exc: BaseException) -> None:
    """First auth error wins; it names the failure the execution ends with."""
    error = {"type": type(exc).__name__, "message": str(exc),
             "user_message": getattr(exc, "user_message", str(exc)),
             "endpoint": getattr(exc, "endpoint", None), "code": getattr(exc, "code", None)}
    with contextlib.suppress(UpdateError):  # another task recorded it first
        run.update(actions=[RunModel.error.set(error)],  # never re-creates a deleted run
                   condition=RunModel.error.does_not_exist() & RunModel.run_id.exists())


# Many tasks of one run land on the same execution environment: the connection (ids, uid,
# base URL, secret name) and the run's auth state are read once per short period, not per task.
# Keys include the run, so nothing is reused across runs.
_CACHE_S = 15.0
_connections: dict[tuple[str, ...], tuple[float, ConnectionModel]] = {}
_runs: dict[tuple[str, ...], tuple[float, RunModel]] = {}


def _cached(cache: dict, key: tuple[str, ...], load: Any) -> Any:
    hit = cache.get(key)
    if hit is not None and time.monotonic() - hit[0] < _CACHE_S:
        return hit[1]
    value = load()
    cache[key] = (time.monotonic(), value)
    return value


def _require_connection(user_id: str, connection_id: str) -> None:
    """Raise ConnectionGone when the connection was deleted or is being deleted: checked before
    each write (a page's items or checkpoint, a task's row, a batch's rows and counters), so a
    worker still running after DELETE stores nothing more. A page with nothing to write (most
    one-market tasks: one empty page) is not checked: the batch checks once before its rows."""
    try:
        row = ConnectionModel.get(user_id, connection_id, attributes_to_get=["status"], consistent_read=True)
    except ConnectionModel.DoesNotExist:
        row = None
    if row is None or row.status == "deleting":
        raise ConnectionGone(f"connection {connection_id} was deleted during its sync")


def run_task(user_id: str, connection_id: str, run_id: str, task_id: str, *,
             client: Any = None, task: TaskModel | None = None,
             totals: Counter[str] | None = None,
             completed: list[TaskModel] | None = None) -> dict[str, Any]:
    """Run one task. `task`: its row when already read; `totals`: run counters to add later
    (the caller flushes them) instead of one run update per task; `completed`: rows of finished
    tasks, marked done here and saved later by the caller (`save_completed`), instead of one
    update per task."""
    task = task or TaskModel.get(run_id, task_id)
    if task.status == "done":
        return {"task_id": task_id, "status": "done", "records": int(task.records or 0)}
    run = _cached(_runs, (connection_id, run_id), lambda: RunModel.get(connection_id, run_id))
    if auth_failed(run):
        return {"task_id": task_id, "status": "skipped", "reason": run.error["type"]}
    connection = _cached(_connections, (run_id, user_id, connection_id),
                         lambda: ConnectionModel.get(user_id, connection_id))
    endpoint = ENDPOINTS[task.endpoint]
    client = client or binance_io.make_client(connection)
    stats_before = binance_io.client_stats(client)
    # Counted but not yet added to the task/run rows: flushed with the next checkpoint, so the
    # last page and the task's completion are one write each (most tasks have a single page).
    pending = {"records": 0, "requests": 0, "weight": 0}
    reported_requests = 0
    merge_errors = 0
    near: list[dict[str, Any]] = []  # statement events this task's API events match, minutes apart
    near_count = 0
    stored = 0
    rejected: list[str] = []
    rejected_count = 0
    note: dict[str, Any] | None = None
    watch = TaskWatch(endpoint)
    chain = _ChainEnd(endpoint, task.cursor)
    try:
        export_rejected: list[str] = []
        if endpoint.pagination == "export":  # futures history past the live horizon (exports.py)
            pages = exports.iter_export_pages(
                client, endpoint, start_ms=task.window_start, end_ms=task.window_end, cursor=task.cursor,
                rejected=export_rejected,
                spent=lambda: export_quota.spend(user_id, connection_id, endpoint, _plan_time(run)))
        else:
            pages = client.iter_pages(endpoint.name, start_ms=task.window_start, end_ms=task.window_end,
                                      symbol=task.symbol, params=dict(task.params or {}), cursor=task.cursor)
        context = _context(task, connection)
        # An export's rows are the live endpoint's rows: its normaliser gives the same ids.
        normaliser = str(endpoint.extra.get("export_of") or endpoint.name)
        for page in pages:
            result = _normalise(normaliser, list(page.rows), connection.binance_uid, context)
            if result.transactions or page.cursor is not None:  # this page writes
                _require_connection(user_id, connection_id)
            watch.page(page, result.transactions)
            chain.page(page.rows)
            written = write_transactions(result.transactions, user_id=user_id, connection_id=connection_id,
                                         run_id=run_id)
            errors, found = _merge_with_statement(run_id, user_id, connection.binance_uid,
                                                  result.transactions, written.merged_ids)
            merge_errors += errors
            near_count += len(found)
            near.extend(found[:max(0, NEAR_DUPLICATES_NOTED - len(near))])
            for index, field, reason in result.rejected:
                rejected_count += 1
                if len(rejected) < MAX_REJECT_SAMPLES:
                    rejected.append(f"row {index}: {field}: {reason}")
            stored += written.new
            pending["records"] += written.new
            pending["requests"] += int(page.request_count or 0)
            pending["weight"] += int(page.weight or 0)
            if page.cursor is not None:  # checkpoint: the rows up to here are stored
                _checkpoint(task, page.cursor, pending)
                add(connection_id, run_id, **pending)
                reported_requests += pending["requests"]
                pending = dict.fromkeys(pending, 0)
    except ConnectionGone:
        raise  # nothing more is written for a deleted connection, not even this task's row
    except Exception as exc:
        name = type(exc).__name__
        if name == "InvalidRequest" and getattr(exc, "code", None) == INVALID_SYMBOL and task.symbol:
            note = {"beyond_api_reach": True, "symbol": task.symbol, "code": INVALID_SYMBOL,
                    "reason": "market removed: Binance answers Invalid symbol; only in the statement"}
        elif endpoint.pagination == "export" and exports.is_quota_refusal(exc):
            # Not a failure of the sync: the window stays unread in the ledger, named as a gap,
            # and a later run (next month's quota) or the statement fills it. The quota is spent
            # (by the website too): no later run of this month asks again.
            export_quota.exhaust(user_id, connection_id, endpoint, _plan_time(run))
            note = {"incomplete": exports.quota_note(endpoint, task.window_start, task.window_end)}
        else:
            if name in AUTH_ERRORS:
                record_run_error(run, exc)
                _runs.pop((connection_id, run_id), None)
            task.update(actions=[TaskModel.status.set("failed"), TaskModel.attempts.add(1),
                                 TaskModel.error.set({"type": name, "message": str(exc)[:500]})])
            _report(connection_id, run_id, totals,
                    _unreported(client, stats_before, pending, reported_requests, exc))
            raise
    for line in export_rejected:  # lines of an export file that could not be read
        rejected_count += 1
        if len(rejected) < MAX_REJECT_SAMPLES:
            rejected.append(line)
    if rejected_count:
        note = {**(note or {}), "rejected": rejected_count, "samples": rejected}
    note = watch.note(note)
    if merge_errors:
        note = {**(note or {}), "statement_merge_errors": merge_errors}
    if near_count:  # Finish lists them in the run's report (finish.near_duplicates)
        note = {**(note or {}), "near_duplicates": {"count": near_count, "listed": near}}
    if completed is None:
        _require_connection(user_id, connection_id)  # the task's row is a write too
        actions = [TaskModel.status.set("done"), TaskModel.attempts.add(1), TaskModel.cursor.set(None),
                   TaskModel.records.add(pending["records"]), TaskModel.requests.add(pending["requests"]),
                   TaskModel.weight.add(pending["weight"])]
        actions.append(TaskModel.error.set(note) if note else TaskModel.error.remove())
        if chain.next_id is not None:
            actions.append(TaskModel.chain_next.set(chain.next_id))
        task.update(actions=actions)
    else:
        mark_done(task, pending, note)
        if chain.next_id is not None:
            task.chain_next = chain.next_id
        completed.append(task)
    binance_io.remember_offset(client)
    _report(connection_id, run_id, totals,
            {"tasks_done": 1, **_unreported(client, stats_before, pending, reported_requests, None)})
    return {"task_id": task_id, "status": "done", "records": stored}


class _ChainEnd:
    """The fromId the next walk of an id chain (myTrades of a market) starts from: past the
    highest id this walk read, or where it was resumed when it read nothing. Recorded on the
    finished task; the ledger keeps it for the next incremental plan (planner._chain_resume)."""

    def __init__(self, endpoint: Any, cursor: Any) -> None:
        self.endpoint = endpoint
        self.active = endpoint.chain_resumable
        chained = isinstance(cursor, dict) and cursor.get("mode") == "chain"
        resumed = cursor.get("from_id") if chained else None
        self.next_id: int | None = int(resumed) if self.active and resumed is not None else None

    def page(self, rows: Any) -> None:
        if not self.active or not rows:
            return
        after = pagination.chain_next_id(self.endpoint, list(rows))
        if after is not None and (self.next_id is None or after > self.next_id):
            self.next_id = after


def mark_done(task: TaskModel, pending: dict[str, int], note: dict[str, Any] | None) -> None:
    """The row of a finished task, as the update of an unbatched run_task would leave it."""
    task.status = "done"
    task.attempts = int(task.attempts or 0) + 1
    task.cursor = None
    task.records = int(task.records or 0) + pending["records"]
    task.requests = int(task.requests or 0) + pending["requests"]
    task.weight = int(task.weight or 0) + pending["weight"]
    task.error = note


def save_completed(tasks: list[TaskModel]) -> None:
    """One BatchWriteItem per 25 finished tasks, not an UpdateItem each. The rows are whole:
    this batch read them and is their only writer until it ends (a retried item starts after
    this one has stopped)."""
    if not tasks:
        return
    with TaskModel.batch_write() as batch:
        for task in tasks:
            batch.save(task)


def _report(connection_id: str, run_id: str, totals: Counter[str] | None, deltas: dict[str, int]) -> None:
    if totals is None:
        add(connection_id, run_id, **deltas)
    else:
        totals.update(deltas)


def run_batch(user_id: str, connection_id: str, run_id: str, task_ids: list[str], *,
              client: Any = None, deadline: float | None = None) -> dict[str, Any]:
    """Run one Map item: its tasks in order, on one client (one egress IP, one rate budget).

    A retryable error (rate limit, ban, 5xx, clock skew) or an auth error stops the batch and
    propagates: the state machine retries the item, whose done tasks return at once, or ends the
    sync. Any other error fails only its task (the row says why): the rest of the batch still
    runs, then the first such error propagates so the item is reported as given up; a retryable
    error after such a failure propagates that failure, not itself (issue 17: the retry re-ran the
    failed task, which then succeeded, and the run was reported complete).
    `deadline` (time.time()): a pacing wait past it raises RateLimited, so a long item (a
    UID-bucket endpoint's whole history) hands over to the state machine's retry before the
    Lambda timeout instead of being killed mid-page.
    """
    rows = {t.task_id: t for t in TaskModel.batch_get([(run_id, task_id) for task_id in task_ids])}
    pending = [task_id for task_id in task_ids if task_id not in rows or rows[task_id].status != "done"]
    if client is None and pending:
        connection = _cached(_connections, (run_id, user_id, connection_id),
                             lambda: ConnectionModel.get(user_id, connection_id))
        client = binance_io.make_client(connection)
    if client is not None and deadline is not None:
        client.deadline = deadline
    outcomes: list[dict[str, Any]] = []
    first_failure: Exception | None = None
    totals: Counter[str] = Counter()  # the run's counters move once per batch
    completed: list[TaskModel] = []  # and finished tasks are saved together
    gone = False  # the connection was deleted: rows and counters of the batch are not written
    try:
        for task_id in task_ids:
            try:
                outcomes.append(run_task(user_id, connection_id, run_id, task_id, client=client,
                                         task=rows.get(task_id), totals=totals, completed=completed))
            except ConnectionGone:
                gone = True
                raise
            except Exception as exc:
                if type(exc).__name__ in RETRYABLE_ERRORS + AUTH_ERRORS:
                    if first_failure is not None and type(exc).__name__ in RETRYABLE_ERRORS:
                        # A retry of the item would run the task that already failed for good
                        # again (and might hide its failure): the item gives up with it instead.
                        raise first_failure from exc
                    raise
                log.warning("task %s failed: %s", task_id, type(exc).__name__)
                first_failure = first_failure or exc
                outcomes.append({"task_id": task_id, "status": "failed", "error": type(exc).__name__})
    finally:
        if not gone and completed:
            # Tasks that had nothing to write checked nothing: their rows are written here.
            # Gone: raised before any of the batch's rows and counters are written.
            _require_connection(user_id, connection_id)
        if gone:
            completed.clear()
            totals.clear()
        try:
            save_completed(completed)
        except Exception:
            # Those tasks run again on the retry (their writes are idempotent): count them then.
            totals["tasks_done"] -= len(completed)
            raise
        finally:
            add(connection_id, run_id, **{k: v for k, v in totals.items() if v})
    if first_failure is not None:
        raise first_failure
    return {"tasks": len(outcomes), "records": sum(int(o.get("records") or 0) for o in outcomes),
            "statuses": dict(Counter(o["status"] for o in outcomes))}


# Whether the account has items from files (statement, Waltio) at all: while it has none, pages
# need no merge. "None yet" is re-checked every few seconds (a statement may be uploaded during
# the sync; the upload itself merges what the sync stored before it); "some" is final.
_FILES_RECHECK_S = 5.0
_has_files: dict[tuple[str, str, str], tuple[float, bool]] = {}


_has_files_lock = threading.Lock()


def _account_has_files(run_id: str, user_id: str, binance_uid: str) -> bool:
    key = (run_id, user_id, binance_uid)
    hit = _has_files.get(key)
    if hit is not None and (hit[1] or time.monotonic() - hit[0] < _FILES_RECHECK_S):
        return hit[1]
    # One refresh at a time (workers sharing this environment's module reuse its answer).
    with _has_files_lock:
        hit = _has_files.get(key)
        if hit is not None and (hit[1] or time.monotonic() - hit[0] < _FILES_RECHECK_S):
            return hit[1]
        found = any(True for _ in TransactionModel.by_file.query(account_key(user_id, binance_uid), limit=1,
                                                                 attributes_to_get=["sk"]))
        _has_files[key] = (time.monotonic(), found)
    return found


def _merge_with_statement(run_id: str, user_id: str, binance_uid: str, transactions: list[Any],
                          merged_ids: set[str] | None = None) -> tuple[int, list[dict[str, Any]]]:
    """Merge statement items that are the same events as this page (binsync.statement.merge),
    and flag those equal in amounts but minutes away (statement.near_duplicates_api): one
    `by_file` Query, only for an account that has file items. Returns (errors, near pairs).

    A failure here loses nothing (both sides stay stored; the next upload or resync merges
    them), so it is counted on the task rather than failing it.
    """
    if not transactions or not _account_has_files(run_id, user_id, binance_uid):
        return 0, []
    try:
        from binsync.statement.near_duplicates_api import reconcile_api_page

        _, near = reconcile_api_page(user_id, binance_uid, transactions, merged_api_ids=merged_ids)
    except Exception:
        log.exception("statement merge failed; both sources kept until the next reconcile")
        return 1, []
    return 0, near


def _checkpoint(task: TaskModel, cursor: Any, pending: dict[str, int]) -> None:
    task.update(actions=[TaskModel.cursor.set(cursor), TaskModel.records.add(pending["records"]),
                         TaskModel.requests.add(pending["requests"]),
                         TaskModel.weight.add(pending["weight"])])


def _unreported(client: Any, before: dict[str, int], pending: dict[str, int], reported_requests: int,
                exc: BaseException | None) -> dict[str, int]:
    """Run counters still to add: pending page counts, plus what the client saw that no page
    reported (failed and retried requests, 429s, 418s)."""
    stats = binance_io.client_stats(client)
    out = dict(pending)
    for key in ("http_429", "http_418"):
        out[key] = max(0, stats.get(key, 0) - before.get(key, 0))
    # Weight is counted per page (the endpoint's weight per request); the client's per-bucket
    # weights would count a request on two buckets twice. Requests: the client's count wins.
    client_requests = stats.get("requests", 0) - before.get("requests", 0)
    out["requests"] = max(out["requests"], client_requests - reported_requests)
    name = type(exc).__name__ if exc else None
    if name == "RateLimited" and out["http_429"] == 0 and not getattr(exc, "deadline", False):
        out["http_429"] = 1
    # No such floor for IpBanned: the client refuses locally while a ban it learned lasts (no
    # request sent), and counting each refusal as a 418 reported 89 where Binance answered 2.
    return out
