"""The weekly resync and disable-on-error through the embedded cloud: template.yaml on moto, the
real state machine and handlers, the schedule and the failure rule fired as AWS fires them."""

from __future__ import annotations

import json
import socket
from datetime import UTC, datetime

import pytest
from events_support import make_connection

MONDAY = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


@pytest.fixture
def quiet_cloud(cloud, monkeypatch):
    monkeypatch.setenv("RESYNC_SPREAD_SECONDS", "0")  # no real-time Wait in tests
    return cloud


def _closed_port_url() -> str:
    """A loopback URL nobody listens on: requests get ECONNREFUSED, a real transient error."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


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
    url = _closed_port_url()
    active = {"a1", "a2", "b1"}
    for cid in active:
        _connection("user-a" if cid.startswith("a") else "user-b", cid, url)
    _connection("user-a", "off", url, status="disabled", status_reason="key revoked")

    first = cloud.fire_schedule(MONDAY)
    assert {s["connection_id"] for s in first["started"]} == active
    # Scheduler's retry of the same time: answered from the idempotency record, and even
    # without it the execution names would refuse a second start (test_events_resync.py).
    assert cloud.fire_schedule(MONDAY, attempt=2) == first

    ended = _wait_all(cloud)
    inputs = [json.loads(d["input"]) for d in ended]
    assert sorted(i["connection_id"] for i in inputs) == sorted(active)
    assert all(i["run_id"] for i in inputs)


def test_transient_failures_are_counted_and_reported_never_disabling(quiet_cloud):
    from binsync.storage.models import ConnectionModel, RunModel
    from binsync.sync.start import start_sync

    cloud = quiet_cloud
    _connection("user-a", "c1", _closed_port_url())
    payloads = []
    for _ in range(3):
        run = start_sync("user-a", "c1", "incremental", "api")
        described = cloud.wait_execution(run.execution_arn, timeout=120)
        assert described["status"] == "FAILED"
        assert described["error"] == "TransientError"
        (payload,) = cloud.fire_execution_status_change(run.execution_arn)
        payloads.append(payload)
        assert RunModel.get("c1", run.run_id).error["category"] == "transient"
    conn = ConnectionModel.get("user-a", "c1")
    assert conn.status == "active"
    assert conn.consecutive_transient_failures == 3
    assert [p["consecutive_transient_failures"] for p in payloads] == [1, 2, 3]
    assert any(w.startswith("Repeated sync failures:") for w in conn.warnings)
    # The rule fires again for the same execution (EventBridge redelivery): nothing changes.
    cloud.fire_execution_status_change(run.execution_arn)
    assert ConnectionModel.get("user-a", "c1").consecutive_transient_failures == 3


def test_a_spread_start_waits_its_offset_in_the_state_machine(cloud, monkeypatch):
    from binsync.events.resync import start_delay_seconds

    monkeypatch.setenv("RESYNC_SPREAD_SECONDS", "2")
    cid = next(f"c{i}" for i in range(100) if start_delay_seconds(f"c{i}", 2) == 1)
    _connection("user-a", cid, _closed_port_url())
    (started,) = cloud.fire_schedule(MONDAY)["started"]
    assert started["delay"] == 1
    (execution,) = _executions(cloud)
    cloud.wait_execution(execution["executionArn"], timeout=120)
    waits = [e for e in cloud.execution_history(execution["executionArn"]) if e["type"] == "WaitStateEntered"]
    assert [json.loads(w["stateEnteredEventDetails"]["input"])["start_delay_seconds"] for w in waits] == [1]
