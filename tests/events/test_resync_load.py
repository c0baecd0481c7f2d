"""Load: a whole week of hourly resync slots over many connections on the local cloud (issues
17 item 7, 19 item 3).

The real schedule target (functions/schedule_resync, through the router as Scheduler invokes it),
the real by_resync_slot index and the real start_sync/StartExecution on moto; the workflow itself
is not run (`execute_state_machine=False`). All 168 hours of one ISO week are fired: every active
connection is started exactly once, the disabled never, the ones written before slots existed
(no `resync_slot`) are backfilled and started in that same week, and redelivered hours (with the
handler's idempotency record gone, so the real guarantee is exercised) start nothing twice.

10,000 connections by default, the count issues 17 and 19 ask for: about 6 DynamoDB/Step
Functions calls per start on moto (the claim's ALL_NEW answer is the connection the start needs,
and a first delivery does not look for its run), ~28 ms of CPU per start (see
docs/capacity-and-cost.md). RESYNC_LOAD_CONNECTIONS=1000 makes a quick local run.
"""

from __future__ import annotations

import os
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

CONNECTIONS = int(os.environ.get("RESYNC_LOAD_CONNECTIONS", "10000"))
# The index is read in pages of this many items: at 10,000 connections a slot holds ~60, so a
# page of 100 (production) would read each slot in one page; 25 makes every slot take several,
# as 100,000 connections (~600 a slot) do with 100.
PAGE_SIZE = max(5, CONNECTIONS // 400)
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
def test_a_week_of_hourly_slots_starts_every_connection_once_and_redelivery_nothing_twice(
        cloud_factory, monkeypatch):
    # The state machine is not executed (execute_state_machine=False): this tests the schedule
    # function and the starts it makes (runs, claims, StartExecution and its names), which are
    # all real; what a started sync then does is tested by tests/sync and tests/events.
    import boto3
    from binsync.events import resync
    from binsync.events.slots import slot_of
    from binsync.storage.models import ConnectionModel, RunModel

    monkeypatch.setattr(resync, "PAGE_SIZE", PAGE_SIZE)
    cloud = cloud_factory(egress_ips=0, execute_state_machine=False)
    active = _populate(CONNECTIONS)
    started: Counter[str] = Counter()
    per_hour, per_ten_minutes, pages = [], Counter(), []
    by_hour: dict[int, set[str]] = {}
    for hour in range(168):
        report = cloud.fire_schedule(WEEK + timedelta(hours=hour))
        assert "errorType" not in report, report
        assert report["slot"] == hour and report["week"] == "2026-W48"
        assert report["errors"] == [] and report["busy"] == [] and not report["deferred"]
        started.update(s["connection_id"] for s in report["started"])
        by_hour[hour] = {s["connection_id"] for s in report["started"]}
        per_hour.append(len(report["started"]))
        pages.append(report["index_pages"])
        for s in report["started"]:  # spread inside the hour as configured (RESYNC_SPREAD_SECONDS)
            assert 0 <= s["delay"] < resync.DEFAULT_SPREAD_SECONDS
            per_ten_minutes[(hour, s["delay"] // 600)] += 1
    assert set(started) == active and set(started.values()) == {1}
    assert all(c.resync_slot is not None for c in ConnectionModel.scan())  # backfilled
    runs = Counter(r.connection_id for r in RunModel.scan(attributes_to_get=["connection_id"]))
    assert runs == Counter({cid: 1 for cid in active})
    sfn = boto3.client("stepfunctions")
    executions = [e["name"] for page in sfn.get_paginator("list_executions").paginate(
        stateMachineArn=os.environ["SYNC_STATE_MACHINE_ARN"]) for e in page["executions"]]
    assert len(executions) == len(set(executions)) == len(active)
    # Spread over the week by slot (a hash), and inside each hour by offset: no hour holds more
    # than twice its even share, no ten minutes more than three times (plus a little for small
    # counts). Deterministic (fixed ids); at 10,000: 76 of 56.5 an hour, 24 of 9.4 in ten minutes.
    mean_hour = len(active) / 168
    assert max(per_hour) <= 2 * mean_hour + 5, max(per_hour)
    assert max(per_ten_minutes.values()) <= 3 * mean_hour / 6 + 5, max(per_ten_minutes.values())
    # Every slot read through the index in pages, several per slot at this page size.
    assert min(pages) >= 1 and sum(pages) > 168 and max(pages) > 1, pages

    # Redelivered hours, the handler's idempotency record gone: claims and execution names hold.
    idem = os.environ["IDEMPOTENCY_TABLE"]
    db = boto3.client("dynamodb")
    for item in db.scan(TableName=idem)["Items"]:
        db.delete_item(TableName=idem, Key={"id": item["id"]})
    for hour in (0, 2, 100, 167):
        again = cloud.fire_schedule(WEEK + timedelta(hours=hour), attempt=2)
        assert again["started"] == [] and again["errors"] == []
        # this hour's own slot answers "already started" (backfilled ones started here live in
        # their own slot's index now, so a redelivery of this hour no longer reads them)
        assert set(again["already_started"]) >= {c for c in by_hour[hour] if slot_of(c) == hour}
    assert sum(1 for _ in RunModel.scan(attributes_to_get=["connection_id"])) == len(active)
    executions = [e["name"] for page in sfn.get_paginator("list_executions").paginate(
        stateMachineArn=os.environ["SYNC_STATE_MACHINE_ARN"]) for e in page["executions"]]
    assert len(executions) == len(active)
    handler = [i for i in cloud.invocations if i.function == "schedule_resync"]
    print(f"\nweek of {len(active)} active connections ({CONNECTIONS} in the table): "
          f"peak {max(per_hour)} starts in one hour (mean {mean_hour:.1f}), peak "
          f"{max(per_ten_minutes.values())} in ten minutes, {sum(pages)} index pages "
          f"(max {max(pages)} a slot), handler max {max(i.duration_s for i in handler):.2f} s")
