"""The fault suite (issue 17 item 6): one full sync per fault against the emulator, checked
against the account's ground truth, reported as a table.

Columns: fault, runs, records expected, stored, lost, duplicated, outcome, connection state.
A network fault must end with every record stored once (0 lost, 0 duplicated) after at most
one re-run; a credential fault must disable the connection with its reason and damage nothing
stored (what the first, fault-free sync stored is still there, once).

The statement rows (bench/faults_s3.py: a redelivered and a concurrent S3 event, overlapping
statements in both orders) upload the account's statement after a fault-free sync: their
expected, stored, lost and duplicated count the API records and the statement's events together.

Used by tests/sync/test_fault_suite.py (profile `small`, a few faults) and by
`python -m bench faults` (profile `reference`, every fault below).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

USER = "user-faults"
CHECKED = ("spot.my_trades", "wallet.deposits", "wallet.withdrawals", "fiat.orders", "fiat.payments",
           "convert.trade_flow", "wallet.dust")


@dataclass(frozen=True)
class Fault:
    name: str
    faults: Callable[[], Any]  # -> binsync_local.emulator.faults.Faults
    credential: bool = False  # the connection must end disabled, nothing stored damaged
    # A fault of the worker rather than of Binance: a context manager around the first sync,
    # given the cloud (see killed_mid_page).
    worker: Callable[[Any], contextlib.AbstractContextManager[Any]] | None = None
    # Uploads after the (fault-free) sync: returns the upload ids (bench.faults_s3)
    statement: Callable[[Any, Any, str, str], list[str]] | None = None


def _faults(**kwargs: Any) -> Callable[[], Any]:
    def make() -> Any:
        from binsync_local.emulator.faults import Faults

        return Faults(**kwargs)

    return make


@contextlib.contextmanager
def killed_mid_page(cloud: Any, error_type: str, message: str, *, half: bool) -> Iterator[None]:
    """The Lambda service kills the worker storing the second page of spot fills: after half of
    that page (a crash: the process is gone) or after all of it but before its checkpoint (the
    function's timeout). The invocation ends with the runtime's error and runs no further."""
    from binsync.sync import fetch
    from binsync_local.cloud.router import kill_invocation

    real_write = fetch.write_transactions
    state = {"pages": 0, "killed": False}

    def write(transactions: Any, **kwargs: Any) -> Any:
        if transactions and transactions[0].source.ref == "spot.my_trades" and not state["killed"]:
            state["pages"] += 1
            if state["pages"] == 2 and len(transactions) >= 2:
                state["killed"] = True
                real_write(transactions[: len(transactions) // 2] if half else transactions, **kwargs)
                kill_invocation(error_type, message)
        return real_write(transactions, **kwargs)

    cloud.router.killable.add("fetch_window")
    fetch.write_transactions = write
    try:
        yield
    finally:
        fetch.write_transactions = real_write
        cloud.router.killable.discard("fetch_window")
    if not state["killed"]:
        raise RuntimeError("the worker fault never fired (no second page of spot fills)")


def _crash(cloud: Any) -> contextlib.AbstractContextManager[Any]:
    return killed_mid_page(cloud, "Runtime.ExitError", "Runtime exited with error: signal: killed", half=True)


def _lambda_timeout(cloud: Any) -> contextlib.AbstractContextManager[Any]:
    return killed_mid_page(cloud, "Sandbox.Timedout", "Task timed out after 900.00 seconds", half=False)


def _s3(name: str) -> Callable[[Any, Any, str, str], list[str]]:
    def run(cloud: Any, account: Any, user: str, connection_id: str) -> list[str]:
        from bench import faults_s3

        return getattr(faults_s3, name)(cloud, account, user, connection_id)

    run.__name__ = name
    return run


# 7 of the local cloud's 8 egress addresses (127.0.0.2-9): whichever worker calls /api is banned
BANNED_IPS = tuple(f"127.0.0.{i}" for i in range(2, 9))

FAULTS: tuple[Fault, ...] = (
    Fault("429 storm", _faults(storm_after=30, storm_requests=40, seed=1)),
    Fault("5xx on 5 % of requests", _faults(error_rate=0.05, seed=2)),
    Fault("timeouts on 2 % of requests", _faults(timeout_rate=0.02, hang_s=0.5, seed=3)),
    Fault("slow responses (+40 ms)", _faults(latency_ms=40, seed=4)),
    Fault("clock skew +3 s", _faults(clock_skew_ms=3_000, seed=5)),
    Fault("418 bans of 7 of 8 IPs", _faults(ban_ips=BANNED_IPS, ban_after=20, ban_s=2.0, seed=8)),
    Fault("crash after half a page", _faults(seed=9), worker=_crash),
    Fault("Lambda timeout mid-task (Sandbox.Timedout)", _faults(seed=10), worker=_lambda_timeout),
    Fault("key revoked mid-sync", _faults(revoke_after=60, seed=6), credential=True),
    Fault("read permission removed mid-sync", _faults(permissions_after=60, seed=7,
                                                      permissions={"enableReading": False}),
          credential=True),
    Fault("redelivered S3 event", _faults(seed=12), statement=_s3("redelivered")),
    Fault("concurrent S3 events", _faults(seed=13), statement=_s3("concurrent")),
    Fault("overlapping statements, earlier first", _faults(seed=14), statement=_s3("overlapping_in_order")),
    Fault("overlapping statements, later first", _faults(seed=15), statement=_s3("overlapping_reversed")),
)


@dataclass
class Row:
    fault: str
    runs: int
    expected: int
    stored: int
    lost: int
    duplicated: int
    outcome: str
    connection: str
    records_reported: int = 0  # sum of the runs' `records`: must equal `stored`
    http_418_reported: int = 0  # sum of the runs' `http_418`: must equal what Binance sent
    http_418_sent: int = 0
    statement: dict[str, Any] | None = None  # a statement row's check (bench.faults_s3.StatementCheck)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def headline(reason: str, limit: int = 100) -> str:
    """What happened and when, from a disabled connection's reason: its text before the cause
    (a fixed cut of 60 characters ended mid-date, "on 2026-12-02 at )")."""
    head = reason.split(": ", 1)[0]
    return head if len(head) <= limit else head[: limit - 3] + "..."


def _stored_ids(uid: str) -> list[str]:
    from binsync.storage.models import TransactionModel, account_key

    return [item.tx_id for item in TransactionModel.by_account.query(account_key(USER, uid))
            if item.source_ref in CHECKED]


def _expected_ids(account: Any) -> set[str]:
    expected = account.truth().api_ids()
    return {tx for name in CHECKED for tx in expected.get(name, set())}


def _wait(cloud: Any, connection_id: str, run_id: str) -> tuple[Any, dict[str, Any]]:
    from binsync_local.cli.sync_cmd import ProgressBar, follow_run

    run = follow_run(cloud, connection_id, run_id, timeout=300, progress=ProgressBar(False))
    return run, cloud.client("stepfunctions").describe_execution(executionArn=run.execution_arn)


def _sync(cloud: Any, connection_id: str) -> tuple[Any, dict[str, Any]]:
    status, _, body = cloud.api_request("POST", f"/connections/{connection_id}/syncs", user=USER,
                                        body={"mode": "full"})
    if status != 202:
        raise RuntimeError(f"resync refused: {status} {body}")
    return _wait(cloud, connection_id, body["run_id"])


def run_fault(cloud: Any, account: Any, fault: Fault, *, time_scale: float = 60) -> Row:
    """Register and sync through `fault` (a credential fault: after a fault-free first sync),
    re-run once when a network fault failed the sync, and compare with the truth."""
    from binsync.storage.models import ConnectionModel
    from binsync_local.cli.sync_cmd import allow_base_url
    from binsync_local.emulator.server import EmulatorServer

    expected = _expected_ids(account)
    uid = str(account.uid)
    # A network fault acts from the first sync; a credential fault after a fault-free one, so
    # there is stored data it must not damage.
    # A statement fault acts on the uploads: its sync is fault-free too.
    quiet = fault.credential or fault.statement is not None
    server = EmulatorServer(account, time_scale=time_scale, faults=None if quiet else fault.faults()).start()
    try:
        allow_base_url(server.base_url)
        creds = server.credentials
        status, _, body = cloud.api_request("POST", "/connections", user=USER, body={
            "api_key": creds["api_key"], "api_secret": creds["api_secret"], "base_url": server.base_url,
            "sync_mode": "full"})
        if status != 201:
            raise RuntimeError(f"registration refused: {status} {body}")
        connection_id = body["connection_id"]
        with fault.worker(cloud) if fault.worker else contextlib.nullcontext():
            run, describe = _wait(cloud, connection_id, body["current_run"]["run_id"])
        done = [run]
        before = sorted(_stored_ids(uid))
        if fault.credential:
            server.state.faults = fault.faults()
            run, describe = _sync(cloud, connection_id)
            done.append(run)
        if describe["status"] == "FAILED" and not fault.credential:
            server.state.faults = type(server.state.faults)()  # the network is back: a re-run resumes
            run, describe = _sync(cloud, connection_id)
            done.append(run)
        check = None
        if fault.statement is not None:
            from bench.faults_s3 import run_statement_fault

            check = run_statement_fault(cloud, account, USER, connection_id, fault.statement)
        runs = len(done)
        if describe["status"] == "FAILED":
            cloud.fire_execution_status_change(run.execution_arn)  # disable-on-error, as EventBridge
        stored = _stored_ids(uid)
        connection = ConnectionModel.get(USER, connection_id)
        reason = connection.status_reason
        state = connection.status + (f" ({headline(reason)})" if reason else "")
        unique = set(stored)
        lost = len(expected - unique)
        if fault.credential:  # nothing stored before the fault may be damaged
            lost = len(set(before) - unique)
        outcome = describe["status"].lower() + (f" {describe['error']}" if describe.get("error") else "")
        sent = sum(c["http_418"] for c in server.counters()["ips"].values())
        row = Row(fault.name, runs, len(expected), len(stored), lost, len(stored) - len(unique), outcome,
                  state, records_reported=sum(int(r.records or 0) for r in done),
                  http_418_reported=sum(int(r.http_418 or 0) for r in done), http_418_sent=sent)
        if check is not None:  # API records and statement events together
            row.expected += check.expected
            row.stored += check.stored
            row.lost += check.lost
            row.duplicated += check.duplicated
            row.outcome += f"; {check.words()}"
            row.statement = {**check.__dict__, "ok": check.ok}
        return row
    finally:
        server.stop()


def run_suite(make_account: Callable[[], Any], faults: tuple[Fault, ...] = FAULTS, *, egress_ips: int = 8,
              time_scale: float = 60) -> list[Row]:
    """Each fault on a fresh local cloud and a fresh account (a revoked key stays revoked in the
    account it was revoked in), so no state leaks between faults."""
    import os

    from binsync_local.cloud import LocalCloud

    os.environ["SYNC_ONLY_ENDPOINTS"] = ",".join(CHECKED)
    rows = []
    for fault in faults:
        with LocalCloud(egress_ips=egress_ips, fast_retries=True) as cloud:
            started = time.monotonic()
            rows.append(run_fault(cloud, make_account(), fault, time_scale=time_scale))
            rows[-1].__dict__["seconds"] = round(time.monotonic() - started, 1)
    return rows


def table(rows: list[Row]) -> str:
    head = ("fault", "runs", "expected", "stored", "lost", "duplicated", "outcome", "connection",
            "reported (records, 418s sent)")
    lines = [" | ".join(head), " | ".join("---" for _ in head)]
    for r in rows:
        reported = f"{r.records_reported}, {r.http_418_reported} ({r.http_418_sent})"
        lines.append(" | ".join(str(v) for v in (r.fault, r.runs, r.expected, r.stored, r.lost, r.duplicated,
                                                  r.outcome, r.connection, reported)))
    return "\n".join(lines)


def main(profile: str = "small", seed: int = 11) -> list[dict[str, Any]]:
    from binsync_local.emulator.generator import generate_account

    rows = run_suite(lambda: generate_account(profile, seed))
    print(table(rows))
    return [r.to_dict() for r in rows]


if __name__ == "__main__":
    import sys

    main(sys.argv[1] if len(sys.argv) > 1 else "small")
