"""Weekly resync (binsync.events.resync and functions/schedule_resync) on moto, with the real
start_sync: executions are counted in Step Functions itself."""

from __future__ import annotations

import json

import pytest
from binsync.events import resync
from binsync.events.resync import ScheduleTick, parse_schedule_event, run_resync
from events_support import FakeContext, load_handler, make_connection

MONDAY = "2026-11-23T02:00:00Z"
TEMPLATE_INPUT = {"source": "binsync.schedule", "mode": "incremental", "scheduled_time": MONDAY,
                  "execution_id": "d32c5kddcf5bb8c3", "attempt": "1"}


def _population():
    """5 active connections over 2 users, 2 disabled ones, 1 being deleted."""
    active = [("user-a", f"ca{i}") for i in range(3)] + [("user-b", f"cb{i}") for i in range(2)]
    for user, cid in active:
        make_connection(user, cid)
    make_connection("user-a", "cdis1", status="disabled", status_reason="key revoked")
    make_connection("user-b", "cdis2", status="disabled", status_reason="key revoked")
    make_connection("user-b", "cdel", status="deleting")
    return {cid for _, cid in active}


def _started_connections(aws) -> list[str]:
    out = []
    for name in aws.execution_names():
        arn = aws.state_machine_arn.replace(":stateMachine:", ":execution:") + ":" + name
        out.append(json.loads(aws.sfn.describe_execution(executionArn=arn)["input"])["connection_id"])
    return out


def test_template_input_and_default_envelope_are_understood():
    assert parse_schedule_event(TEMPLATE_INPUT) == ScheduleTick(MONDAY, "d32c5kddcf5bb8c3", 1)
    assert parse_schedule_event({**TEMPLATE_INPUT, "scheduled_time": "2026-11-23T03:00:00+01:00"}
                                ).scheduled_time == MONDAY
    envelope = {"version": "0", "id": "4e9b6c2a", "detail-type": "Scheduled Event", "source": "aws.scheduler",
                "account": "123456789012", "time": "2026-11-23T02:00:41Z", "region": "us-east-1",
                "resources": ["arn:aws:scheduler:us-east-1:123456789012:schedule/default/weekly"],
                "detail": "{}"}
    assert parse_schedule_event(envelope).scheduled_time == MONDAY  # minute precision


@pytest.mark.parametrize(("event", "message"), [
    ({"scheduled_time": "<aws.scheduler.scheduled-time>"}, "not substituted"),
    ({"scheduled_time": "next monday"}, "not an ISO-8601 time"),
    ({"scheduled_time": "2026-11-23T02:00:00"}, "no timezone"),
    ({"mode": "incremental"}, "scheduled_time: missing"),
    ("[]", "not a JSON object"),
])
def test_bad_schedule_events_are_refused_with_the_field(event, message):
    with pytest.raises(ValueError, match=message):
        parse_schedule_event(event)


def test_keys_are_execution_names_and_offsets_are_stable_and_spread():
    key = resync.idempotency_key("01JD-conn", MONDAY)
    assert key == "resync-01JD-conn-20261123T020000Z"
    assert ":" not in key and len(key) <= 80
    offsets = [resync.start_delay_seconds(f"conn-{i}", 3600) for i in range(200)]
    assert offsets == [resync.start_delay_seconds(f"conn-{i}", 3600) for i in range(200)]
    assert all(0 <= o < 3600 for o in offsets)
    assert len(set(offsets)) > 150  # not all at once
    assert max(offsets) - min(offsets) > 3000
    assert resync.start_delay_seconds("conn-1", 0) == 0


def test_every_active_connection_gets_exactly_one_sync(aws):
    active = _population()
    tick = ScheduleTick(MONDAY)
    report = run_resync(tick, spread=0, connections=resync.slot_connections(2, page_size=2))
    assert {s["connection_id"] for s in report.started} == active
    started = _started_connections(aws)
    assert sorted(started) == sorted(active)  # one each, none for disabled or deleting ones

    # The same scheduled time delivered again (Scheduler retry, redelivery): nothing new.
    again = run_resync(tick, spread=0)
    assert again.started == []
    assert set(again.already_started) == active
    assert sorted(_started_connections(aws)) == sorted(active)


def test_runs_are_incremental_and_triggered_by_the_schedule(aws):
    from binsync.storage.models import RunModel

    make_connection("user-a", "c1")
    report = run_resync(ScheduleTick(MONDAY), spread=0)
    (run,) = RunModel.query("c1")
    assert (run.mode, run.trigger, run.run_id) == ("incremental", "schedule", report.started[0]["run_id"])


def test_starts_are_spread_through_the_execution_input(aws):
    for i in range(4):
        make_connection("user-a", f"c{i}")
    report = run_resync(ScheduleTick(MONDAY), spread=3600)
    delays = {s["connection_id"]: s["delay"] for s in report.started}
    assert delays == {f"c{i}": resync.start_delay_seconds(f"c{i}", 3600) for i in range(4)}
    for name in aws.execution_names():
        arn = aws.state_machine_arn.replace(":stateMachine:", ":execution:") + ":" + name
        payload = json.loads(aws.sfn.describe_execution(executionArn=arn)["input"])
        assert payload.get("start_delay_seconds", 0) == delays[payload["connection_id"]]


def test_busy_and_broken_connections_are_reported_not_fatal(aws):
    from binsync.sync.errors import ConnectionNotSyncable, SyncAlreadyRunning

    for cid in ("ok", "busy", "gone", "boom"):
        make_connection("user-a", cid)
    calls = []

    def fake_start(user_id, connection_id, mode, trigger, **kw):
        calls.append((connection_id, mode, trigger, kw["idempotency_key"]))
        if connection_id == "busy":
            raise SyncAlreadyRunning(connection_id, "0000000000001-abcd")
        if connection_id == "gone":
            raise ConnectionNotSyncable(connection_id, "connection is disabled")
        if connection_id == "boom":
            raise RuntimeError("throttled")
        return type("Run", (), {"run_id": "r-ok", "started_at": 10**15})()

    report = run_resync(ScheduleTick(MONDAY), spread=0, start=fake_start)
    assert [s["connection_id"] for s in report.started] == ["ok"]
    assert report.busy == [{"connection_id": "busy", "run_id": "0000000000001-abcd"}]
    assert report.not_syncable[0]["connection_id"] == "gone"
    assert report.errors[0]["connection_id"] == "boom"
    assert len(calls) == 4  # everyone was tried despite the failures
    assert all(mode == "incremental" and trigger == "schedule" for _, mode, trigger, _ in calls)


def test_handler_fired_twice_starts_each_sync_once(aws):
    active = _population()
    handler = load_handler("schedule_resync")
    first = handler.lambda_handler(dict(TEMPLATE_INPUT), FakeContext())
    assert {s["connection_id"] for s in first["started"]} == active
    redelivered = {**TEMPLATE_INPUT, "execution_id": "another-attempt", "attempt": "2"}
    assert handler.lambda_handler(redelivered, FakeContext()) == first
    assert sorted(_started_connections(aws)) == sorted(active)


def test_handler_rejects_an_unsubstituted_input_without_starting_anything(aws):
    make_connection("user-a", "c1")
    handler = load_handler("schedule_resync")
    result = handler.lambda_handler({"scheduled_time": "<aws.scheduler.scheduled-time>"}, FakeContext())
    assert "not substituted" in result["error"]
    assert aws.execution_names() == []


def test_the_sample_schedule_event_is_understood():
    from events_support import ROOT

    event = json.loads((ROOT / "events" / "scheduler_weekly_resync.json").read_text())
    tick = parse_schedule_event(event)
    assert tick.scheduled_time == event["scheduled_time"] and tick.attempt == 1


def test_a_resync_short_of_time_stops_and_its_retry_finishes(aws):
    for i in range(4):
        make_connection("user-a", f"c{i}")
    budget = iter([60_000, 60_000, 1_000])  # two connections, then the invocation runs short
    first = run_resync(ScheduleTick(MONDAY), spread=0, time_left_ms=lambda: next(budget))
    assert first.deferred and first.incomplete and len(first.started) == 2
    retry = run_resync(ScheduleTick(MONDAY), spread=0, time_left_ms=lambda: 60_000)
    assert not retry.incomplete
    assert sorted(retry.already_started) == sorted(s["connection_id"] for s in first.started)
    assert len(retry.started) == 2
    assert len(aws.execution_names()) == 4


def test_another_hour_of_the_same_week_starts_nothing_and_next_week_starts_again(aws):
    """The weekly claim: a connection started by one hour (e.g. the backfill sweep) is not started
    again by another hour of the same ISO week, whatever reads it; next week it is."""
    make_connection("user-a", "c1")
    conn = list(resync.slot_connections(2))
    first = run_resync(ScheduleTick(MONDAY), spread=0, connections=conn)
    assert [s["connection_id"] for s in first.started] == ["c1"]
    later = run_resync(ScheduleTick("2026-11-26T15:00:00Z"), spread=0,
                       connections=resync.slot_connections(2))
    assert later.started == [] and later.already_started == ["c1"]
    assert len(_started_connections(aws)) == 1
    next_week = run_resync(ScheduleTick("2026-11-30T02:00:00Z"), spread=0)
    assert [s["connection_id"] for s in next_week.started] == ["c1"]


def _dynamodb_calls(monkeypatch) -> list[tuple[str, str]]:
    from pynamodb.connection.base import Connection

    calls: list[tuple[str, str]] = []
    dispatch = Connection.dispatch

    def counting(self, operation_name, operation_kwargs):
        calls.append((operation_name, operation_kwargs.get("TableName", "")))
        return dispatch(self, operation_name, operation_kwargs)

    monkeypatch.setattr(Connection, "dispatch", counting)
    return calls


def test_a_first_delivery_starts_without_reading_back_its_connection_or_run(aws, monkeypatch):
    """The claim's ALL_NEW answer is the connection the start needs, and a first delivery of the
    hour cannot have made the run yet: no GetItem per start (the 10,000-connection load test's
    cost), a redelivery still reads its run and starts nothing twice."""
    for i in range(5):
        make_connection("user-a", f"c{i}")
    calls = _dynamodb_calls(monkeypatch)
    first = run_resync(ScheduleTick(MONDAY), spread=0)
    assert len(first.started) == 5 and first.index_pages >= 1
    ops = [op for op, _ in calls]
    assert ops.count("GetItem") == 0, calls
    assert ops.count("UpdateItem") == 3 * 5 and ops.count("PutItem") == 5  # claim, lock, arn; run
    calls.clear()
    again = run_resync(ScheduleTick(MONDAY), spread=0)  # this hour's claim is in the index now
    assert again.started == [] and sorted(again.already_started) == [f"c{i}" for i in range(5)]
    assert [op for op, _ in calls].count("GetItem") == 5  # each looks its run up
    assert len(aws.execution_names()) == 5


def test_a_wrong_first_delivery_hint_still_starts_nothing_twice(aws):
    from binsync.sync.errors import SyncAlreadyRunning
    from binsync.sync.start import start_sync

    make_connection("user-a", "c1")
    key = resync.idempotency_key("c1", MONDAY)
    run = start_sync("user-a", "c1", "incremental", "schedule", scheduled_time=MONDAY,
                     idempotency_key=key, first_delivery=True)
    try:
        again = start_sync("user-a", "c1", "incremental", "schedule", scheduled_time=MONDAY,
                           idempotency_key=key, first_delivery=True)
    except SyncAlreadyRunning as exc:  # the first run is still active: refused, not restarted
        assert exc.run_id == run.run_id
    else:
        assert again.run_id == run.run_id
    assert len(aws.execution_names()) == 1


def test_the_slot_index_is_read_page_by_page(aws, monkeypatch):
    for i in range(7):
        make_connection("user-a", f"c{i}")
    monkeypatch.setattr(resync, "PAGE_SIZE", 3)
    report = run_resync(ScheduleTick(MONDAY), spread=0)
    assert len(report.started) == 7 and report.index_pages == 3  # 3 + 3 + 1
