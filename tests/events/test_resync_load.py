"""Load: a whole week of hourly resync slots over many connections on the local cloud (issues
17 item 7, 19 item 3).

The real schedule target (functions/schedule_resync, through the router as Scheduler invokes it),
the real by_resync_slot index and the real start_sync/StartExecution on moto; the workflow itself
is not run (`execute_state_machine=False`). All 168 hours of one ISO week are fired: every active
connection is started exactly once, the disabled never, the ones written before slots existed
(no `resync_slot`) are backfilled and started in that same week, and redelivered hours (with the
handler's idempotency record gone, so the real guarantee is exercised) start nothing twice.

300 connections by default (moto serves ~8 calls per start: a week of 1,000 took 117 s here);
RESYNC_LOAD_CONNECTIONS=10000 runs the full count outside CI.
"""

from __future__ import annotations

import os
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

CONNECTIONS = int(os.environ.get("RESYNC_LOAD_CONNECTIONS", "300"))
DISABLED_EVERY = 20  # 5 % disabled: never started
LEGACY_EVERY = 10  # 10 % written before slots existed
WEEK = datetime(2026, 11, 23, tzinfo=UTC)  # Monday 00:00 UTC, ISO week 2026-W48


def _populate(count: int) -> set[str]:
    import boto3
    from binsync.storage.models import ConnectionModel

    active, legacy = set(), []
    with ConnectionModel.batch_write() as batch:
        for i in range(count):
            cid = f"c{i:06d}"
            status = "disabled" if i % DISABLED_EVERY == 0 else "active"
            batch.save(ConnectionModel(f"user-{i % 97}", cid, binance_uid=str(10_000 + i),
                                       secret_name=f"s/{cid}", status=status, created_at=1_700_000_000_000))
            if status == "active":
                active.add(cid)
            if i % LEGACY_EVERY == 3:
                legacy.append((f"user-{i % 97}", cid))
    table = boto3.client("dynamodb")
    for user, cid in legacy:  # as written before this change: no slot attribute
        table.update_item(TableName=ConnectionModel.Meta.table_name,
                          Key={"user_id": {"S": user}, "connection_id": {"S": cid}},
                          UpdateExpression="REMOVE resync_slot")
    return active


@pytest.mark.slow
def test_a_week_of_hourly_slots_starts_every_connection_once_and_redelivery_nothing_twice(cloud_factory):
    import boto3
    from binsync.storage.models import ConnectionModel, RunModel

    cloud = cloud_factory(egress_ips=0, execute_state_machine=False)
    active = _populate(CONNECTIONS)
    started: Counter[str] = Counter()
    per_hour = []
    for hour in range(168):
        report = cloud.fire_schedule(WEEK + timedelta(hours=hour))
        assert "errorType" not in report, report
        assert report["slot"] == hour and report["week"] == "2026-W48"
        started.update(s["connection_id"] for s in report["started"])
        per_hour.append(len(report["started"]))
    assert set(started) == active and set(started.values()) == {1}
    assert all(c.resync_slot is not None for c in ConnectionModel.scan())  # backfilled
    runs = Counter(r.connection_id for r in RunModel.scan(attributes_to_get=["connection_id"]))
    assert runs == Counter({cid: 1 for cid in active})
    assert max(per_hour) < 6 * len(active) / 168  # spread over the week, not one hour

    # Redelivered hours, the handler's idempotency record gone: claims and execution names hold.
    idem = os.environ["IDEMPOTENCY_TABLE"]
    db = boto3.client("dynamodb")
    for item in db.scan(TableName=idem)["Items"]:
        db.delete_item(TableName=idem, Key={"id": item["id"]})
    for hour in (0, 2, 100, 167):
        again = cloud.fire_schedule(WEEK + timedelta(hours=hour), attempt=2)
        assert again["started"] == []
    assert sum(1 for _ in RunModel.scan(attributes_to_get=["connection_id"])) == len(active)
    handler = [i for i in cloud.invocations if i.function == "schedule_resync"]
    print(f"\nweek of {len(active)} active connections ({CONNECTIONS} in the table): "
          f"max {max(per_hour)} starts in one hour, handler max {max(i.duration_s for i in handler):.2f} s")
