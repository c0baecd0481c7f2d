"""Disable-on-error: what a failed sync execution means for its connection.

A sync execution that ends FAILED, TIMED_OUT or ABORTED reaches `handle_failure` (through the
EventBridge rule and functions/on_sync_failed). The failure is classified:

- credentials (error CredentialsInvalid: key deleted, secret wrong) and permissions (error
  PermissionMissing: read permission removed, IP restriction added) disable the connection with
  a reason the user can act on, so binsync stops hammering a key that cannot work;
- everything else (rate limits, Binance 5xx, timeouts, Lambda errors, bugs) is *transient*: the
  key is not at fault, so the connection stays active; the run of consecutive such failures is
  counted on the connection and, from `warning_threshold()` on, shown as a warning;
- permanent errors (ItemTooLarge: a transaction too large to store) recur at every sync, so
  retrying is pointless: recorded with what to do, never counted as transient, never disabling;
- ABORTED is deliberate (a user or a deletion stopped it): recorded, never counted.

Redelivery safety (EventBridge is at-least-once): every write sets values derived only from the
execution (its stop time, its error) and from the runs table, never "now" or "+1". The transient
counter is recomputed from the connection's runs (newest first, up to the last success), so the
same event twice, or two events out of order, give the same result. A failure that ended before
the connection's last status change (the user already revalidated) never disables it again.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from pynamodb.exceptions import DoesNotExist, UpdateError

from binsync.storage.models import ConnectionModel, RunModel

CREDENTIALS = "credentials"
PERMISSIONS = "permissions"
TRANSIENT = "transient"
ABORTED = "aborted"
PERMANENT = "permanent"
DISABLING = frozenset({CREDENTIALS, PERMISSIONS})

# Error names raised by the sync (binsync.binance.errors, statemachine/sync.asl.json).
_DISABLING_ERRORS = {"CredentialsInvalid": CREDENTIALS, "PermissionMissing": PERMISSIONS}
# Errors that the same data raises again at every sync (binsync.storage.large_items).
_PERMANENT_ERRORS = {"ItemTooLarge": "a record too large to store"}

# Prefix of the connection warning for repeated transient failures, so it can be replaced or
# removed without touching the registration warnings kept in the same list.
TRANSIENT_WARNING_PREFIX = "Repeated sync failures:"


def warning_threshold() -> int:
    """Consecutive transient failures from which the connection shows a warning."""
    try:
        return max(1, int(os.environ.get("TRANSIENT_FAILURE_WARNING_AFTER", "3")))
    except ValueError:
        return 3


# ------------------------------------------------------------------ the execution, as facts


@dataclass(frozen=True)
class FailedExecution:
    """What on_sync_failed knows of one ended execution (from the event and DescribeExecution)."""

    execution_arn: str
    status: str  # FAILED | TIMED_OUT | ABORTED
    error: str | None = None
    cause: str | None = None
    input: dict[str, Any] = field(default_factory=dict)
    stop_ms: int | None = None


def parse_status_change(event: dict[str, Any]) -> FailedExecution:
    """Facts from an EventBridge "Step Functions Execution Status Change" event.

    Raises ValueError naming the missing field when the event is not one.
    """
    if not isinstance(event, dict):
        raise ValueError("event is not a JSON object")
    if event.get("detail-type") != "Step Functions Execution Status Change":
        raise ValueError(f"detail-type is {event.get('detail-type')!r}, not a Step Functions status change")
    detail = event.get("detail")
    if not isinstance(detail, dict):
        raise ValueError("detail is missing or not an object")
    arn = detail.get("executionArn")
    if not isinstance(arn, str) or not arn:
        raise ValueError("detail.executionArn is missing")
    status = detail.get("status")
    if not isinstance(status, str) or not status:
        raise ValueError("detail.status is missing")
    stop = detail.get("stopDate")
    return FailedExecution(
        execution_arn=arn,
        status=status,
        error=detail.get("error"),
        cause=detail.get("cause"),
        input=_json_object(detail.get("input")),
        stop_ms=int(stop) if isinstance(stop, int | float | Decimal) else None,
    )


def merge_description(facts: FailedExecution, described: dict[str, Any]) -> FailedExecution:
    """Complete the event's facts with DescribeExecution (authoritative: the event's input and
    cause can be truncated or omitted)."""
    stop = described.get("stopDate")
    stop_ms = int(stop.timestamp() * 1000) if isinstance(stop, datetime) else facts.stop_ms
    described_input = _json_object(described.get("input"))
    return FailedExecution(
        execution_arn=facts.execution_arn,
        status=described.get("status") or facts.status,
        error=described.get("error") or facts.error,
        cause=described.get("cause") or facts.cause,
        input=described_input or facts.input,
        stop_ms=stop_ms,
    )


def is_map_child(execution_arn: str) -> bool:
    """Distributed Map child executions ("...:execution:<machine>/<map run>:<id>") fail their
    parent; only the parent's failure is acted on."""
    _, _, rest = execution_arn.partition(":execution:")
    machine, _, _ = rest.partition(":")
    return "/" in machine


def _json_object(raw: Any) -> dict[str, Any]:
    if isinstance(raw, dict):
        return raw
    if not isinstance(raw, str) or not raw.strip():
        return {}
    try:
        value = json.loads(raw, parse_float=Decimal)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def cause_details(cause: str | None) -> dict[str, Any]:
    """The sync's JSON cause ({connection_id, user_id, run_id, type, user_message, ...}), also
    when wrapped in the Lambda runtime's error envelope ({errorMessage, errorType, ...})."""
    details = _json_object(cause)
    message = details.get("errorMessage")
    if isinstance(message, str):
        inner = _json_object(message)
        if inner:
            return {**details, **inner}
    return details


# ------------------------------------------------------------------ classification


@dataclass(frozen=True)
class Classification:
    category: str  # credentials | permissions | transient | permanent | aborted
    error: str  # the error name (CredentialsInvalid, States.Timeout, ...)
    summary: str  # what happened, in a few words


def classify(status: str, error: str | None) -> Classification:
    name = (error or "").strip()
    if status == "ABORTED":
        return Classification(ABORTED, name or "Aborted", "the sync was stopped")
    if status == "TIMED_OUT" and not name:
        name = "States.Timeout"
    category = _DISABLING_ERRORS.get(name)
    if category == CREDENTIALS:
        return Classification(category, name, "Binance rejected the API key")
    if category == PERMISSIONS:
        return Classification(category, name, "Binance refused a read with this API key")
    if name in _PERMANENT_ERRORS:
        return Classification(PERMANENT, name, _PERMANENT_ERRORS[name])
    return Classification(TRANSIENT, name or "Unknown", _transient_summary(name))


def _transient_summary(name: str) -> str:
    if name in ("RateLimited", "IpBanned"):
        return "Binance's rate limits were reached"
    if name in ("States.Timeout", "States.HeartbeatTimeout"):
        return "the sync ran out of time"
    if name in ("TransientError", "BinanceUnavailable"):
        return "Binance was temporarily unavailable"
    if name.startswith("Lambda.") or name.startswith("States."):
        return "a temporary error on binsync's side"
    return f"an unexpected error on binsync's side ({name or 'unknown'})"


def _when(ms: int | None) -> str:
    if ms is None:
        return ""
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime(" on %Y-%m-%d at %H:%M UTC")


# What Binance's code says about a rejected key. -2015 ("Invalid API-key, IP, or permissions
# for action") is ambiguous by design, so the reason lists every possibility.
_CREDENTIAL_CAUSES = {
    -1022: "the secret stored here no longer matches the key (the key was recreated, or its secret "
           "changed)",
    -2014: "Binance no longer recognises the key (it was deleted)",
    -2008: "Binance no longer recognises the key (it was deleted)",
}
_AMBIGUOUS_CAUSE = ("the key was deleted, its reading permission was removed, or an IP access restriction "
                    "was added (Binance's answer does not say which)")
_CODE_IN_TEXT = re.compile(r"code=(-?\d+)")
_MSG_IN_TEXT = re.compile(r"msg='([^']*)'")


def binance_code(details: dict[str, Any]) -> int | None:
    raw = details.get("code")
    if raw is None:
        found = _CODE_IN_TEXT.search(str(details.get("message") or ""))
        raw = found.group(1) if found else None
    try:
        return int(raw) if raw is not None else None
    except (TypeError, ValueError):
        return None


def binance_message(details: dict[str, Any]) -> str | None:
    if _str(details.get("msg")):
        return str(details["msg"])
    found = _MSG_IN_TEXT.search(str(details.get("message") or ""))
    return found.group(1) if found and found.group(1).strip() else None


def disabled_reason(kind: Classification, connection_id: str, when_ms: int | None,
                    code: int | None = None, binance_msg: str | None = None) -> str:
    """The reason shown on a disabled connection: what happened and what to do about it, in the
    user's words (recovery is self-service: fix the key, then revalidate or replace it)."""
    said = f' Binance said: "{binance_msg.strip()[:200]}".' if binance_msg else ""
    revalidate = f"POST /connections/{connection_id}/revalidate"
    if kind.category == CREDENTIALS:
        cause = _CREDENTIAL_CAUSES.get(code or 0, _AMBIGUOUS_CAUSE)
        what = f"Binance rejected this connection's API key{_when(when_ms)}: {cause}.{said}"
        todo = ("Syncing is paused until it is fixed. In Binance, open Account > API Management. If the "
                "key is still listed, make sure \"Enable Reading\" is ticked and IP access is "
                "\"Unrestricted\" (binsync reads from many addresses), then call revalidate "
                f"({revalidate}). If it was deleted, create a new read-only key and replace this one "
                f"(PUT /connections/{connection_id}/keys). Syncing resumes at once.")
    else:
        what = (f"Binance refused to let this connection's API key read your history{_when(when_ms)}: "
                f"a permission the sync needs was removed from the key, or an IP access restriction "
                f"was added.{said}")
        todo = ("Syncing is paused until it is fixed. In Binance, open Account > API Management, edit "
                "this key: tick \"Enable Reading\" (and Futures if you use it) and set IP access to "
                "\"Unrestricted\" (binsync reads from many addresses). Then call revalidate "
                f"({revalidate}). Syncing resumes at once.")
    return f"{what} {todo}"


def transient_warning(count: int, latest: Classification) -> str:
    return (f"{TRANSIENT_WARNING_PREFIX} the last {count} syncs stopped early (latest: "
            f"{latest.summary}). The key is fine and stays enabled; binsync tries again at the next "
            "weekly resync, or start a sync now. If it keeps happening, Binance may be limiting "
            "requests for this account.")


def _run_user_message(kind: Classification, reason: str | None) -> str:
    if kind.category in DISABLING and reason:
        return reason
    if kind.category == ABORTED:
        return "This sync was stopped before it finished."
    if kind.category == PERMANENT:
        return (f"This sync stopped on {kind.summary}; every other record was stored. Syncing again "
                "will not fix it: contact support with this run id so the record can be stored.")
    return (f"This sync stopped early: {kind.summary}. The key is fine; the next sync (weekly, or "
            "one you start) fetches this period again.")


# ------------------------------------------------------------------ the reaction


@dataclass
class FailureOutcome:
    execution_arn: str
    status: str
    action: str  # disabled | already_disabled | stale | counted | permanent | aborted | ignored
    category: str | None = None
    error: str | None = None
    user_id: str | None = None
    connection_id: str | None = None
    run_id: str | None = None
    consecutive_transient_failures: int | None = None
    warning: str | None = None
    reason: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


def _ids(facts: FailedExecution, details: dict[str, Any]) -> tuple[str | None, str | None, str | None]:
    sources = [facts.input, facts.input.get("run") if isinstance(facts.input.get("run"), dict) else {},
               details]
    found: dict[str, str | None] = {}
    for key in ("user_id", "connection_id", "run_id"):
        found[key] = next((str(s[key]) for s in sources if isinstance(s, dict) and s.get(key)), None)
    return found["user_id"], found["connection_id"], found["run_id"]


def handle_failure(facts: FailedExecution) -> FailureOutcome:
    """Record the failed run and disable or warn the connection; see the module docstring."""
    outcome = FailureOutcome(execution_arn=facts.execution_arn, status=facts.status, action="ignored")
    if facts.status not in ("FAILED", "TIMED_OUT", "ABORTED") or is_map_child(facts.execution_arn):
        return outcome
    details = cause_details(facts.cause)
    user_id, connection_id, run_id = _ids(facts, details)
    outcome.user_id, outcome.connection_id, outcome.run_id = user_id, connection_id, run_id
    if not user_id or not connection_id:
        return outcome  # not a sync of a connection (or its input was lost): nothing to act on

    kind = classify(facts.status, facts.error or _str(details.get("type")) or _str(details.get("error")))
    outcome.category, outcome.error = kind.category, kind.error
    try:
        conn = ConnectionModel.get(user_id, connection_id)
    except DoesNotExist:
        conn = None  # deleted meanwhile: only the run is recorded

    reason = None
    if kind.category in DISABLING:
        reason = disabled_reason(kind, connection_id, facts.stop_ms, binance_code(details),
                                 binance_message(details))
        outcome.reason = reason
    if run_id:
        _record_run(connection_id, run_id, facts, kind, details, reason)
    if conn is None:
        return outcome

    if kind.category == ABORTED:
        outcome.action = "aborted"
    elif kind.category == PERMANENT:
        outcome.action = "permanent"  # the key is fine; the counter is not touched
    elif kind.category in DISABLING:
        outcome.action = _disable(conn, reason or "", facts.stop_ms)
    else:
        outcome.action = "counted"
        count, warning = refresh_transient_failures(conn)
        outcome.consecutive_transient_failures, outcome.warning = count, warning
    return outcome


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _record_run(connection_id: str, run_id: str, facts: FailedExecution, kind: Classification,
                details: dict[str, Any], reason: str | None) -> None:
    try:
        run = RunModel.get(connection_id, run_id)
    except DoesNotExist:
        return
    if run.status == "succeeded":
        return  # a later success of the same run id is the truth
    previous = run.error if isinstance(run.error, dict) else {}
    message = (_str(previous.get("message")) or _str(details.get("message"))
               or _str(details.get("errorMessage")) or _str(facts.cause) or "")
    error = {
        **previous,  # the sync's own details (endpoint, Binance code) are kept
        "type": kind.error,
        "category": kind.category,
        "message": message[:2000],
        # a permanent error's own message names the record (binsync.sync.finish)
        "user_message": ((kind.category == PERMANENT and _str(previous.get("user_message")))
                         or _run_user_message(kind, reason)),
        "execution_arn": facts.execution_arn,
        "execution_status": facts.status,
    }
    if run.status == "failed" and run.error == error:
        return  # redelivery: already recorded
    actions = [RunModel.status.set("failed"), RunModel.error.set(error)]
    if run.finished_at is None and facts.stop_ms is not None:
        actions.append(RunModel.finished_at.set(facts.stop_ms))
    with contextlib.suppress(UpdateError):  # finished successfully meanwhile
        run.update(actions=actions, condition=RunModel.status != "succeeded")


def _disable(conn: ConnectionModel, reason: str, stop_ms: int | None) -> str:
    if conn.status == "disabled":
        return "already_disabled"  # first reason and time are kept
    if conn.status != "active":
        return "ignored"  # being deleted
    when = stop_ms if stop_ms is not None else _now_ms()
    if conn.status_changed_at is not None and conn.status_changed_at > when:
        return "stale"  # re-enabled after this execution ended: the failure is history
    condition = (ConnectionModel.status == "active") & (
        ConnectionModel.status_changed_at.does_not_exist() | (ConnectionModel.status_changed_at <= when)
    )
    try:
        conn.update(
            actions=[
                ConnectionModel.status.set("disabled"),
                ConnectionModel.status_reason.set(reason),
                ConnectionModel.status_changed_at.set(when),
            ],
            condition=condition,
        )
    except UpdateError:
        return "stale"  # changed concurrently (revalidated, deleted, disabled by another run)
    return "disabled"


def _now_ms() -> int:
    return int(datetime.now(tz=UTC).timestamp() * 1000)


# ------------------------------------------------------------------ the transient counter


def count_transient_failures(connection_id: str) -> tuple[int, Classification | None]:
    """Consecutive transient failures, newest first, up to the last success (or the last
    credentials/permissions failure, which revalidation already dealt with)."""
    count, latest = 0, None
    for run in RunModel.query(connection_id, scan_index_forward=False):
        if run.status == "succeeded":
            break
        if run.status != "failed":
            continue  # still running: says nothing yet
        error = run.error if isinstance(run.error, dict) else {}
        category = error.get("category")
        if category is None:
            category = classify("FAILED", _str(error.get("type"))).category
        if category in (ABORTED, PERMANENT):
            continue  # neither says anything about Binance or the key being unreliable
        if category in DISABLING:
            break
        count += 1
        if latest is None:
            latest = classify(_str(error.get("execution_status")) or "FAILED", _str(error.get("type")))
    return count, latest


def refresh_transient_failures(conn: ConnectionModel) -> tuple[int, str | None]:
    """Set the connection's counter and warning from its runs (idempotent)."""
    count, latest = count_transient_failures(conn.connection_id)
    warning = transient_warning(count, latest) if latest and count >= warning_threshold() else None
    _set_counter(conn, count, warning)
    return count, warning


def reset_transient_failures(user_id: str, connection_id: str) -> None:
    """After a successful sync: counter to 0 and the repeated-failure warning removed. Called by
    the sync's finish step (no-op when already clear)."""
    try:
        conn = ConnectionModel.get(user_id, connection_id)
    except DoesNotExist:
        return
    _set_counter(conn, 0, None)


def _set_counter(conn: ConnectionModel, count: int, warning: str | None) -> None:
    kept = [w for w in (conn.warnings or []) if not w.startswith(TRANSIENT_WARNING_PREFIX)]
    warnings = [*kept, warning] if warning else kept
    if conn.consecutive_transient_failures == count and list(conn.warnings or []) == warnings:
        return
    with contextlib.suppress(UpdateError):  # deleted meanwhile: never resurrect it
        conn.update(
            actions=[ConnectionModel.consecutive_transient_failures.set(count),
                     ConnectionModel.warnings.set(warnings)],
            condition=ConnectionModel.connection_id.exists(),
        )
