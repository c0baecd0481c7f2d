"""User B can neither read, change, sync, export nor delete anything of user A's, through every
route of the OpenAPI document (a route missing from the table below fails the test)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from api_support import Api, FakeBinance
from binsync.storage.models import AnnotationModel, ConnectionModel, RunModel, TransactionModel, UploadModel

ROOT = Path(__file__).resolve().parents[2]
A, B = "user-a", "user-b"

# (method, path, body, query, what B must see); the {placeholders} are filled with A's ids.
ROUTES: list[tuple[str, str, Any, Any, str]] = [
    ("GET", "/connections", None, None, "empty"),
    ("POST", "/connections", "KEY_OF_A", None, "own-201"),
    ("GET", "/connections/{connection_id}", None, None, "404"),
    ("PUT", "/connections/{connection_id}/keys", "KEY_OF_A", None, "404"),
    ("POST", "/connections/{connection_id}/revalidate", None, None, "404"),
    ("GET", "/connections/{connection_id}/deletion-preview", None, None, "404"),
    ("DELETE", "/connections/{connection_id}", None, {"dry_run": "true"}, "404"),
    ("DELETE", "/connections/{connection_id}", None, {"purge_annotations": "true"}, "404"),
    ("POST", "/connections/{connection_id}/syncs", {"mode": "full"}, None, "404"),
    ("GET", "/connections/{connection_id}/syncs", None, None, "404"),
    ("GET", "/connections/{connection_id}/syncs/{run_id}", None, None, "404"),
    ("GET", "/transactions", None, None, "empty"),
    ("GET", "/transactions", None, {"connection_id": "{connection_id}"}, "404"),
    ("GET", "/transactions/{transaction_id}", None, None, "404"),
    ("PATCH", "/transactions/{transaction_id}", {"label": "hacked", "note": None, "prices": []}, None, "404"),
    ("POST", "/uploads", {"connection_id": "{connection_id}", "file_name": "s.csv", "size": 10}, None, "404"),
    ("GET", "/uploads", None, None, "empty"),
    ("GET", "/uploads/{upload_id}", None, None, "404"),
    ("DELETE", "/uploads/{upload_id}", None, {"erase_transactions": "true"}, "404"),
    ("GET", "/exports/transactions.csv", None, None, "csv-empty"),
    ("GET", "/exports/transactions.csv", None, {"connection_id": "{connection_id}"}, "404"),
    ("GET", "/exports/waltio.csv", None, None, "csv-empty"),
    ("GET", "/exports/waltio.csv", None, {"connection_id": "{connection_id}"}, "404"),
    ("GET", "/exports/koinly.csv", None, None, "csv-empty"),
    ("GET", "/exports/koinly.csv", None, {"connection_id": "{connection_id}"}, "404"),
    ("GET", "/exports/cointracking.csv", None, None, "csv-empty"),
    ("GET", "/exports/cointracking.csv", None, {"connection_id": "{connection_id}"}, "404"),
    ("GET", "/exports/rotki_trades.csv", None, None, "csv-empty"),
    ("GET", "/exports/rotki_trades.csv", None, {"connection_id": "{connection_id}"}, "404"),
    ("GET", "/exports/rotki_events.csv", None, None, "csv-empty"),
    ("GET", "/exports/rotki_events.csv", None, {"connection_id": "{connection_id}"}, "404"),
    ("GET", "/me", None, None, "me"),
]


def _openapi_operations() -> set[tuple[str, str]]:
    doc = json.loads((ROOT / "openapi.json").read_text())
    return {(method.upper(), path) for path, ops in doc["paths"].items() for method in ops}


def test_the_table_covers_every_route_of_the_openapi_document():
    covered = {(m, p) for m, p, *_ in ROUTES}
    assert _openapi_operations() == covered


@pytest.fixture(scope="module")
def api() -> Iterator[Api]:
    """One cloud for the whole table: each case checks that A's state is unchanged after it, so
    a case that leaked or changed anything fails itself (and cannot hide behind a fresh cloud)."""
    from binsync_local.cloud import LocalCloud

    fake = FakeBinance()
    with pytest.MonkeyPatch.context() as mp, LocalCloud(egress_ips=2, fast_retries=True) as cloud:
        mp.setattr("binsync.connections.registration.default_fetcher", fake.factory)
        helper = Api(cloud, fake, mp)
        helper.stub_sync()
        yield helper


@pytest.fixture(scope="module")
def world(api: Api) -> dict[str, Any]:
    conn = api.register(user=A, uid=1001)
    cid = conn["connection_id"]
    run_id = conn["current_run"]["run_id"]
    api.finish_runs(cid)
    ids = api.seed_transactions(A, "1001", 5, connection_id=cid)
    status, _ = api.call("PATCH", f"/transactions/{ids[0]}", user=A,
                         body={"label": "mine", "note": "secret note"})
    assert status == 200
    status, ticket = api.call("POST", "/uploads", user=A, body={"connection_id": cid, "file_name": "a.csv",
                                                                 "size": 100})
    assert status == 201, ticket
    return {"connection_id": cid, "run_id": run_id, "transaction_id": ids[0],
            "upload_id": ticket["upload_id"], "conn": conn, "ids": ids}


def _fill(value: Any, world: dict[str, Any]) -> Any:
    if isinstance(value, str):
        return value.format(**{k: v for k, v in world.items() if isinstance(v, str)})
    if isinstance(value, dict):
        return {k: _fill(v, world) for k, v in value.items()}
    return value


def _snapshot(world: dict[str, Any]) -> dict[str, Any]:
    conn = ConnectionModel.get(A, world["connection_id"])
    return {
        "connection": (conn.status, conn.api_key_hint, conn.last_run_id, conn.label),
        "runs": sorted((r.run_id, r.status) for r in RunModel.query(world["connection_id"])),
        "transactions": sorted(t.tx_id for t in TransactionModel.query(A)),
        "annotations": sorted((a.tx_id, a.label, a.note) for a in AnnotationModel.query(f"{A}#1001")),
        "uploads": sorted(u.upload_id for u in UploadModel.query(A)),
    }


@pytest.mark.parametrize(("method", "path", "body", "query", "expect"), ROUTES,
                         ids=[f"{m} {p} {q or ''}" for m, p, _b, q, _e in ROUTES])
def test_user_b_cannot_reach_user_a(api, world, method, path, body, query, expect):
    before = _snapshot(world)
    starts = len(api.sync_starts)
    if body == "KEY_OF_A":  # B even knows A's key: B gets B's own connection, never A's
        body = {"api_key": world["conn"]["_api_key"], "api_secret": world["conn"]["_secret"],
                "start_sync": False}
    status, _headers, answer = api.raw(method, _fill(path, world), user=B, body=_fill(body, world),
                                      query=_fill(query, world))
    text = answer.decode() if isinstance(answer, bytes) else answer if isinstance(answer, str) \
        else json.dumps(answer)
    if expect == "404":
        assert status == 404, (status, answer)
        assert answer["error"]["code"].endswith("not_found")
    elif expect == "empty":
        assert status == 200 and answer["items"] == []
    elif expect == "csv-empty":
        assert status == 200 and len(text.strip().splitlines()) == 1
    elif expect == "own-201":
        assert status == 201 and answer["same_account_as"] == []
        assert answer["connection_id"] != world["connection_id"]
        # Leave B with nothing again, so the table's cases do not depend on their order.
        assert api.call("DELETE", f"/connections/{answer['connection_id']}", user=B)[0] == 200
    elif expect == "me":
        assert answer == {"user_id": B}
    sent = _fill(path, world) + json.dumps(_fill(query, world)) + json.dumps(_fill(body, world))
    for leak in (world["connection_id"], world["transaction_id"], world["upload_id"], "secret note", "mine"):
        if leak not in sent:  # echoing what B itself sent reveals nothing
            assert leak not in text, (leak, text)
    assert _snapshot(world) == before
    assert [s for s in api.sync_starts[starts:] if s[1] == world["connection_id"]] == []
