"""The weekly resync and disable-on-error through the embedded cloud: template.yaml on moto, the
real state machine and handlers, the schedule and the failure rule fired as AWS fires them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from events_support import BinanceDown, make_connection

MONDAY = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


@pytest.fixture
def quiet_cloud(cloud, monkeypatch):
    monkeypatch.setenv("RESYNC_SPREAD_SECONDS", "0")  # no real-time Wait in tests
    return cloud


@pytest.fixture
def binance_down() -> Iterator[BinanceDown]:
    with BinanceDown() as server:
        yield server


def _connection(user: str, cid: str, base_url: str, **extra):
    from binsync.binance.signing import Credentials
    from binsync.connections.secrets import store_credentials

    name = store_credentials(user, cid, Credentials(api_key=f"key-{cid}", secret="s" * 64))
    conn = make_connection(user, cid, base_url=base_url, **extra)
    conn.update(actions=[type(conn).secret_name.set(name)])
    return conn


def _executions(cloud) -> list[dict]:
    sfn = cloud.client("stepfunctions")
    pages = sfn.get_paginator("list_executions").paginate(stateMachineArn=cloud.state_machine_arn)
    return [e for page in pages for e in page["executions"]]


def _wait_all(cloud) -> list[dict]:
    return [cloud.wait_execution(e["executionArn"], timeout=120) for e in _executions(cloud)]


def test_schedule_fires_one_sync_per_active_connection_and_never_twice(quiet_cloud):
    cloud = quiet_cloud
    # No secrets stored: each sync fails fast at Plan, which is all this test needs (it counts
    # the syncs started; what they do is the sync's business).
    active = {"a1", "a2", "b1"}
    for cid in active:
        make_connection("user-a" if cid.startswith("a") else "user-b", cid)
    make_connection("user-a", "off", status="disabled", status_reason="key revoked")

    first = cloud.fire_schedule(MONDAY)
    assert {s["connection_id"] for s in first["started"]} == active
    # Scheduler's retry of the same time: answered from the idempotency record, and even
    # without it the execution names would refuse a second start (test_events_resync.py).
    assert cloud.fire_schedule(MONDAY, attempt=2) == first

    ended = _wait_all(cloud)
    inputs = [json.loads(d["input"]) for d in ended]
    assert sorted(i["connection_id"] for i in inputs) == sorted(active)
    assert all(i["run_id"] for i in inputs)


def test_transient_failure_is_counted_and_reported_never_disabling(quiet_cloud, binance_down, monkeypatch):
    from binsync.storage.models import ConnectionModel, RunModel
    from binsync.sync.start import start_sync

    # One failure suffices to show the warning here; the count to 3 is in test_events_failures.py.
    monkeypatch.setenv("TRANSIENT_FAILURE_WARNING_AFTER", "1")
    cloud = quiet_cloud
    _connection("user-a", "c1", binance_down.url)  # Binance answers 503 to everything
    run = start_sync("user-a", "c1", "incremental", "api")
    described = cloud.wait_execution(run.execution_arn, timeout=120)
    assert (described["status"], described["error"]) == ("FAILED", "TransientError")
    (payload,) = cloud.fire_execution_status_change(run.execution_arn)
    assert (payload["action"], payload["category"]) == ("counted", "transient")
    assert payload["consecutive_transient_failures"] == 1
    assert RunModel.get("c1", run.run_id).error["category"] == "transient"
    conn = ConnectionModel.get("user-a", "c1")
    assert conn.status == "active"
    assert conn.consecutive_transient_failures == 1
    (warning,) = [w for w in conn.warnings if w.startswith("Repeated sync failures:")]
    assert "temporarily unavailable" in warning
    # EventBridge redelivers the same event: nothing changes.
    cloud.fire_execution_status_change(run.execution_arn)
    again = ConnectionModel.get("user-a", "c1")
    assert (again.consecutive_transient_failures, again.warnings) == (1, conn.warnings)


def test_a_spread_start_waits_its_offset_in_the_state_machine(cloud, monkeypatch):
    from binsync.events.resync import start_delay_seconds

    monkeypatch.setenv("RESYNC_SPREAD_SECONDS", "2")
    cid = next(f"c{i}" for i in range(100) if start_delay_seconds(f"c{i}", 2) == 1)
    make_connection("user-a", cid)
    (started,) = cloud.fire_schedule(MONDAY)["started"]
    assert started["delay"] == 1
    (execution,) = _executions(cloud)
    cloud.wait_execution(execution["executionArn"], timeout=120)
    waits = [e for e in cloud.execution_history(execution["executionArn"]) if e["type"] == "WaitStateEntered"]
    assert [json.loads(w["stateEnteredEventDetails"]["input"])["start_delay_seconds"] for w in waits] == [1]


def _cli_output(capsys, key: str) -> dict:
    """The command's JSON line (the handlers' logs and metrics share stdout in-process)."""
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    (found,) = [line for line in lines if key in line]
    return found


def test_the_cli_fires_the_real_schedule_and_failure_rule(quiet_cloud, capsys):
    """`binsync cloud fire-schedule|fire-failure` against a served cloud, real handlers."""
    from binsync.storage.models import ConnectionModel
    from binsync_local.cli import main

    cloud = quiet_cloud
    url = cloud.serve(port=0)
    make_connection("user-a", "c1")  # no secret stored: its sync fails at once in Plan
    assert main(["cloud", "fire-schedule", "--endpoint-url", url, "--time", "2026-11-23T02:00:00Z"]) == 0
    result = _cli_output(capsys, "schedule")["result"]
    (started,) = result["started"]
    (execution,) = _executions(cloud)
    described = cloud.wait_execution(execution["executionArn"], timeout=120)
    assert described["status"] == "FAILED"

    assert main(["cloud", "fire-failure", "--endpoint-url", url, "--execution-arn",
                 described["executionArn"]]) == 0
    out = _cli_output(capsys, "rule")
    assert out["matched"] is True
    (outcome,) = out["results"]
    assert (outcome["connection_id"], outcome["run_id"]) == ("c1", started["run_id"])
    assert outcome["action"] == "counted"  # not an auth error: counted, never disabled
    assert ConnectionModel.get("user-a", "c1").status == "active"


def test_a_start_without_delay_reads_no_missing_path(cloud, caplog):
    """Every start carries start_delay_seconds (0), so SpreadStart never evaluates a missing path:
    moto logged `NoSuchJsonPathError ... '$.start_delay_seconds'` on every sync (issue 18)."""
    import logging

    from binsync.sync.start import start_sync

    make_connection("user-a", "c1")
    with caplog.at_level(logging.ERROR, logger="moto"):
        run = start_sync("user-a", "c1", "incremental", "api")
        execution = cloud.client("stepfunctions").describe_execution(executionArn=run.execution_arn)
        assert json.loads(execution["input"])["start_delay_seconds"] == 0
        history = cloud.execution_history(run.execution_arn)
        for _ in range(100):  # past the Choice state
            if any(e["type"] == "TaskStateEntered" for e in history):
                break
            import time

            time.sleep(0.05)
            history = cloud.execution_history(run.execution_arn)
    assert not [e for e in history if e["type"] == "WaitStateEntered"]
    assert "NoSuchJsonPath" not in caplog.text
