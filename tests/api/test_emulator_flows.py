"""The API against the Binance emulator: refused keys, recovery after a fix, and a full
register-sync-export flow in which the API secret appears in no response and no log line."""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from binsync.storage.models import ConnectionModel
from binsync_local.cloud import api_gateway_rest_event
from binsync_local.emulator import EmulatorServer, generate_account


@pytest.fixture(scope="module")
def account() -> Any:
    return generate_account("small", seed=7)


@pytest.fixture
def emulator(account: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[EmulatorServer]:
    with EmulatorServer(account, time_scale=60) as srv:
        monkeypatch.setenv("BINSYNC_ALLOW_BASE_URLS", srv.base_url)
        yield srv


def admin(srv: EmulatorServer, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    answer = requests.post(f"{srv.base_url}/emulator/{path}", json=body or {}, timeout=5)
    assert answer.status_code == 200, answer.text
    return answer.json()


def new_key(srv: EmulatorServer, **restrictions: Any) -> tuple[str, str]:
    made = admin(srv, "keys", {"kind": "hmac", "restrictions": restrictions})
    return made["api_key"], made["api_secret"]


REFUSED = [
    ({"enableReading": False}, "cannot_read"),
    ({"ipRestrict": True}, "ip_restricted"),
    ({"enableSpotAndMarginTrading": True}, "trading_enabled"),
    ({"enableWithdrawals": True, "ipRestrict": True}, "withdrawals_enabled"),
    ({"permitsUniversalTransfer": True}, "universal_transfer_enabled"),
]


def test_refused_keys_get_the_right_message_from_the_emulator(cloud, emulator):
    for restrictions, code in REFUSED:
        api_key, secret = new_key(emulator, **restrictions)
        status, _h, body = cloud.api_request("POST", "/connections", body={
            "api_key": api_key, "api_secret": secret, "base_url": emulator.base_url})
        assert status == 422, (restrictions, body)
        assert code in [d["code"] for d in body["error"]["details"]], (restrictions, body)

    api_key, _secret = new_key(emulator)
    status, _h, body = cloud.api_request("POST", "/connections", body={
        "api_key": api_key, "api_secret": "f" * 64, "base_url": emulator.base_url})
    assert status == 422 and body["error"]["details"][0]["code"] == "invalid_secret"

    status, _h, body = cloud.api_request("POST", "/connections", body={
        "api_key": "A" * 64, "api_secret": "f" * 64, "base_url": emulator.base_url})
    assert status == 422 and body["error"]["details"][0]["code"] == "unknown_key"

    status, _h, body = cloud.api_request("GET", "/connections")
    assert body["items"] == []


def _wait_run(cloud: Any, connection_id: str, user: str = "user-a", timeout: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        _status, _h, view = cloud.api_request("GET", f"/connections/{connection_id}", user=user)
        run = view["current_run"]
        if run and run["status"] in ("succeeded", "failed"):
            return run
        time.sleep(0.2)
    raise AssertionError("the sync did not end")


def _recent_success(user: str, connection_id: str) -> None:
    """Pretend a full sync ended yesterday, so the incremental sync is short (seconds): the
    coverage ledger says everything up to yesterday is covered (as the user's files would), which
    is what an incremental sync plans from."""
    from binsync.sync import ledger

    yesterday = int(time.time() * 1000) - 86_400_000
    conn = ConnectionModel.get(user, connection_id)
    conn.update(actions=[ConnectionModel.last_success_window_end.set(yesterday)])
    ledger.declare_user_files(ledger.load(connection_id), yesterday, run_id="test-setup")


@pytest.mark.slow
def test_revalidate_after_the_fix_reenables_and_syncs(cloud, emulator):
    creds = emulator.credentials
    status, _h, conn = cloud.api_request("POST", "/connections", body={
        "api_key": creds["api_key"], "api_secret": creds["api_secret"], "base_url": emulator.base_url,
        "start_sync": False})
    assert status == 201, conn
    cid = conn["connection_id"]
    _recent_success("user-a", cid)

    admin(emulator, f"keys/{creds['api_key']}/permissions", {"enableReading": False})
    status, _h, body = cloud.api_request("POST", f"/connections/{cid}/revalidate")
    assert status == 422 and [d["code"] for d in body["error"]["details"]] == ["cannot_read"]
    view = cloud.api_request("GET", f"/connections/{cid}")[2]
    assert view["status"] == "disabled" and "Enable Reading" in view["status_reason"]
    assert cloud.api_request("POST", f"/connections/{cid}/syncs", body={"mode": "incremental"})[0] == 409

    admin(emulator, f"keys/{creds['api_key']}/permissions", {"enableReading": True})
    status, _h, body = cloud.api_request("POST", f"/connections/{cid}/revalidate")
    assert status == 200, body
    assert body["status"] == "active"
    assert body["current_run"]["mode"] == "incremental" and body["current_run"]["trigger"] == "revalidate"
    run = _wait_run(cloud, cid)
    assert run["status"] == "succeeded", run


@dataclass
class LambdaContext:
    function_name: str = "binsync-ApiFunction"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:binsync-ApiFunction"
    aws_request_id: str = "req-1"


@pytest.mark.slow
def test_full_flow_leaks_the_secret_nowhere(cloud, emulator, caplog, capsys):
    """Every log record (all loggers at DEBUG, including botocore and moto), everything printed
    (Powertools JSON logs and metrics) and every response of register, sync, read, annotate,
    export, upload, rotate, revalidate and delete are searched for both keys' secrets.

    The API handler is called with the API Gateway event directly (as API Gateway does), so the
    local harness's own boto3 Lambda invoke does not log the request body it carries."""
    caplog.set_level(logging.DEBUG)
    handler = cloud.function("api").load()
    # Stream handlers (Powertools' JSON logger) keep the stdout they were created with, which may
    # be an earlier test's capture: point them at this test's capture so everything is searched.
    # An in-process CLI run earlier in this worker may also have quietened them (WARNING level):
    # open them to DEBUG for this test, so nothing escapes the search.
    redirected = _stream_handlers_to(sys.stdout)
    try:
        _leak_flow(handler, emulator, caplog, capsys)
    finally:
        for stream_handler, previous, logger, level in redirected:
            stream_handler.setStream(previous)
            logger.setLevel(level)


def _stream_handlers_to(stream: Any) -> list[tuple[logging.StreamHandler, Any, logging.Logger, int]]:
    names = list(logging.root.manager.loggerDict)
    loggers = [logging.getLogger(), *(logging.getLogger(name) for name in names)]
    redirected = []
    for logger in loggers:
        for h in getattr(logger, "handlers", []):
            if type(h) is logging.StreamHandler:
                redirected.append((h, h.setStream(stream), logger, logger.level))
                logger.setLevel(logging.DEBUG)
    return redirected


def _leak_flow(handler: Any, emulator: Any, caplog: Any, capsys: Any) -> None:
    first = emulator.credentials
    second = emulator.second_key
    secrets = {first["api_secret"], second.secret}
    api_keys = {first["api_key"], second.api_key}
    responses: list[str] = []

    def call(method: str, path: str, body: Any = None,
             query: dict[str, Any] | None = None) -> tuple[int, Any]:
        event = api_gateway_rest_event(method, path, body=body, user="user-s", query=query)
        answer = handler(event, LambdaContext())
        responses.append(json.dumps(answer))
        raw = answer.get("body") or ""
        try:
            return answer["statusCode"], json.loads(raw)
        except ValueError:
            return answer["statusCode"], raw

    status, conn = call("POST", "/connections", {
        "api_key": first["api_key"], "api_secret": first["api_secret"], "base_url": emulator.base_url,
        "start_sync": False})
    assert status == 201, conn
    cid = conn["connection_id"]
    _recent_success("user-s", cid)
    status, run = call("POST", f"/connections/{cid}/syncs", {"mode": "incremental"})
    assert status == 202, run
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        status, view = call("GET", f"/connections/{cid}")
        if view["current_run"]["status"] in ("succeeded", "failed"):
            break
        time.sleep(0.2)
    assert view["current_run"]["status"] == "succeeded", view
    status, page = call("GET", "/transactions", query={"limit": 5})
    assert status == 200 and page["items"], page
    tx_id = page["items"][0]["id"]
    assert call("GET", f"/transactions/{tx_id}")[0] == 200
    assert call("PATCH", f"/transactions/{tx_id}", {"label": "gift", "note": "n"})[0] == 200
    assert call("GET", "/exports/transactions.csv")[0] == 200
    assert call("GET", "/exports/waltio.csv")[0] == 200
    assert call("GET", f"/connections/{cid}/syncs")[0] == 200
    assert call("GET", f"/connections/{cid}/syncs/{run['run_id']}")[0] == 200
    assert call("POST", "/uploads", {"connection_id": cid, "file_name": "s.csv", "size": 10})[0] == 201
    assert call("POST", "/connections", {"api_key": first["api_key"], "api_secret": first["api_secret"],
                                         "base_url": emulator.base_url})[0] == 409
    assert call("PUT", f"/connections/{cid}/keys", {"api_key": second.api_key, "api_secret": second.secret,
                                                     "start_sync": False})[0] == 200
    assert call("POST", f"/connections/{cid}/revalidate", query={"start_sync": "false"})[0] == 200
    assert call("POST", "/connections", {"api_key": "B" * 64, "api_secret": first["api_secret"],
                                         "base_url": emulator.base_url})[0] == 422
    assert call("GET", f"/connections/{cid}/deletion-preview")[0] == 200
    assert call("DELETE", f"/connections/{cid}")[0] == 200

    printed = capsys.readouterr()
    records = "\n".join(f"{r.name} {r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert len(caplog.records) > 100 and printed.out  # the capture did capture
    assert any(r.name.startswith("botocore") for r in caplog.records)
    for secret in secrets:
        for where, text in (("responses", "\n".join(responses)), ("log records", records),
                            ("caplog text", caplog.text), ("stdout", printed.out), ("stderr", printed.err)):
            assert secret not in text, f"an API secret leaked into {where}"
    for key in api_keys:
        assert key not in "\n".join(responses), "a full API key leaked into a response"
        assert key not in records + printed.out, "a full API key leaked into the logs"
