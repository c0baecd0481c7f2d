"""Full sync, and a weekly incremental resync, of a generated account through the embedded cloud.

Everything real but the network: the emulator (forked child, Binance's limits compressed by the
time scale N) serves the account; LocalCloud brings up template.yaml on moto with the real
handlers; the key is registered through the real API (which starts the sync); the real state
machine fans tasks out over K loopback egress IPs. Stats come from the RunModel (requests,
weight, 429s, 418s) and the TaskModel rows (the plan actually executed), T_min from `tmin`.
"""

from __future__ import annotations

import contextlib
import gc
import os
import statistics
import sys
import time
from collections.abc import Iterator
from typing import Any

import requests

from bench.tmin import TaskRow, t_min

WEEK_MS = 7 * 86_400_000


@contextlib.contextmanager
def only_endpoints(names: tuple[str, ...] | None) -> Iterator[None]:
    """SYNC_ONLY_ENDPOINTS restricts the plan (binsync.sync.plan.only_endpoints); process-wide."""
    old = os.environ.get("SYNC_ONLY_ENDPOINTS")
    if names:
        os.environ["SYNC_ONLY_ENDPOINTS"] = ",".join(names)
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("SYNC_ONLY_ENDPOINTS", None)
        else:
            os.environ["SYNC_ONLY_ENDPOINTS"] = old


def measure_rtt(base_url: str, n: int = 15) -> float:
    """Median round trip of GET /api/v3/time (weight 1) from this process, in seconds."""
    s = requests.Session()
    samples = []
    for _ in range(n):
        t = time.perf_counter()
        s.get(f"{base_url}/api/v3/time", timeout=10).raise_for_status()
        samples.append(time.perf_counter() - t)
    return statistics.median(samples)


def emulator_totals(base_url: str) -> dict[str, int]:
    data = requests.get(f"{base_url}/emulator/counters", timeout=10).json()
    tot = {"ips": len(data["ips"]), "requests": 0, "weight": 0, "http_429": 0, "http_418": 0}
    for c in data["ips"].values():
        for k in ("requests", "weight", "http_429", "http_418"):
            tot[k] += c[k]
    return tot


def _ledger_a_week_ago(connection_id: str) -> None:
    """The coverage ledger as a sync a week ago left it: every proven interval ends 7 days earlier
    (the incremental sync then plans that week plus its overlaps, as the weekly schedule would)."""
    from binsync.storage.models import CoverageModel

    with CoverageModel.batch_write() as batch:
        for item in CoverageModel.query(connection_id):
            if item.source != "api" or not item.intervals:
                continue
            item.intervals = [[a, b - WEEK_MS] for a, b in item.intervals if b - WEEK_MS >= a]
            batch.save(item)


def _run_stats(run: Any, *, ips: int, time_scale: float, rtt_s: float,
               timing: dict[str, Any] | None = None) -> dict[str, Any]:
    """The run's figures. `duration_s` is the whole execution (Plan, the Map and Finish with its
    reconciliation) when its history is known, else the run's own start-to-finish stamps."""
    from binsync.storage.models import TaskModel

    rows = [TaskRow(t.endpoint, int(t.requests or 0)) for t in TaskModel.query(run.run_id)]
    task_requests = sum(r.requests for r in rows)
    outside = max(0, int(run.requests or 0) - task_requests)  # plan and finish, before/after the Map
    bound = t_min(rows, ips=ips, time_scale=time_scale, rtt_s=rtt_s, extra_chain=outside)
    timing = timing or {}
    duration = timing.get("total_s")
    if duration is None and run.finished_at:
        duration = (run.finished_at - run.started_at) / 1000
    history_in = timing.get("history_in_s")
    return {
        "status": run.status,
        "ips": ips,
        "duration_s": duration,
        "history_in_s": history_in,
        "history_in_ratio": history_in / bound["t_min_s"] if history_in and bound["t_min_s"] else None,
        "phases_s": timing.get("phases_s"),
        "binance_minutes": duration * time_scale / 60 if duration else None,
        "t_min_s": bound["t_min_s"],
        "t_min_binance_minutes": bound["t_min_s"] * time_scale / 60,
        "ratio": duration / bound["t_min_s"] if duration and bound["t_min_s"] else None,
        "tasks": len(rows),
        "requests": int(run.requests or 0),
        "weight": int(run.weight or 0),
        "http_429": int(run.http_429 or 0),
        "http_418": int(run.http_418 or 0),
        "records": int(run.records or 0),
        "bound": bound,
        "error": run.error,
    }


def follow(cloud: Any, connection_id: str, run_id: str, timeout: float) -> tuple[Any, dict[str, Any] | None]:
    """Wait for the run to end, or for its execution to stop without ending it (then say why).

    A failed execution marks the run only through the EventBridge rule (on_sync_failed), which
    the embedded cloud fires on request: a run can stay `running` after its execution failed.
    """
    from binsync.storage.models import RunModel

    deadline = time.monotonic() + timeout
    sfn = cloud.client("stepfunctions")
    stopped_at = None
    while True:
        run = RunModel.get(connection_id, run_id)
        if run.status in ("succeeded", "failed"):
            return run, None
        if run.execution_arn:
            desc = sfn.describe_execution(executionArn=run.execution_arn)
            if desc["status"] != "RUNNING":
                stopped_at = stopped_at or time.monotonic()
                if time.monotonic() - stopped_at > 5:
                    return run, {"status": desc["status"], "error": desc.get("error"),
                                 "cause": (desc.get("cause") or "")[:1000]}
        if time.monotonic() > deadline:
            return run, {"status": "TIMEOUT", "error": f"run still {run.status} after {timeout:.0f} s"}
        time.sleep(0.5)


MAP_STATES = ("FetchInline", "FetchDistributed")


def execution_timing(history: list[dict[str, Any]]) -> dict[str, Any]:
    """From the execution's events: seconds per top-level state (Plan, the Map, Finish...),
    `history_in_s` (start to the end of the Map: every record stored) and `total_s` (start to
    the end of Finish: counts, coverage and the balance reconciliation written)."""
    entered: dict[str, Any] = {}
    phases: dict[str, float] = {}
    map_end = None
    for event in history:
        if "stateEnteredEventDetails" in event:
            entered[event["stateEnteredEventDetails"]["name"]] = event["timestamp"]
        elif "stateExitedEventDetails" in event:
            name = event["stateExitedEventDetails"]["name"]
            if name in MAP_STATES:
                map_end = event["timestamp"]
            if name in entered:
                phases[name] = round((event["timestamp"] - entered.pop(name)).total_seconds(), 3)
    if not history:
        return {"phases_s": phases, "history_in_s": None, "total_s": None}
    start, end = history[0]["timestamp"], history[-1]["timestamp"]
    return {"phases_s": phases, "total_s": round((end - start).total_seconds(), 3),
            "history_in_s": round((map_end - start).total_seconds(), 3) if map_end else None}


def _timing(cloud: Any, run: Any) -> dict[str, Any] | None:
    if not run.execution_arn:
        return None
    try:
        return execution_timing(cloud.execution_history(run.execution_arn))
    except Exception:  # an execution that ended oddly: fall back to the run's stamps
        return None


def _quiet_cloud() -> None:
    from binsync_local.cli.sync_cmd import quiet_function_logs

    quiet_function_logs()


@contextlib.contextmanager
def settled_heap() -> Iterator[None]:
    """Measure a run with only its own objects in the garbage collector's way.

    What the bench process already holds (the generated account, earlier runs' leftovers: some
    700,000 objects after the full syncs) is frozen out of the collections for the run, so the
    order of the benchmarks does not change their figures: the subset took 15.8 s after a full
    sync in the same process and 13.9 s with the heap frozen, as in a fresh process.
    """
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def sync_account(account: Any, *, ips: int, time_scale: float, only: tuple[str, ...] | None = None,
                 resync: bool = False, timeout: float = 3600.0, workers: int | None = None,
                 on_cloud: Any = None) -> dict[str, Any]:
    """Full sync of `account` with K=`ips`; with `resync`, then a weekly incremental resync.
    `workers` > `ips`: that many concurrent workers share the K addresses (bench.shared_ips);
    `on_cloud(cloud, out)` runs on the cloud after the syncs (bench.cost reads its records)."""
    with settled_heap():
        return _sync_account(account, ips=ips, time_scale=time_scale, only=only, resync=resync,
                             timeout=timeout, workers=workers, on_cloud=on_cloud)


def _sync_account(account: Any, *, ips: int, time_scale: float, only: tuple[str, ...] | None,
                  resync: bool, timeout: float, workers: int | None = None,
                  on_cloud: Any = None) -> dict[str, Any]:
    from binsync.storage.models import ConnectionModel
    from binsync_local.cli.demo_cmd import Emulator
    from binsync_local.cli.sync_cmd import (
        DEFAULT_USER,
        allow_base_url,
        register_key,
        reuse_interpreter_lambda_clients,
    )
    from binsync_local.cloud import LocalCloud

    out: dict[str, Any] = {}
    with Emulator(account, account.profile, account.seed, time_scale, in_process=False) as emu, \
            only_endpoints(only):
        creds = emu.credentials
        allow_base_url(creds["base_url"])
        rtt = measure_rtt(creds["base_url"])
        with LocalCloud(egress_ips=ips, egress_workers=workers, fast_retries=True,
                        dynamodb_process=True) as cloud, \
                reuse_interpreter_lambda_clients():
            _quiet_cloud()
            if only:
                os.environ["SYNC_ONLY_ENDPOINTS"] = ",".join(only)  # after the template's environment
            view = register_key(cloud, base_url=creds["base_url"], api_key=creds["api_key"],
                                api_secret=creds["api_secret"], key_type="hmac", mode="full")
            run, stuck = follow(cloud, view["connection_id"], view["current_run"]["run_id"], timeout)
            out["full"] = _run_stats(run, ips=ips, time_scale=time_scale, rtt_s=rtt,
                                     timing=_timing(cloud, run))
            if stuck:
                out["full"]["execution"] = stuck
                return out | {"rtt_s": rtt}
            out["full"]["emulator"] = emulator_totals(creds["base_url"])
            if resync and run.status != "succeeded":
                # No successful window to move back: a resync would read what the failed run left
                # (and the bill of the full sync must still be written, bench.cost's on_cloud).
                out["resync_skipped"] = f"the full sync ended {run.status}: {run.error}"
            elif resync:
                # A week later: move the last successful window end back 7 days, so the incremental
                # sync covers the week (plus its 2-day overlap) exactly as the weekly schedule would.
                conn = ConnectionModel.get(DEFAULT_USER, view["connection_id"])
                conn.update(actions=[ConnectionModel.last_success_window_end.set(
                    int(conn.last_success_window_end) - WEEK_MS)])
                _ledger_a_week_ago(view["connection_id"])
                status, _, body = cloud.api_request("POST", f"/connections/{view['connection_id']}/syncs",
                                                    user=DEFAULT_USER, body={"mode": "incremental"})
                if status != 202:
                    raise RuntimeError(f"resync refused: HTTP {status} {body}")
                run2, stuck2 = follow(cloud, view["connection_id"], body["run_id"], timeout)
                out["resync"] = _run_stats(run2, ips=ips, time_scale=time_scale, rtt_s=rtt,
                                           timing=_timing(cloud, run2))
                if stuck2:
                    out["resync"]["execution"] = stuck2
                full = out["full"]
                out["resync"]["weight_fraction"] = (out["resync"]["weight"] / full["weight"]
                                                    if full["weight"] else None)
                out["resync"]["requests_fraction"] = (out["resync"]["requests"] / full["requests"]
                                                      if full["requests"] else None)
            if on_cloud is not None:
                on_cloud(cloud, out)
    out["rtt_s"] = rtt
    sys.stderr.flush()
    return out
