"""Issue 15: a failed first sync leaves holes that every later sync fills, on the emulator and the
embedded cloud. Each story ends with exactly the data a fault-free sync of the same account
stores (compared with a second, fault-free connection of another user on the same account).

Before the coverage ledger, the incremental sync after a failed first sync started at the newest
record the failed run happened to store, so every hole before it stayed a hole while every run
"succeeded".
"""

from __future__ import annotations

import copy
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
from binsync.storage.models import ConnectionModel, RunModel, TransactionModel

USER = "user-coverage"
REFERENCE_USER = "user-fault-free"
MONDAY = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
ENDPOINTS = "wallet.deposits,wallet.withdrawals,convert.trade_flow,fiat.orders"


@pytest.fixture(scope="module")
def account() -> Any:
    from binsync_local.emulator import generate_account

    return generate_account("small", seed=23)


OLD_MS = 365 * 86_400_000  # a convert window starting more than a year before now is "old"


@dataclass
class Trouble:
    """What goes wrong, decided per request: deterministic whatever order the Map runs tasks in.

    `outage`: Binance answers 5xx to every convert request for a window older than a year (the
    newer windows of every endpoint are read and stored). `revoke`: once the newest deposit
    window has been served, the key is revoked at the next request for an old convert window
    (until then those get 5xx, retried). Either way the failed run stores recent records while
    older ones are missing, the case where "start at the newest stored record" loses data.
    """

    outage: bool = False
    revoke: bool = False
    recent_deposits_served: bool = False

    def decide(self, state: Any, path: str, params: dict[str, str]) -> str | None:
        now = state.now_ms()
        start = int(params.get("startTime") or now)
        if path.endswith("/capital/deposit/hisrec") and start >= now - 90 * 86_400_000:
            self.recent_deposits_served = True
        if not path.endswith("/convert/tradeFlow") or start >= now - OLD_MS:
            return None
        if self.outage:
            return "5xx"
        if self.revoke:
            return "revoke" if self.recent_deposits_served else "5xx"
        return None


@pytest.fixture
def trouble(monkeypatch: pytest.MonkeyPatch) -> Trouble:
    from binsync_local.emulator.server import Handler

    plan = Trouble()
    original = Handler._handle

    def handle(self: Any) -> None:
        split = urlsplit(self.path)
        decision = plan.decide(self.state, split.path, dict(parse_qsl(split.query)))
        if decision == "5xx":
            return self._error(503, -1008, "Server is currently overloaded with other requests.")
        if decision == "revoke":
            self.state.account.keys[0].revoked = True
            plan.revoke = False
        return original(self)

    monkeypatch.setattr(Handler, "_handle", handle)
    return plan


@pytest.fixture
def world(cloud: Any, account: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, Any]]:
    from binsync_local.emulator import EmulatorServer
    from binsync_local.emulator.faults import Faults

    with EmulatorServer(copy.deepcopy(account), time_scale=60, faults=Faults()) as server:
        monkeypatch.setenv("BINSYNC_ALLOW_BASE_URLS", server.base_url)
        monkeypatch.setenv("SYNC_ONLY_ENDPOINTS", ENDPOINTS)
        monkeypatch.setenv("RESYNC_SPREAD_SECONDS", "0")
        yield cloud, server


def _wait_run(cloud: Any, connection_id: str, run_id: str, timeout: float = 240) -> RunModel:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = RunModel.get(connection_id, run_id)
        if run.status in ("succeeded", "failed"):
            cloud.wait_execution(run.execution_arn, timeout=timeout)
            return RunModel.get(connection_id, run_id)
        time.sleep(0.1)
    raise AssertionError(f"run {run_id} did not end")


def _register(cloud: Any, server: Any, user: str, key: Any = None) -> str:
    api_key, secret = (key.api_key, key.secret) if key else (server.credentials["api_key"],
                                                            server.credentials["api_secret"])
    status, _, conn = cloud.api_request("POST", "/connections", user=user, body={
        "api_key": api_key, "api_secret": secret, "base_url": server.base_url,
        "sync_mode": "full", "start_sync": False})
    assert status == 201, conn
    return conn["connection_id"]


def _start(cloud: Any, user: str, cid: str, mode: str) -> str:
    status, _, started = cloud.api_request("POST", f"/connections/{cid}/syncs", user=user,
                                           body={"mode": mode})
    assert status == 202, started
    return started["run_id"]


def _stored(user: str) -> dict[str, Any]:
    """tx id -> the stored transaction body, for every transaction of the user."""
    return {item.tx_id: item.body for item in TransactionModel.query(user)}


def _fault_free(cloud: Any, server: Any) -> dict[str, Any]:
    """What a fault-free full sync of the same account stores (another user, another key)."""
    cid = _register(cloud, server, REFERENCE_USER, server.add_key())
    run = _wait_run(cloud, cid, _start(cloud, REFERENCE_USER, cid, "full"))
    assert run.status == "succeeded", run.error
    return _stored(REFERENCE_USER)


def _weekly(cloud: Any, cid: str, when: datetime) -> RunModel:
    from binsync.events import slots

    hour = slots.slot_time(when, slots.slot_of(cid))  # the connection's weekly slot
    started = {s["connection_id"]: s["run_id"] for s in cloud.fire_schedule(hour)["started"]}
    assert cid in started
    for other, run_id in started.items():  # the fault-free reference connection, once it exists
        _wait_run(cloud, other, run_id)
    run = _wait_run(cloud, cid, started[cid])
    assert (run.status, run.mode, run.trigger) == ("succeeded", "incremental", "schedule"), run.error
    return run


def _holes_before_newest(partial: dict[str, Any], expected: dict[str, Any]) -> bool:
    """Whether a record older than the newest stored one is missing (the precondition)."""
    missing = [expected[i]["time_ms"] for i in set(expected) - set(partial)]
    return bool(missing) and min(missing) < max(tx["time_ms"] for tx in partial.values())


def test_key_revoked_mid_first_sync_then_revalidated_ends_with_the_fault_free_data(world, trouble):
    cloud, server = world
    cid = _register(cloud, server, USER)
    trouble.revoke = True  # revoked mid-sync: recent windows stored, old convert windows not
    failed = _wait_run(cloud, cid, _start(cloud, USER, cid, "full"))
    assert (failed.status, failed.error["type"]) == ("failed", "CredentialsInvalid")
    assert failed.completeness["state"] == "gaps_named"
    assert "not read" in failed.completeness["words"]
    partial = _stored(USER)
    (outcome,) = cloud.fire_execution_status_change(
        cloud.wait_execution(failed.execution_arn)["executionArn"])
    assert outcome["action"] == "disabled"

    # Fixed and revalidated: the incremental sync reads every hole the failed run left.
    requests.post(f"{server.base_url}/emulator/keys/{server.credentials['api_key']}/revoke",
                  json={"revoked": False}, timeout=5).raise_for_status()
    status, _, body = cloud.api_request("POST", f"/connections/{cid}/revalidate", user=USER)
    assert status == 200, body
    assert body["current_run"]["mode"] == "incremental"
    recovered = _wait_run(cloud, cid, body["current_run"]["run_id"])
    assert recovered.status == "succeeded", recovered.error
    assert not [g for g in recovered.completeness["gaps"] if g["kind"] == "unread"]

    expected = _fault_free(cloud, server)
    assert _holes_before_newest(partial, expected)  # the failed run left holes before its newest record
    assert _stored(USER) == expected
    view = cloud.api_request("GET", f"/connections/{cid}", user=USER)[2]
    assert view["completeness"]["state"] == recovered.completeness["state"]


def test_outage_during_first_sync_then_weekly_resync_ends_with_the_fault_free_data(world, trouble):
    cloud, server = world
    cid = _register(cloud, server, USER)
    trouble.outage = True  # Binance answers 5xx to old convert windows until every retry is spent
    failed = _wait_run(cloud, cid, _start(cloud, USER, cid, "full"))
    assert failed.status == "failed"
    unread = [g for g in failed.completeness["gaps"] if g["kind"] == "unread"]
    assert unread and all(g["endpoint"] and g["cause"] for g in unread)
    partial = _stored(USER)
    trouble.outage = False  # Binance is back
    described = cloud.wait_execution(failed.execution_arn)
    (outcome,) = cloud.fire_execution_status_change(described["executionArn"])
    assert outcome["action"] == "counted"  # an outage never disables

    _weekly(cloud, cid, MONDAY)
    expected = _fault_free(cloud, server)
    assert _holes_before_newest(partial, expected)
    assert _stored(USER) == expected
    # And the week after, nothing is missing: the resync stays small and reads no hole again.
    again = _weekly(cloud, cid, MONDAY.replace(day=30))
    assert again.records == 0 and _stored(USER) == expected
    assert ConnectionModel.get(USER, cid).completeness["state"] == again.completeness["state"]
