"""Load: the weekly resync over 1,000 (or 10,000) connections on the local cloud (issue 17 item 7, issue 19).

The real schedule target (functions/schedule_resync, through the router as Scheduler invokes it)
and the real start_sync run against the template's tables and state machine on moto. The workflow
itself is not run (`execute_state_machine=False`): StartExecution is recorded as on AWS (names
unique per state machine, ExecutionAlreadyExists on a second start) but 10,000 syncs are not the
subject here. Checked: every active connection started exactly once, none of the others, the start
offsets spread over the configured window, the scan paginated, and a redelivered event (and a
retried attempt) starting nothing twice. The handler's time is printed (`-s`) for the report.
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from datetime import UTC, datetime

import pytest
from binsync.events import resync

# 1,000 by default: moto serves ~7 calls per connection; 10,000 take about 10 x as long
# (RESYNC_LOAD_CONNECTIONS=10000 to run the full count).
CONNECTIONS = int(os.environ.get("RESYNC_LOAD_CONNECTIONS", "1000"))
DISABLED_EVERY = 20  # 5 % disabled: never started
MONDAY = datetime(2026, 11, 23, 2, tzinfo=UTC)
SPREAD_S = 3600


def _populate(count: int) -> set[str]:
    from binsync.storage.models import ConnectionModel

    active = set()
    with ConnectionModel.batch_write() as batch:
        for i in range(count):
            cid = f"c{i:06d}"
            status = "disabled" if i % DISABLED_EVERY == 0 else "active"
            batch.save(ConnectionModel(f"user-{i % 997}", cid, binance_uid=str(10_000 + i),
                                       secret_name=f"s/{cid}", status=status, created_at=1_700_000_000_000))
            if status == "active":
                active.add(cid)
    return active


def _executions(cloud) -> list[dict]:
    sfn = cloud.client("stepfunctions")
    arn = cloud.resources["SyncStateMachine"].arn
    out = []
    for page in sfn.get_paginator("list_executions").paginate(stateMachineArn=arn):
        out.extend(page["executions"])
    return out


@pytest.mark.slow
def test_weekly_resync_over_many_connections_starts_each_once_spread_and_idempotent(
        cloud_factory, monkeypatch):
    monkeypatch.setenv(resync.SPREAD_ENV, str(SPREAD_S))
    pages = Counter()
    scan = resync.active_connections

    def counted_scan(page_size: int = 100):
        for n, conn in enumerate(scan(page_size)):
            pages["items"] += 1
            if n % page_size == 0:
                pages["pages"] += 1
            yield conn

    monkeypatch.setattr(resync, "active_connections", counted_scan)
    cloud = cloud_factory(egress_ips=0, execute_state_machine=False)
    monkeypatch.setenv(resync.SPREAD_ENV, str(SPREAD_S))  # after the template's environment
    active = _populate(CONNECTIONS)

    t0 = time.perf_counter()
    first = cloud.fire_schedule(MONDAY)
    elapsed = time.perf_counter() - t0
    assert "errorType" not in first, first
    executions = _executions(cloud)
    names = [e["name"] for e in executions]
    assert len(names) == len(set(names)) == len(active)
    sfn = cloud.client("stepfunctions")
    sample = [json.loads(sfn.describe_execution(executionArn=e["executionArn"])["input"])
              for e in executions[:: max(1, len(executions) // 200)]]
    assert {s["connection_id"] for s in sample} <= active
    from binsync.storage.models import RunModel

    runs = Counter(run.connection_id for run in RunModel.scan(attributes_to_get=["connection_id"]))
    assert set(runs) == active and set(runs.values()) == {1}  # every active one once, no disabled one
    assert pages["pages"] >= len(active) // 100       # paginated: 100 a page

    delays = [resync.start_delay_seconds(cid, SPREAD_S) for cid in active]
    per_minute = Counter(d // 60 for d in delays)
    assert len(per_minute) == 60 and max(per_minute.values()) < 2.5 * len(active) / 60  # spread

    # Scheduler redelivers the same scheduled time (attempt 2), then the same event again
    cloud.fire_schedule(MONDAY, attempt=2)
    cloud.fire_schedule(MONDAY)
    assert len(_executions(cloud)) == len(active)
    assert sum(1 for _ in RunModel.scan(attributes_to_get=["connection_id"])) == len(active)
    handler = [i for i in cloud.invocations if i.function == "schedule_resync"]
    print(f"\nresync of {len(active)} active connections ({CONNECTIONS} in the table): "
          f"{elapsed:.1f} s for the first delivery, handler {handler[0].duration_s:.1f} s; "
          f"redeliveries {handler[1].duration_s:.2f} s and {handler[2].duration_s:.2f} s; "
          f"peak start rate {len(active) / max(handler[0].duration_s, 1e-9):.0f} StartExecution/s")
