"""The whole story of issue 7 on the Binance emulator and the embedded cloud: a key revoked in
the middle of a sync disables its connection with a clear reason, the weekly resync skips it, the
user fixes the key and revalidates, the connection is enabled at once and syncs, and the weekly
resync includes it again."""

from __future__ import annotations

import copy
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import requests
from binsync.storage.models import ConnectionModel, RunModel

USER = "user-events"
MONDAY = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def _slot_hour(cid: str, week: datetime) -> datetime:
    """The scheduled hour that resyncs `cid` in the week of `week` (its weekly slot)."""
    from binsync.events import slots

    return slots.slot_time(week, slots.slot_of(cid))
# A few history endpoints keep the sync short; which ones does not matter here.
ENDPOINTS = "wallet.deposits,wallet.withdrawals,convert.trade_flow,fiat.orders"


@pytest.fixture(scope="module")
def account() -> Any:
    from binsync_local.emulator import generate_account

    return generate_account("small", seed=23)


@pytest.fixture
def world(cloud: Any, account: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, Any]]:
    from binsync_local.emulator import EmulatorServer
    from binsync_local.emulator.faults import Faults

    # A copy per test: revoking a key or removing its permissions must not leak to the next test.
    with EmulatorServer(copy.deepcopy(account), time_scale=60, faults=Faults()) as server:
        monkeypatch.setenv("BINSYNC_ALLOW_BASE_URLS", server.base_url)
        monkeypatch.setenv("SYNC_ONLY_ENDPOINTS", ENDPOINTS)
        monkeypatch.setenv("RESYNC_SPREAD_SECONDS", "0")
        yield cloud, server


def _admin(server: Any, path: str, body: dict[str, Any]) -> dict[str, Any]:
    answer = requests.post(f"{server.base_url}/emulator/{path}", json=body, timeout=5)
    assert answer.status_code == 200, answer.text
    return answer.json()


def _wait_run(connection_id: str, run_id: str, timeout: float = 180) -> RunModel:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = RunModel.get(connection_id, run_id)
        if run.status in ("succeeded", "failed"):
            return run
        time.sleep(0.1)
    raise AssertionError(f"run {run_id} did not end")


def _register(cloud: Any, server: Any, *, start_sync: bool) -> dict[str, Any]:
    """POST /connections with the emulator's key (a full sync, started or not)."""
    creds = server.credentials
    status, _, conn = cloud.api_request("POST", "/connections", user=USER, body={
        "api_key": creds["api_key"], "api_secret": creds["api_secret"], "base_url": server.base_url,
        "sync_mode": "full", "start_sync": start_sync})
    assert status == 201, conn
    return conn


def _wait_execution(cloud: Any, run: RunModel) -> dict[str, Any]:
    return cloud.wait_execution(RunModel.get(run.connection_id, run.run_id).execution_arn, timeout=180)


def test_revoked_mid_sync_disables_then_revalidate_reenables_and_syncs(world):
    cloud, server = world
    conn = _register(cloud, server, start_sync=False)
    cid = conn["connection_id"]

    # The user deletes the key in Binance while a sync runs: a few requests in, it stops working.
    server.state.faults.revoke_after = server.state.faults.count + 6
    status, _, started = cloud.api_request("POST", f"/connections/{cid}/syncs", user=USER,
                                           body={"mode": "full"})
    assert status == 202, started
    run = _wait_run(cid, started["run_id"])
    described = _wait_execution(cloud, run)
    assert (run.status, described["status"], described["error"]) == ("failed", "FAILED", "CredentialsInvalid")

    # EventBridge's rule on the failed execution runs on_sync_failed.
    (outcome,) = cloud.fire_execution_status_change(described["executionArn"])
    assert (outcome["action"], outcome["category"]) == ("disabled", "credentials")
    status, _, view = cloud.api_request("GET", f"/connections/{cid}", user=USER)
    assert view["status"] == "disabled"
    reason = view["status_reason"]
    assert "Binance rejected this connection's API key" in reason
    assert "API Management" in reason and f"/connections/{cid}/revalidate" in reason
    stored = ConnectionModel.get(USER, cid)
    assert stored.status_changed_at == int(described["stopDate"].timestamp() * 1000)
    assert RunModel.get(cid, run.run_id).error["user_message"] == reason
    # Delivered twice, it changes nothing more.
    cloud.fire_execution_status_change(described["executionArn"])
    assert ConnectionModel.get(USER, cid).attribute_values == stored.attribute_values

    # The weekly resync leaves it alone, and so does a manual sync.
    assert cloud.fire_schedule(_slot_hour(cid, MONDAY))["started"] == []
    assert cloud.api_request("POST", f"/connections/{cid}/syncs", user=USER, body={"mode": "full"})[0] == 409

    # Revalidating before the fix is refused and keeps it disabled.
    status, _, body = cloud.api_request("POST", f"/connections/{cid}/revalidate", user=USER)
    assert status == 422, body
    assert ConnectionModel.get(USER, cid).status == "disabled"

    # The user fixes it (here: the emulator un-revokes the key) and revalidates: enabled at once,
    # an incremental sync starts and succeeds.
    _admin(server, f"keys/{server.credentials['api_key']}/revoke", {"revoked": False})
    status, _, body = cloud.api_request("POST", f"/connections/{cid}/revalidate", user=USER)
    assert status == 200, body
    assert body["status"] == "active" and not body.get("status_reason")
    assert (body["current_run"]["mode"], body["current_run"]["trigger"]) == ("incremental", "revalidate")
    recovered = _wait_run(cid, body["current_run"]["run_id"])
    assert recovered.status == "succeeded", recovered.error
    _wait_execution(cloud, recovered)
    assert ConnectionModel.get(USER, cid).consecutive_transient_failures == 0

    # Next week's resync includes it again.
    week_later = cloud.fire_schedule(_slot_hour(cid, MONDAY.replace(day=30)))
    assert [s["connection_id"] for s in week_later["started"]] == [cid]
    weekly = _wait_run(cid, week_later["started"][0]["run_id"])
    assert (weekly.status, weekly.mode, weekly.trigger) == ("succeeded", "incremental", "schedule")
    _wait_execution(cloud, weekly)


def test_read_permission_removed_mid_sync_disables_with_what_to_fix(world):
    cloud, server = world
    conn = _register(cloud, server, start_sync=False)
    cid = conn["connection_id"]
    faults = server.state.faults
    faults.permissions, faults.permissions_after = {"enableReading": False}, faults.count + 6
    status, _, started = cloud.api_request("POST", f"/connections/{cid}/syncs", user=USER,
                                           body={"mode": "full"})
    assert status == 202, started
    run = _wait_run(cid, started["run_id"])
    described = _wait_execution(cloud, run)
    assert described["status"] == "FAILED"
    assert described["error"] in ("CredentialsInvalid", "PermissionMissing")
    (outcome,) = cloud.fire_execution_status_change(described["executionArn"])
    assert outcome["action"] == "disabled"
    reason = ConnectionModel.get(USER, cid).status_reason
    assert "Enable Reading" in reason and "revalidate" in reason


def test_binance_outage_is_counted_and_warned_then_a_success_clears_it(world, monkeypatch):
    cloud, server = world
    monkeypatch.setenv("TRANSIENT_FAILURE_WARNING_AFTER", "1")
    conn = _register(cloud, server, start_sync=False)
    cid = conn["connection_id"]

    server.state.faults.error_rate = 1.0  # Binance answers 5xx to everything
    status, _, started = cloud.api_request("POST", f"/connections/{cid}/syncs", user=USER,
                                           body={"mode": "full"})
    assert status == 202, started
    described = _wait_execution(cloud, _wait_run(cid, started["run_id"]))
    assert described["status"] == "FAILED" and described["error"] != "CredentialsInvalid"
    (outcome,) = cloud.fire_execution_status_change(described["executionArn"])
    assert (outcome["action"], outcome["consecutive_transient_failures"]) == ("counted", 1)
    view = cloud.api_request("GET", f"/connections/{cid}", user=USER)[2]
    assert view["status"] == "active"  # the key is fine: never disabled for an outage
    assert any(w.startswith("Repeated sync failures:") for w in view["warnings"])  # reported, not hidden

    server.state.faults.error_rate = 0.0  # Binance is back
    status, _, started = cloud.api_request("POST", f"/connections/{cid}/syncs", user=USER,
                                           body={"mode": "full"})
    assert status == 202, started
    run = _wait_run(cid, started["run_id"])
    assert run.status == "succeeded", run.error
    _wait_execution(cloud, run)
    after = ConnectionModel.get(USER, cid)
    assert after.consecutive_transient_failures == 0
    assert not any(w.startswith("Repeated sync failures:") for w in after.warnings)


def _sync_to_end(cloud: Any, connection_id: str, run_id: str) -> RunModel:
    run = _wait_run(connection_id, run_id)
    assert run.status == "succeeded", run.error
    _wait_execution(cloud, run)
    return run


def test_delete_then_readd_the_same_account_with_real_syncs_keeps_the_annotations(world):
    """Deletion keeps annotations keyed by Binance account; a key of the same account added later
    gets them back once its sync stores the same deterministic transaction ids."""
    cloud, server = world
    conn = _register(cloud, server, start_sync=True)
    cid = conn["connection_id"]
    _sync_to_end(cloud, cid, conn["current_run"]["run_id"])

    status, _, page = cloud.api_request("GET", "/transactions", user=USER)
    assert status == 200 and len(page["items"]) >= 2, page
    first, second = page["items"][0]["id"], page["items"][1]["id"]
    asset = page["items"][0]["legs"][0]["asset"]  # a price is for an asset of the transaction
    note = {"label": "gift", "note": "from mum", "prices": [{"asset": asset, "price": "25000.12"}]}
    assert cloud.api_request("PATCH", f"/transactions/{first}", user=USER, body=note)[0] == 200
    airdrop = {"label": "Airdrop"}
    assert cloud.api_request("PATCH", f"/transactions/{second}", user=USER, body=airdrop)[0] == 200

    status, _, report = cloud.api_request("DELETE", f"/connections/{cid}", user=USER)
    assert status == 200 and report["deleted"] is True, report
    assert cloud.api_request("GET", f"/transactions/{first}", user=USER)[0] == 404  # its data is gone

    other = server.add_key()  # a new key of the same Binance account
    status, _, again = cloud.api_request("POST", "/connections", user=USER, body={
        "api_key": other.api_key, "api_secret": other.secret, "base_url": server.base_url,
        "sync_mode": "full"})
    assert status == 201, again
    _sync_to_end(cloud, again["connection_id"], again["current_run"]["run_id"])

    status, _, tx = cloud.api_request("GET", f"/transactions/{first}", user=USER)
    assert status == 200, tx
    assert (tx["annotation"]["label"], tx["annotation"]["note"]) == ("gift", "from mum")
    assert tx["annotation"]["prices"][0]["price"] == "25000.12"
    second_tx = cloud.api_request("GET", f"/transactions/{second}", user=USER)[2]
    assert second_tx["annotation"]["label"] == "Airdrop"
