"""The weekly fleet resync's schedule function as the connection count grows (issues 17/19).

`python -m bench.fleet_resync --connections 1000,10000` fills the local cloud's connections
table (5 % disabled), fires all 168 hourly slots of one ISO week through the real handler and
prints, per count: the starts, the peak starts in one hour, the schedule function's CPU and wall
time per invocation (mean and max over the week), the by_resync_slot pages read, and the
tracemalloc peak of a few sample hours (tracemalloc slows Python, so only those hours run under
it; their time is left out of the time figures). The state machine is not executed: this
measures the schedule function, not the syncs it starts.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from typing import Any

WEEK = datetime(2026, 11, 23, tzinfo=UTC)  # Monday 00:00 UTC, ISO week 2026-W48
SAMPLED_HOURS = (0, 1, 84, 167)  # run under tracemalloc


def _env() -> None:
    for key, value in {"AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1",
                       "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "POWERTOOLS_TRACE_DISABLED": "true", "POWERTOOLS_LOG_LEVEL": "WARNING"}.items():
        os.environ.setdefault(key, value)


def populate(count: int) -> int:
    from binsync.storage.models import ConnectionModel

    active = 0
    with ConnectionModel.batch_write() as batch:
        for i in range(count):
            status = "disabled" if i % 20 == 0 else "active"
            active += status == "active"
            batch.save(ConnectionModel(f"user-{i % 97}", f"c{i:06d}", binance_uid=str(10_000 + i),
                                       secret_name=f"s/c{i:06d}", status=status,
                                       created_at=1_700_000_000_000))
    return active


def measure(count: int, hours: int = 168) -> dict[str, Any]:
    """`hours` < 168 fires that many hours spread over the week (an invocation's work depends on
    its slot and the table, not on the hours fired before it)."""
    from binsync_local.cloud import LocalCloud

    with LocalCloud(egress_ips=0, execute_state_machine=False, fast_retries=True) as cloud:
        active = populate(count)
        cpu, wall, peaks, per_hour, pages = [], [], [], [], 0
        fired = [h * 168 // hours for h in range(hours)]
        sampled = SAMPLED_HOURS if hours == 168 else (fired[0], fired[1], fired[-1])
        for hour in fired:
            traced = hour in sampled
            if traced:
                tracemalloc.start()
            c0, w0 = time.process_time(), time.perf_counter()
            report = cloud.fire_schedule(WEEK + timedelta(hours=hour))
            c1, w1 = time.process_time(), time.perf_counter()
            if traced:
                peaks.append(tracemalloc.get_traced_memory()[1])
                tracemalloc.stop()
            else:
                cpu.append(c1 - c0)
                wall.append(w1 - w0)
            if "errorType" in report:
                raise RuntimeError(report)
            per_hour.append(len(report["started"]))
            pages += report.get("index_pages", 0)
        started = sum(per_hour)
        timed_starts = started - sum(n for h, n in zip(fired, per_hour, strict=True) if h in sampled)
        return {
            "connections": count, "active": active, "hours_fired": hours, "started": started,
            "peak_starts_per_hour": max(per_hour), "mean_starts_per_hour": round(started / hours, 1),
            "index_pages": pages,
            "invocation_cpu_s_mean": round(sum(cpu) / len(cpu), 3),
            "invocation_cpu_s_max": round(max(cpu), 3),
            "invocation_wall_s_mean": round(sum(wall) / len(wall), 3),
            "invocation_wall_s_max": round(max(wall), 3),
            "cpu_ms_per_start": round(sum(cpu) / max(1, timed_starts) * 1000, 1),
            # per sampled hour; the first hour of a process also imports the sync package (cold)
            "tracemalloc_peak_mib": {h: round(p / 2**20, 2)
                                     for h, p in zip(sampled, peaks, strict=True)},
            "process_max_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.fleet_resync", description=__doc__.splitlines()[0])
    p.add_argument("--connections", default="1000,10000", help="comma-separated counts")
    p.add_argument("--hours", type=int, default=168, help="hours of the week to fire (spread)")
    args = p.parse_args(argv)
    _env()
    for count in (int(c) for c in args.connections.split(",")):
        print(json.dumps(measure(count, args.hours)), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
