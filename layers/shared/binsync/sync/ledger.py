"""The coverage ledger of a connection (issue 15 item 1): what is proven read, per endpoint scope.

A scope is one endpoint, one parameter variant and one market (`scope_key`, the task id without
its window start). Its item (`CoverageModel`) holds the inclusive [start, end] intervals proven
read, merged (`binsync.sync.intervals`), so an item holds one interval per hole however many
syncs extended it.

- A task proves its interval read only when it is `done` and names no reason to doubt it: a task
  that ended with `incomplete` reasons (e.g. more than `limit` records in one millisecond), or
  whose market Binance no longer serves (`beyond_api_reach`), proves nothing.
- The interval a done task proves: its window; a task without a window start (a fromId chain
  walked from the first record, or an endpoint without time parameters) proves everything from
  Binance's launch up to its window end (or the run's).
- `since_last` is the user's statement that the files already on the account cover everything up
  to its newest transaction (Waltio's meaning). It is recorded as one account-wide interval
  (`USER_FILES_SCOPE`, source `user_files`) and counts as covered for every scope; it is written
  only when the user asks for `since_last` (binsync.sync.modes).
- A statement upload covers (product, period): `record_statement` keeps one item per product
  (`statement|<product>`), which explains the periods only a statement can fill.

Every sync plans, for each scope, what `intervals.to_read` says is missing (planner).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from binsync.storage.models import CoverageModel
from binsync.sync import intervals
from binsync.sync.intervals import Interval

BINANCE_LAUNCH_MS = 1_500_001_200_000  # 2017-07-14T03:00:00Z (rotki's BINANCE_LAUNCH_TS)
USER_FILES_SCOPE = "files|user"
STATEMENT_PREFIX = "statement|"
MAX_ID_PART = 60  # as binsync.sync.tasks: a long variant is hashed


def variant_key(params: Mapping[str, Any] | None) -> str:
    variant = ",".join(f"{k}={v}" for k, v in sorted((params or {}).items()))
    if len(variant) > MAX_ID_PART:
        variant = hashlib.sha256(variant.encode()).hexdigest()[:16]
    return variant


def scope_key(endpoint: str, params: Mapping[str, Any] | None = None, symbol: str | None = None) -> str:
    """`<endpoint>|<variant>|<symbol>`: a task id without its window start."""
    return f"{endpoint}|{variant_key(params)}|{symbol or ''}"


@dataclass
class Ledger:
    connection_id: str
    api: dict[str, list[Interval]] = field(default_factory=dict)  # scope -> proven read
    user_files: list[Interval] = field(default_factory=list)  # since_last declarations
    statements: dict[str, list[Interval]] = field(default_factory=dict)  # product -> uploaded periods
    statement_only: dict[str, list[Interval]] = field(default_factory=dict)  # scope -> API cannot serve
    chain_next: dict[str, int] = field(default_factory=dict)  # id-chain scope -> next walk's fromId
    items: dict[str, CoverageModel] = field(default_factory=dict, repr=False)

    def covered(self, scope: str) -> list[Interval]:
        """What a sync need not read again: proven read, or declared covered by the user's files."""
        return intervals.merge([*self.api.get(scope, []), *self.user_files])

    def coverage_map(self) -> dict[str, list[Interval]]:
        """scope -> covered, with `*` for a scope the ledger does not name (the user's files)."""
        out = {scope: self.covered(scope) for scope in self.api}
        out["*"] = list(self.user_files)
        return out

    def known(self, scope: str) -> bool:
        """Whether a sync ever settled this scope: proven read, or found beyond the API's reach."""
        return bool(self.covered(scope) or self.statement_only.get(scope))

    @property
    def has_reads(self) -> bool:
        return any(self.api.values())


def load(connection_id: str) -> Ledger:
    ledger = Ledger(connection_id)
    for item in CoverageModel.query(connection_id):
        spans = intervals.merge(item.intervals or [])
        ledger.items[item.scope] = item
        if item.scope == USER_FILES_SCOPE:
            ledger.user_files = spans
        elif item.scope.startswith(STATEMENT_PREFIX):
            ledger.statements[item.scope[len(STATEMENT_PREFIX):]] = spans
        else:
            ledger.api[item.scope] = spans
            if item.statement_only:
                ledger.statement_only[item.scope] = intervals.merge(item.statement_only)
            if item.chain_next is not None:
                ledger.chain_next[item.scope] = int(item.chain_next)
    return ledger


def _save(ledger: Ledger, scope: str, spans: list[Interval], *, run_id: str, source: str,
          endpoint: str | None = None, symbol: str | None = None, params: Mapping[str, Any] | None = None,
          batch: Any = None) -> None:
    item = ledger.items.get(scope) or CoverageModel(ledger.connection_id, scope, endpoint=endpoint,
                                                    symbol=symbol, params=dict(params or {}), source=source)
    item.intervals = [list(span) for span in spans]
    if scope in ledger.statement_only:
        item.statement_only = [list(span) for span in ledger.statement_only[scope]]
    if scope in ledger.chain_next:
        item.chain_next = ledger.chain_next[scope]
    item.updated_at = int(time.time() * 1000)
    item.run_id = run_id
    ledger.items[scope] = item
    if batch is not None:
        batch.save(item)
    else:
        item.save()


def declare_user_files(ledger: Ledger, end_ms: int, *, run_id: str) -> None:
    """The user said (sync mode `since_last`) the account's files cover everything up to end_ms."""
    ledger.user_files = intervals.add(ledger.user_files, (BINANCE_LAUNCH_MS, int(end_ms)))
    _save(ledger, USER_FILES_SCOPE, ledger.user_files, run_id=run_id, source="user_files")


def record_statement(connection_id: str, product: str, start_ms: int, end_ms: int, *, upload_id: str) -> None:
    """A statement upload covers (account, product, period)."""
    record_statements(connection_id, [product], start_ms, end_ms, upload_id=upload_id)


def record_statements(connection_id: str, products: Iterable[str], start_ms: int, end_ms: int, *,
                      upload_id: str) -> None:
    """A statement upload covers (account, product, period) for each product: the ledger (every
    scope of the connection, thousands on a large account) is read once, not once per product."""
    ledger = load(connection_id)
    for product in products:
        spans = intervals.add(ledger.statements.get(product, []), (int(start_ms), int(end_ms)))
        ledger.statements[product] = spans
        _save(ledger, STATEMENT_PREFIX + product, spans, run_id=upload_id, source="statement")


def unread_reason(task: Any) -> str | None:
    """Why a task's interval is not proven read, or None when it is."""
    note = task.error or {}
    incomplete = getattr(task, "incomplete", None) or note.get("incomplete")
    if task.status != "done":
        if note.get("type"):
            return f"the task failed: {note['type']}: {str(note.get('message') or '')[:200]}".rstrip(": ")
        return "not read: the sync stopped before this task finished"
    if incomplete:
        reasons = incomplete if isinstance(incomplete, list) else [incomplete]
        words = [str(r.get("reason") or r.get("cause")) if isinstance(r, dict) else str(r) for r in reasons]
        return "read incompletely: " + "; ".join(words)[:300]
    if note.get("beyond_api_reach"):
        return str(note.get("reason") or "beyond the API's reach")
    return None


def proven_interval(task: Any, run_window_end: int | None) -> Interval | None:
    """The interval a task proves read (None when it proves nothing, see `unread_reason`)."""
    if unread_reason(task) is not None:
        return None
    end = task.window_end if task.window_end is not None else run_window_end
    if end is None:
        return None
    start = task.window_start if task.window_start is not None else BINANCE_LAUNCH_MS
    return int(start), int(end)


def record_tasks(ledger: Ledger, tasks: Iterable[Any], *, run_id: str,
                 run_window_end: int | None) -> list[str]:
    """Add every task's proven interval to its scope; one batch write of the changed items.

    Returns the scopes that changed. Failed runs record too: what a failed run read stays read.
    """
    grown: dict[str, tuple[list[Interval], Any]] = {}
    unreachable: set[str] = set()
    moved: set[str] = set()  # id chains whose resume point moved
    for task in tasks:
        scope = scope_key(task.endpoint, task.params, task.symbol)
        span = proven_interval(task, run_window_end)
        if span is None:
            if task.status == "done" and (task.error or {}).get("beyond_api_reach") and run_window_end:
                # e.g. a removed market: kept as "statement only", not planned again until the
                # next walk of every market.
                before = ledger.statement_only.get(scope, [])
                span = (int(task.window_start or BINANCE_LAUNCH_MS), int(run_window_end))
                after = intervals.add(before, span)
                if after != before:
                    ledger.statement_only[scope] = after
                    unreachable.add(scope)
                    grown.setdefault(scope, (ledger.api.get(scope, []), task))
            continue
        before = grown[scope][0] if scope in grown else ledger.api.get(scope, [])
        grown[scope] = (intervals.add(before, span), task)
        resume = getattr(task, "chain_next", None)
        if resume is not None and int(resume) > ledger.chain_next.get(scope, -1):
            ledger.chain_next[scope] = int(resume)  # the walk read every record below it
            moved.add(scope)
    changed = [scope for scope, (spans, _) in grown.items()
               if spans != ledger.api.get(scope) or scope in unreachable or scope in moved]
    if not changed:
        return []
    with CoverageModel.batch_write() as batch:
        for scope in changed:
            spans, task = grown[scope]
            ledger.api[scope] = spans
            _save(ledger, scope, spans, run_id=run_id, source="api", endpoint=task.endpoint,
                  symbol=task.symbol, params=task.params, batch=batch)
    return changed
