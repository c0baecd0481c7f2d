"""The weekly resync: one incremental sync per active connection and ISO week, by hourly slot.

Binance history expires (futures income after 3 months, P2P after 6, dust after 100 records),
so every active connection is resynced weekly. Each connection owns one hour of the week
(events/slots.py, kept on the item and indexed by `by_resync_slot`); the schedule fires every
hour and `run_resync` reads only that hour's slot through the index, in pages, so 100,000
connections are ~600 starts an hour, never a scan of all of them. Inside the hour each start
waits a deterministic offset (hash of the connection id, stable from week to week) of up to
`spread_seconds`, so a slot does not hit Binance and Lambda at the same instant.

Exactly once per ISO week: before starting, the connection is claimed for the week
(`resync_tick` := this scheduled hour, conditioned on no other hour of the same week holding it),
and the start's idempotency key `resync-<connection>-<scheduled hour>` names the execution,
which Step Functions refuses to start twice. A redelivered or retried tick finds its own claim
and gets the first run back; another hour of the same week finds the claim and starts nothing.

Connections written before slots existed have no `resync_slot` and are not in the index: each
tick also scans one of 168 segments of the table for them (a full pass a week), gives them their
slot, and starts those whose slot is already due this week, so none misses the week of the change.
Disabled connections are read but never started; a connection already syncing is skipped and
reported.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pynamodb.exceptions import UpdateError

from binsync.events import slots
from binsync.storage.models import ConnectionModel

SPREAD_ENV = "RESYNC_SPREAD_SECONDS"
DEFAULT_SPREAD_SECONDS = 3600
MODE = "incremental"
TRIGGER = "schedule"
_PLACEHOLDER = "<aws.scheduler."


def spread_seconds() -> int:
    try:
        return max(0, int(os.environ.get(SPREAD_ENV, str(DEFAULT_SPREAD_SECONDS))))
    except ValueError:
        return DEFAULT_SPREAD_SECONDS


@dataclass(frozen=True)
class ScheduleTick:
    scheduled_time: str  # canonical UTC ISO-8601, second precision: 2026-11-23T02:00:00Z
    execution_id: str | None = None
    attempt: int | None = None


def parse_time(value: str, field_name: str) -> datetime:
    """ISO-8601 with a timezone (Scheduler sends `2022-03-22T18:59:43Z`)."""
    text = value.strip()
    if text.startswith(_PLACEHOLDER):
        raise ValueError(f"{field_name}: the placeholder {text!r} was not substituted "
                         "(the event was not sent by Scheduler)")
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{field_name}: {value!r} is not an ISO-8601 time") from None
    if parsed.tzinfo is None:
        raise ValueError(f"{field_name}: {value!r} has no timezone")
    return parsed.astimezone(UTC)


def canonical(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_schedule_event(event: Any) -> ScheduleTick:
    """The schedule's target payload.

    Two shapes: the template's Input (`{"scheduled_time": "<aws.scheduler.scheduled-time>", ...}`,
    substituted by Scheduler), or Scheduler's default envelope when a schedule has no Input
    (`{"source": "aws.scheduler", "detail-type": "Scheduled Event", "time": ..., "detail": "{}"}`);
    there `time` is taken at minute precision, Scheduler's own precision, so retries of one
    invocation agree on it.
    """
    if not isinstance(event, dict):
        raise ValueError("schedule event is not a JSON object")
    if event.get("scheduled_time") is not None:
        raw = event["scheduled_time"]
        if not isinstance(raw, str):
            raise ValueError("scheduled_time: must be a string")
        moment = parse_time(raw, "scheduled_time")
    elif event.get("source") == "aws.scheduler" and isinstance(event.get("time"), str):
        moment = parse_time(event["time"], "time").replace(second=0)
    else:
        raise ValueError("scheduled_time: missing (neither the schedule's Input nor a Scheduler envelope)")
    attempt = str(event.get("attempt", ""))
    attempt_no = int(attempt) if attempt.isdigit() else None
    execution_id = event.get("execution_id") or event.get("id")
    if not isinstance(execution_id, str) or execution_id.startswith(_PLACEHOLDER):
        execution_id = None
    return ScheduleTick(canonical(moment), execution_id, attempt_no)


def idempotency_key(connection_id: str, scheduled_time: str) -> str:
    """`resync-<connection>-<YYYYMMDDTHHMMSSZ>`: valid as an execution name (no ':')."""
    compact = scheduled_time.replace("-", "").replace(":", "")
    return f"resync-{connection_id}-{compact}"


def start_delay_seconds(connection_id: str, spread: int) -> int:
    """Deterministic offset in [0, spread): the same connection starts at the same point of the
    window every week, and redeliveries agree."""
    if spread <= 0:
        return 0
    digest = hashlib.sha256(connection_id.encode()).digest()
    return int.from_bytes(digest[:8], "big") % spread


# Items per index query / scan page (Limit; the code follows LastEvaluatedKey). Read at call time,
# so the load test can make a 10,000-connection week page several times per slot.
PAGE_SIZE = 100


def slot_connections(slot: int, page_size: int | None = None,
                     report: ResyncReport | None = None) -> Iterator[ConnectionModel]:
    """The active connections of one slot, through the index (keys, status and claim only),
    page by page; `report.index_pages` counts the pages read."""
    results = ConnectionModel.by_resync_slot.query(
        slot, filter_condition=ConnectionModel.status == "active", page_size=page_size or PAGE_SIZE)
    for page in results.page_iter:
        if report is not None:
            report.index_pages += 1
        for raw in page.get("Items", ()):
            yield ConnectionModel.from_raw_data(raw)


def unslotted_connections(slot: int, page_size: int | None = None) -> Iterator[ConnectionModel]:
    """Backfill: the items of scan segment `slot` (of 168) written before slots existed.

    Each gets its slot; the active ones whose slot is due by now this week are yielded first and
    given their slot only when the caller comes back for the next one, so a tick that stops
    half-way (or crashes) finds them again on its retry instead of losing their week.
    """
    unslotted = ConnectionModel.resync_slot.does_not_exist()
    for conn in ConnectionModel.scan(unslotted, segment=slot, total_segments=slots.SLOTS_PER_WEEK,
                                     page_size=page_size or PAGE_SIZE):
        own = slots.slot_of(conn.connection_id)
        if conn.status == "active" and own <= slot:
            yield conn
        try:
            conn.update(actions=[ConnectionModel.resync_slot.set(own)],
                        condition=ConnectionModel.connection_id.exists())
        except UpdateError:  # deleted since the scan
            continue


def due_connections(tick: ScheduleTick, page_size: int | None = None,
                    report: ResyncReport | None = None) -> Iterator[ConnectionModel]:
    """This hour's connections: the backfilled ones first, then the slot's (each once)."""
    slot = slots.slot_at(tick_time(tick))
    seen: set[str] = set()
    for source in (unslotted_connections(slot, page_size), slot_connections(slot, page_size, report)):
        for conn in source:
            if conn.connection_id not in seen:  # a backfilled one may be in the index already
                seen.add(conn.connection_id)
                yield conn


def tick_time(tick: ScheduleTick) -> datetime:
    return parse_time(tick.scheduled_time, "scheduled_time")


def claimed_by_other_hour(conn: ConnectionModel, tick: ScheduleTick) -> bool:
    """Whether another scheduled hour of this ISO week holds the connection's claim."""
    claim = getattr(conn, "resync_tick", None)
    if not claim or claim == tick.scheduled_time:
        return False
    return claim >= canonical(slots.week_start(tick_time(tick)))


def claim_week(conn: ConnectionModel, tick: ScheduleTick) -> ConnectionModel | None:
    """Claim this week's resync for this hour: the whole connection as the claim left it (the
    update's ALL_NEW answer, as current as a consistent read, so starting needs no GetItem), or
    None when another hour of the week holds it (or the connection is gone). The same hour may
    claim again: its retries go on."""
    week_start = canonical(slots.week_start(tick_time(tick)))
    free = (ConnectionModel.resync_tick.does_not_exist() | (ConnectionModel.resync_tick < week_start)
            | (ConnectionModel.resync_tick == tick.scheduled_time))
    claimed = ConnectionModel(conn.user_id, conn.connection_id)
    try:
        claimed.update(actions=[ConnectionModel.resync_tick.set(tick.scheduled_time)],
                       condition=ConnectionModel.connection_id.exists() & free)
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return None
        raise
    return claimed


@dataclass
class ResyncReport:
    scheduled_time: str
    spread_seconds: int
    slot: int | None = None  # hour of the week read (None: connections given by the caller)
    week: str = ""
    started: list[dict[str, Any]] = field(default_factory=list)  # {connection_id, run_id, delay}
    # this week already: an earlier delivery of this hour, or another hour's claim
    already_started: list[str] = field(default_factory=list)
    busy: list[dict[str, str]] = field(default_factory=list)  # a sync was already running
    not_syncable: list[dict[str, str]] = field(default_factory=list)  # disabled/deleted meanwhile
    errors: list[dict[str, str]] = field(default_factory=list)  # unexpected: retried by redelivery
    deferred: bool = False  # stopped before the end for lack of time: retried by redelivery
    index_pages: int = 0  # by_resync_slot pages read

    @property
    def incomplete(self) -> bool:
        return bool(self.errors) or self.deferred

    def as_dict(self) -> dict[str, Any]:
        return {
            "scheduled_time": self.scheduled_time,
            "slot": self.slot,
            "week": self.week,
            "spread_seconds": self.spread_seconds,
            "started": self.started,
            "already_started": self.already_started,
            "busy": self.busy,
            "not_syncable": self.not_syncable,
            "errors": self.errors,
            "deferred": self.deferred,
            "index_pages": self.index_pages,
        }


class ResyncIncomplete(Exception):
    """Some connections could not be started (an unexpected error, or no time left). Raised after
    every other connection was handled, so the schedule's retry (idempotent) covers the rest."""

    def __init__(self, report: ResyncReport):
        ids = ", ".join(e["connection_id"] for e in report.errors)
        more = "; stopped for lack of time, the rest follow on retry" if report.deferred else ""
        super().__init__(f"{len(report.errors)} connection(s) not started: {ids or '-'}{more}")
        self.report = report


StartSync = Callable[..., Any]


def _default_start() -> StartSync:
    from binsync.sync.start import start_sync  # imported late: the sync package is heavier

    return start_sync


# Stop starting syncs when the invocation has less than this left; the retry carries on.
TIME_RESERVE_MS = 15_000


def run_resync(tick: ScheduleTick, *, spread: int | None = None, start: StartSync | None = None,
               connections: Iterable[ConnectionModel] | None = None,
               time_left_ms: Callable[[], int] | None = None) -> ResyncReport:
    """Start this week's incremental sync of the connections of the tick's slot (or of
    `connections`, when given).

    With `time_left_ms` (the Lambda context's clock), it stops before the invocation times out and
    sets `deferred`: the caller raises, the schedule's retry starts over, and connections already
    started answer from their claim and idempotency key, so every retry gets further.
    """
    from binsync.sync.errors import ConnectionNotSyncable, SyncAlreadyRunning

    spread = spread_seconds() if spread is None else spread
    start = start or _default_start()
    moment = tick_time(tick)
    report = ResyncReport(tick.scheduled_time, spread, week=slots.iso_week(moment))
    if connections is None:
        report.slot = slots.slot_at(moment)
        connections = due_connections(tick, report=report)
    for conn in connections:
        if time_left_ms is not None and time_left_ms() < TIME_RESERVE_MS:
            report.deferred = True
            break
        claimed = None if claimed_by_other_hour(conn, tick) else claim_week(conn, tick)
        if claimed is None:
            report.already_started.append(conn.connection_id)
            continue
        key = idempotency_key(conn.connection_id, tick.scheduled_time)
        delay = start_delay_seconds(conn.connection_id, spread)
        before_ms = _now_ms()
        try:
            run = start(conn.user_id, conn.connection_id, MODE, TRIGGER,
                        scheduled_time=tick.scheduled_time, idempotency_key=key,
                        start_delay_seconds=delay, connection=claimed,
                        # Claimed before by this very hour: an earlier delivery may have made
                        # the run. Otherwise no run of this key can exist (it follows the claim).
                        first_delivery=getattr(conn, "resync_tick", None) != tick.scheduled_time)
        except SyncAlreadyRunning as exc:  # another sync (API, revalidate) is under way
            report.busy.append({"connection_id": conn.connection_id, "run_id": exc.run_id})
            continue
        except ConnectionNotSyncable as exc:  # disabled or deleted since the read
            report.not_syncable.append({"connection_id": conn.connection_id, "reason": exc.reason})
            continue
        except Exception as exc:  # one bad connection must not stop the others
            report.errors.append({"connection_id": conn.connection_id, "error": type(exc).__name__,
                                  "message": str(exc)[:500]})
            continue
        # start_sync returns the existing run for a known idempotency key: a run created before
        # this call was started by an earlier delivery of the same scheduled time.
        if int(getattr(run, "started_at", before_ms) or before_ms) < before_ms:
            report.already_started.append(conn.connection_id)
        else:
            report.started.append({"connection_id": conn.connection_id,
                                   "run_id": getattr(run, "run_id", None), "delay": delay})
    return report


def _now_ms() -> int:
    return int(time.time() * 1000)

