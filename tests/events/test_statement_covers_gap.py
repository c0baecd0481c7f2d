"""Issue 15 item 1: a statement upload is recorded in the coverage ledger, and the connection's
completeness is assessed again after the import.

A full sync of an endpoint with a retention horizon (universal transfers: 6 months) names the
older period a statement-only gap. Uploading the account's statement, which shows every wallet
over the whole history, covers that period: GET /connections/{id} then says `complete`, with the
period listed as covered by the statement. Before the fix the upload never reached the ledger, so
the gap stayed open whatever was uploaded.
"""

from __future__ import annotations

import copy
import io
import time
from typing import Any

import pytest
from binsync.storage.models import CoverageModel, RunModel, UploadModel

USER = "user-statement-gap"
ENDPOINT = "wallet.universal_transfer"


@pytest.fixture(scope="module")
def account() -> Any:
    from binsync_local.emulator import generate_account

    return generate_account("small", seed=23)


def _wait_run(cloud: Any, connection_id: str, run_id: str, timeout: float = 240) -> RunModel:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = RunModel.get(connection_id, run_id)
        if run.status in ("succeeded", "failed"):
            cloud.wait_execution(run.execution_arn, timeout=timeout)
            return RunModel.get(connection_id, run_id)
        time.sleep(0.1)
    raise AssertionError(f"run {run_id} did not end")


def _statement_only(completeness: dict[str, Any]) -> list[dict[str, Any]]:
    listed = completeness["gaps"] + completeness["covered_by_files"]
    return [g for g in listed if g["kind"] == "statement_only" and g["endpoint"] == ENDPOINT]


def test_statement_upload_covers_the_statement_only_gap(cloud: Any, account: Any, monkeypatch) -> None:
    from binsync_local.emulator import EmulatorServer
    from binsync_local.emulator.statement import write_statement

    with EmulatorServer(copy.deepcopy(account), time_scale=60) as server:
        monkeypatch.setenv("BINSYNC_ALLOW_BASE_URLS", server.base_url)
        monkeypatch.setenv("SYNC_ONLY_ENDPOINTS", ENDPOINT)
        status, _, conn = cloud.api_request("POST", "/connections", user=USER, body={
            "api_key": server.credentials["api_key"], "api_secret": server.credentials["api_secret"],
            "base_url": server.base_url, "sync_mode": "full", "start_sync": False})
        assert status == 201, conn
        cid = conn["connection_id"]
        status, _, started = cloud.api_request("POST", f"/connections/{cid}/syncs", user=USER,
                                               body={"mode": "full"})
        assert status == 202, started
        run = _wait_run(cloud, cid, started["run_id"])
        assert run.status == "succeeded", run.error
        before = cloud.api_request("GET", f"/connections/{cid}", user=USER)[2]["completeness"]
        gaps = _statement_only(before)
        assert gaps and all(g["covered_by"] is None for g in gaps), before
        assert before["state"] != "complete"

        text = io.StringIO()
        write_statement(account, text)  # the whole history: every wallet, first row to now
        key = f"uploads/{USER}/up-1/statement.csv"
        UploadModel(USER, "up-1", connection_id=cid, binance_uid=str(account.uid), s3_key=key,
                    created_at=1).save()
        cloud.put_upload(key, text.getvalue().encode())
        upload = UploadModel.get(USER, "up-1")
        assert upload.status == "done", upload.report
        assert "wallet" in upload.report["covers_products"]

        after = cloud.api_request("GET", f"/connections/{cid}", user=USER)[2]["completeness"]
    covered = _statement_only(after)
    assert covered and all(g["covered_by"] == "statement" for g in covered), after
    assert not [g for g in after["gaps"] if g["kind"] == "statement_only"], after["gaps"]
    assert after["state"] == "complete", after["words"]
    assert CoverageModel.get(cid, "statement|wallet").source == "statement"
