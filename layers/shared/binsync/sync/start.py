"""Start a sync: create the run, refuse a second concurrent one, start the state machine.

Run ids sort by time (`<ms:013d>-<8 hex>`), so the newest run of a connection is the first of a
descending query. The execution name is the run id, or derives from an idempotency key (e.g.
the schedule's execution id) so a redelivered event starts nothing twice: the run id is then
deterministic and a second start returns the first run. The execution input carries ids only.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
from typing import Any

from pynamodb.exceptions import DoesNotExist, PutError, UpdateError

from binsync.storage import clients
from binsync.storage.models import ConnectionModel, RunModel
from binsync.sync.errors import ConnectionNotSyncable, SyncAlreadyRunning
from binsync.sync.modes import MODES
from binsync.sync.progress import now_ms

ACTIVE = ("planning", "running")
# A run that never got an execution (the start call died) is abandoned after this long.
ORPHAN_AFTER_MS = 15 * 60 * 1000


def new_run_id(at_ms: int | None = None, token: str | None = None) -> str:
    return f"{(at_ms if at_ms is not None else now_ms()):013d}-{token or secrets.token_hex(4)}"


def idempotent_run_id(idempotency_key: str, at_ms: int) -> str:
    return new_run_id(at_ms, hashlib.sha256(idempotency_key.encode()).hexdigest()[:8])


def execution_name(run_id: str) -> str:
    # Names allow [A-Za-z0-9-_], at most 80 characters.
    return re.sub(r"[^A-Za-z0-9_-]", "-", f"sync-{run_id}")[:80]


def _sfn() -> Any:
    return clients.client("stepfunctions")


def _scheduled_ms(scheduled_time: Any) -> int | None:
    """Epoch ms from an ISO-8601 string (EventBridge Scheduler) or a number."""
    if scheduled_time is None or scheduled_time == "":
        return None
    if isinstance(scheduled_time, int | float):
        return int(scheduled_time if scheduled_time > 10**12 else scheduled_time * 1000)
    from datetime import datetime
    text = str(scheduled_time).replace("Z", "+00:00")
    return int(datetime.fromisoformat(text).timestamp() * 1000)


def latest_run(connection_id: str) -> RunModel | None:
    for run in RunModel.query(connection_id, scan_index_forward=False, limit=1):
        return run
    return None


def _still_active(run: RunModel, sfn: Any) -> bool:
    """Whether an active-looking run really is; a dead one is marked failed and released."""
    if run.status not in ACTIVE:
        return False
    if run.execution_arn:
        try:
            status = sfn.describe_execution(executionArn=run.execution_arn)["status"]
        except sfn.exceptions.ExecutionDoesNotExist:
            status = "ABORTED"
        if status in ("RUNNING", "PENDING_REDRIVE"):
            return True
        reason = f"execution ended {status} without finishing the run"
    elif now_ms() - int(run.started_at) < ORPHAN_AFTER_MS:
        return True
    else:
        reason = "the run never started an execution"
    run.update(actions=[RunModel.status.set("failed"), RunModel.finished_at.set(now_ms()),
                        RunModel.error.set({"type": "Abandoned", "message": reason,
                                            "user_message": "The previous sync stopped unexpectedly."})])
    return False


def start_sync(user_id: str, connection_id: str, mode: str, trigger: str, *,
               scheduled_time: Any = None, idempotency_key: str | None = None,
               start_delay_seconds: int = 0, connection: ConnectionModel | None = None,
               first_delivery: bool = False) -> RunModel:
    """Create a run of `connection_id` and start its execution; returns the run.

    Raises SyncAlreadyRunning (409) when another run of the connection is active, and
    ConnectionNotSyncable when the connection is missing (404) or disabled (409).

    `connection`: the item as the caller just read it with a strongly consistent read or a
    write's ALL_NEW answer (the weekly resync's claim), saving the GetItem. `first_delivery`: the
    caller knows no earlier delivery of `idempotency_key` got as far as creating a run, saving
    the GetItem of that run; a wrong hint still starts nothing twice (the optimistic lock, the
    run's put condition and the execution name each refuse a second start).
    """
    if mode not in MODES:
        raise ValueError(f"mode: must be one of {', '.join(MODES)}, not {mode!r}")
    if connection is None:
        try:
            connection = ConnectionModel.get(user_id, connection_id)
        except DoesNotExist:
            raise ConnectionNotSyncable(connection_id, "no such connection", 404) from None
    if connection.status != "active":
        raise ConnectionNotSyncable(connection_id, f"connection is {connection.status}"
                                    + (f": {connection.status_reason}" if connection.status_reason else ""))
    sfn = _sfn()

    at_ms = _scheduled_ms(scheduled_time) or now_ms()
    run_id = idempotent_run_id(idempotency_key, at_ms) if idempotency_key else new_run_id()
    if idempotency_key and not first_delivery:
        try:
            return RunModel.get(connection_id, run_id)  # redelivered: the first start stands
        except DoesNotExist:
            pass

    previous = latest_run(connection_id)
    if previous is not None and _still_active(previous, sfn):
        raise SyncAlreadyRunning(connection_id, previous.run_id)

    # Claim the connection (optimistic lock on what was read): of two concurrent starts, only
    # one moves last_run_id away from the value both saw; the other gets a 409.
    condition = (ConnectionModel.last_run_id == connection.last_run_id) if connection.last_run_id \
        else ConnectionModel.last_run_id.does_not_exist()
    try:
        connection.update(actions=[ConnectionModel.last_run_id.set(run_id),
                                   ConnectionModel.last_sync_at.set(now_ms())], condition=condition)
    except UpdateError as exc:
        if idempotency_key:
            try:
                return RunModel.get(connection_id, run_id)
            except DoesNotExist:
                pass
        raise SyncAlreadyRunning(connection_id, connection.last_run_id or "?") from exc

    run = RunModel(connection_id, run_id, user_id=user_id, binance_uid=connection.binance_uid,
                   mode=mode, trigger=trigger, status="planning", started_at=now_ms())
    try:
        run.save(condition=RunModel.run_id.does_not_exist())
    except PutError:
        return RunModel.get(connection_id, run_id)

    name = execution_name(run_id)
    # start_delay_seconds: the weekly resync spreads its starts (events/resync.py). Always sent, 0
    # for no wait, so the state machine's SpreadStart never reads a missing path.
    ids: dict[str, Any] = {"user_id": user_id, "connection_id": connection_id, "run_id": run_id,
                           "start_delay_seconds": max(0, int(start_delay_seconds))}
    payload = json.dumps(ids)
    arn = os.environ["SYNC_STATE_MACHINE_ARN"]
    try:
        execution_arn = sfn.start_execution(stateMachineArn=arn, name=name, input=payload)["executionArn"]
    except sfn.exceptions.ExecutionAlreadyExists:
        execution_arn = f"{arn.replace(':stateMachine:', ':execution:')}:{name}"
    except Exception as exc:
        run.update(actions=[RunModel.status.set("failed"), RunModel.finished_at.set(now_ms()),
                            RunModel.error.set({"type": type(exc).__name__, "message": str(exc),
                                                "user_message": "The sync could not be started."})])
        raise
    run.update(actions=[RunModel.execution_arn.set(execution_arn)])
    return run
