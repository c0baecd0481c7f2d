"""`binsync serve-api`: the HTTP front (bearer token -> user), and a property-based run of
openapi.json against it (schemathesis): no 5xx, and every response matches the document."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from api_support import Api, FakeBinance
from binsync_local.cli.serve_api_cmd import ApiServer, TokenMap
from hypothesis import HealthCheck, settings

ROOT = Path(__file__).resolve().parents[2]
schema = schemathesis.openapi.from_path(str(ROOT / "openapi.json"))
TOKENS = {"tok-fuzz": "fuzz", "tok-other": "other"}
AUTH = {"Authorization": "Bearer tok-fuzz"}


@pytest.fixture(scope="module")
def served() -> Iterator[dict[str, Any]]:
    from binsync_local.cloud import LocalCloud

    fake = FakeBinance()
    with pytest.MonkeyPatch.context() as mp, LocalCloud(egress_ips=2, fast_retries=True) as cloud:
        mp.setattr("binsync.connections.registration.default_fetcher", fake.factory)
        mp.setenv("UPLOADS_PUBLIC_ENDPOINT", cloud.serve(0))  # as `binsync serve-api` does
        helper = Api(cloud, fake, mp)
        helper.stub_sync()
        conn = helper.register(user="fuzz", uid=4242)
        helper.finish_runs(conn["connection_id"])
        ids = helper.seed_transactions("fuzz", "4242", 12, connection_id=conn["connection_id"])
        helper.call("PATCH", f"/transactions/{ids[0]}", user="fuzz",
                    body={"label": "x", "prices": [{"asset": "BTC", "price": "1.5"}]})
        helper.call("POST", "/uploads", user="fuzz", body={"connection_id": conn["connection_id"],
                                                           "file_name": "a.csv", "size": 5})
        # A tokens file, as a shared local server would use: only listed tokens are accepted.
        with ApiServer(cloud, TokenMap(TOKENS)) as server:
            yield {"url": server.url, "cloud": cloud, "connection_id": conn["connection_id"], "ids": ids}


def test_bearer_token_maps_to_the_user_and_no_token_never_reaches_the_handler(served):
    url = served["url"]
    assert requests.get(f"{url}/me", headers=AUTH, timeout=10).json() == {"user_id": "fuzz"}
    for headers in ({}, {"Authorization": "Basic abc"}, {"Authorization": "Bearer fuzz"},
                    {"Authorization": "Bearer tok-nobody"}):
        answer = requests.get(f"{url}/connections", headers=headers, timeout=10)
        assert answer.status_code == 401 and answer.json() == {"message": "Unauthorized"}
    mine = requests.get(f"{url}/connections", headers=AUTH, timeout=10).json()
    theirs = requests.get(f"{url}/connections", headers={"Authorization": "Bearer tok-other"},
                          timeout=10).json()
    assert len(mine["items"]) == 1 and theirs["items"] == []


def test_token_maps(tmp_path):
    path = tmp_path / "tokens.json"
    path.write_text(json.dumps({"s3cr3t-token-of-alice": "alice"}))
    tokens = TokenMap.from_file(str(path))
    assert tokens.user("Bearer s3cr3t-token-of-alice") == "alice"
    assert tokens.user("Bearer alice") is None and tokens.user(None) is None
    default = TokenMap()  # without a file the token is the user id
    assert default.user("Bearer alice") == "alice" and default.user("bearer bob") == "bob"
    assert default.user("Bearer a/b") is None and default.user("Bearer a#b") is None


def test_stage_prefix_and_swagger_ui(served):
    url, auth = served["url"], AUTH
    assert requests.get(f"{url}/dev/connections", headers=auth, timeout=10).json()["items"]
    page = requests.get(f"{url}/swagger", timeout=30)  # a browser opens it without a token
    assert page.status_code == 200 and "text/html" in page.headers["Content-Type"]
    assert "swagger" in page.text.lower() and "/connections" in page.text
    spec = requests.get(f"{url}/swagger", params={"format": "json"}, headers=auth, timeout=30).json()
    assert "/transactions/{transaction_id}" in spec["paths"]


def test_csv_export_over_http(served):
    answer = requests.get(f"{served['url']}/exports/waltio.csv", headers=AUTH, timeout=30)
    assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("text/csv")
    assert answer.content.decode("utf-8").startswith("Type,Date,Fuseau horaire,Montant reçu")


def test_upload_through_the_presigned_url_is_parsed(served):
    """POST /uploads, PUT the file to the URL with the given headers, read the report."""
    import time

    url = served["url"]
    data = (b"User_ID,UTC_Time,Account,Operation,Coin,Change,Remark\n"
            b"4242,2024-01-01 00:00:00,Spot,Deposit,BTC,0.1,\n")
    ticket = requests.post(f"{url}/uploads", headers=AUTH, timeout=30, json={
        "connection_id": served["connection_id"], "file_name": "statement.csv", "size": len(data)}).json()
    assert "/uploads/fuzz/" in ticket["upload_url"] and ticket["headers"]["Content-Length"] == str(len(data))
    put = requests.put(ticket["upload_url"], data=data, headers=ticket["headers"], timeout=30)
    assert put.status_code == 200
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        upload = requests.get(f"{url}/uploads/{ticket['upload_id']}", headers=AUTH, timeout=30).json()
        if upload["status"] in ("done", "failed"):
            break
        time.sleep(0.2)
    assert upload["status"] == "done", upload
    assert upload["report"]["imported"] == 1


def test_a_put_of_another_size_or_type_is_refused_as_s3_refuses_it(served):
    """The URL signs Content-Length and Content-Type: S3 answers 403 SignatureDoesNotMatch to a
    PUT that sends others (moto alone accepts it); the upload stays `waiting`, nothing parsed."""
    url = served["url"]
    data = b"User_ID,UTC_Time,Account,Operation,Coin,Change,Remark\n"
    ticket = requests.post(f"{url}/uploads", headers=AUTH, timeout=30, json={
        "connection_id": served["connection_id"], "file_name": "s.csv", "size": len(data)}).json()
    larger = requests.put(ticket["upload_url"], data=data + b"4242,x\n",
                          headers={"Content-Type": ticket["headers"]["Content-Type"]}, timeout=30)
    other_type = requests.put(ticket["upload_url"], data=data,
                              headers={**ticket["headers"], "Content-Type": "application/zip"}, timeout=30)
    for refused in (larger, other_type):
        assert refused.status_code == 403 and b"<Code>SignatureDoesNotMatch</Code>" in refused.content
    upload = requests.get(f"{url}/uploads/{ticket['upload_id']}", headers=AUTH, timeout=30).json()
    assert upload["status"] == "waiting"
    s3 = served["cloud"].client("s3")
    assert s3.list_objects_v2(Bucket=served["cloud"].uploads_bucket,
                              Prefix=f"uploads/fuzz/{ticket['upload_id']}").get("KeyCount") == 0
    put = requests.put(ticket["upload_url"], data=data, headers=ticket["headers"], timeout=30)
    assert put.status_code == 200  # the signed size and type are accepted


def test_an_expired_presigned_url_is_refused(monkeypatch):
    from binsync_local.cloud.s3_presign import refusal

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    environ = {"REQUEST_METHOD": "PUT", "PATH_INFO": "/b/k", "HTTP_HOST": "h",
               "QUERY_STRING": "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=testing%2F20260101%2F"
               "us-east-1%2Fs3%2Faws4_request&X-Amz-Date=20260101T000000Z&X-Amz-Expires=900"
               "&X-Amz-SignedHeaders=host&X-Amz-Signature=00"}
    assert refusal(environ, now=datetime(2026, 1, 1, 0, 16, tzinfo=UTC).timestamp()) == (
        "AccessDenied", "Request has expired")
    in_time = refusal(environ, now=datetime(2026, 1, 1, 0, 14, tzinfo=UTC).timestamp())
    assert in_time is not None and in_time[0] == "SignatureDoesNotMatch"


@schema.parametrize()
@settings(max_examples=6, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
def test_openapi_property_based(case, served):
    """Generated requests (valid and invalid) for every operation: never a 5xx, and every
    answer matches the document (status, content type, headers, body schema); invalid auth and
    undeclared methods are refused.

    Excluded: positive_data_acceptance, which expects every schema-valid request to succeed; a
    schema-valid body can still be refused on meaning (an API key Binance does not know, a
    cursor this API did not issue), with a documented 4xx."""
    from schemathesis.checks import positive_data_acceptance

    case.call_and_validate(base_url=served["url"], headers=AUTH, timeout=30,
                           excluded_checks=[positive_data_acceptance])


def test_the_favicon_needs_no_token(served):
    assert requests.get(f"{served['url']}/favicon.ico", timeout=10).status_code == 204


def test_serve_api_prints_a_second_key_of_the_emulated_account():
    from binsync_local.cli.serve_api_cmd import emulator_info
    from binsync_local.emulator import EmulatorServer, generate_account

    with EmulatorServer(generate_account("small", 1), time_scale=60) as emulator:
        info = emulator_info(emulator)
    first, second = info["emulator"], info["emulator_second_key"]
    assert second["api_key"] != first["api_key"] and second["api_secret"] != first["api_secret"]
    assert second["api_key"] in {k.api_key for k in emulator.account.keys}
