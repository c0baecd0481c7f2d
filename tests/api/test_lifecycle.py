"""Self-service recovery (revalidate / rotate) and deletion that keeps annotations."""

from __future__ import annotations

from binsync.storage.models import AnnotationModel, ConnectionModel, TransactionModel, account_key


def _disable(user: str, connection_id: str, reason: str = "Binance rejected the API key") -> None:
    conn = ConnectionModel.get(user, connection_id)
    conn.update(actions=[ConnectionModel.status.set("disabled"), ConnectionModel.status_reason.set(reason)])


def test_revalidate_after_the_fix_reenables_at_once_and_starts_an_incremental_sync(api):
    conn = api.register()
    cid = conn["connection_id"]
    api.finish_runs(cid)
    _disable("user-a", cid)
    key = api.fake.keys[conn["_api_key"]]

    key.restrictions["enableReading"] = False  # not fixed yet
    status, body = api.call("POST", f"/connections/{cid}/revalidate")
    assert status == 422
    assert [d["code"] for d in body["error"]["details"]] == ["cannot_read"]
    status, view = api.call("GET", f"/connections/{cid}")
    assert view["status"] == "disabled" and "Enable Reading" in view["status_reason"]

    key.restrictions["enableReading"] = True  # the user fixed the key in Binance
    starts = len(api.sync_starts)
    status, body = api.call("POST", f"/connections/{cid}/revalidate")
    assert status == 200, body
    assert body["status"] == "active" and body["status_reason"] is None
    assert api.sync_starts[starts:] == [("user-a", cid, "incremental", "revalidate")]
    assert body["current_run"]["mode"] == "incremental"


def test_a_disabled_connection_cannot_sync_until_revalidated(api):
    conn = api.register()
    cid = conn["connection_id"]
    api.finish_runs(cid)
    _disable("user-a", cid, "The API key was deleted in Binance.")
    status, body = api.call("POST", f"/connections/{cid}/syncs", body={"mode": "incremental"})
    assert status == 409
    assert body["error"]["code"] == "connection_not_active"
    assert "revalidate" in body["error"]["message"]


def test_a_second_sync_while_one_runs_is_a_409(api):
    cid = api.register()["connection_id"]
    status, body = api.call("POST", f"/connections/{cid}/syncs", body={"mode": "full"})
    assert status == 409 and body["error"]["code"] == "sync_running"
    api.finish_runs(cid)
    status, body = api.call("POST", f"/connections/{cid}/syncs", body={"mode": "since_last"})
    assert status == 202 and body["mode"] == "since_last"
    status, runs = api.call("GET", f"/connections/{cid}/syncs")
    assert [r["mode"] for r in runs["items"]] == ["since_last", "full"]
    status, run = api.call("GET", f"/connections/{cid}/syncs/{body['run_id']}")
    assert status == 200 and run["run_id"] == body["run_id"]


def test_rotate_keys_checks_the_new_key_and_keeps_the_account(api):
    conn = api.register(uid=42)
    cid = conn["connection_id"]
    api.finish_runs(cid)
    _disable("user-a", cid)

    other_key, other_secret = api.fake.add_key(uid=43)
    status, body = api.call("PUT", f"/connections/{cid}/keys", body={"api_key": other_key,
                                                                      "api_secret": other_secret})
    assert status == 409 and body["error"]["code"] == "different_account"

    bad_key, bad_secret = api.fake.add_key(uid=42, enableWithdrawals=True)
    status, body = api.call("PUT", f"/connections/{cid}/keys",
                            body={"api_key": bad_key, "api_secret": bad_secret})
    assert status == 422 and body["error"]["details"][0]["code"] == "withdrawals_enabled"

    new_key, new_secret = api.fake.add_key(uid=42)
    status, body = api.call("PUT", f"/connections/{cid}/keys",
                            body={"api_key": new_key, "api_secret": new_secret})
    assert status == 200, body
    assert body["status"] == "active" and body["api_key_hint"] == new_key[-4:]
    from binsync.connections.secrets import load_credentials

    stored = load_credentials(ConnectionModel.get("user-a", cid).secret_name, force_fetch=True)
    assert (stored.api_key, stored.secret) == (new_key, new_secret)


def _annotate(api, tx_id: str, **body) -> dict:
    status, answer = api.call("PATCH", f"/transactions/{tx_id}", body=body)
    assert status == 200, answer
    return answer


def test_delete_then_readd_the_same_account_brings_the_annotations_back(api):
    conn = api.register(uid=900)
    cid = conn["connection_id"]
    api.finish_runs(cid)
    ids = api.seed_transactions("user-a", "900", 6, connection_id=cid)
    statement_ids = api.seed_transactions("user-a", "900", 2, source="statement", start_ms=1_500_000_000_000)
    _annotate(api, ids[0], label="gift", note="from mum", prices=[{"asset": "BTC", "price": "25000.12"}])
    _annotate(api, ids[3], label="Airdrop")

    status, preview = api.call("GET", f"/connections/{cid}/deletion-preview")
    assert status == 200
    assert preview["dry_run"] is True and preview["deleted"] is False
    assert preview["transactions"]["deleted"] == 6
    assert preview["transactions"]["kept_other_sources"] == 2
    assert preview["annotations"] == {"count": 2, "purged": 0, "note": preview["annotations"]["note"]}
    assert api.call("GET", f"/connections/{cid}")[0] == 200  # a preview deletes nothing

    status, dry = api.call("DELETE", f"/connections/{cid}", query={"dry_run": "true"})
    assert status == 200 and dry["deleted"] is False
    assert api.call("GET", f"/connections/{cid}")[0] == 200

    status, report = api.call("DELETE", f"/connections/{cid}")
    assert status == 200 and report["deleted"] is True and report["transactions"]["deleted"] == 6
    assert api.call("GET", f"/connections/{cid}")[0] == 404
    remaining = {t.tx_id for t in TransactionModel.query("user-a")}
    assert remaining == set(statement_ids)  # statement data is not the key's to delete
    import boto3
    from binsync.connections.secrets import secret_name

    sm = boto3.client("secretsmanager")
    assert not [s for s in sm.list_secrets()["SecretList"] if s["Name"] == secret_name("user-a", cid)]

    # A new key of the same Binance account; the sync stores the same deterministic ids again.
    again = api.register(uid=900)
    api.seed_transactions("user-a", "900", 6, connection_id=again["connection_id"])
    status, tx = api.call("GET", f"/transactions/{ids[0]}")
    assert tx["annotation"]["label"] == "gift" and tx["annotation"]["note"] == "from mum"
    assert tx["annotation"]["prices"] == [{"asset": "BTC", "price": "25000.12", "currency": "EUR"}]
    assert api.call("GET", f"/transactions/{ids[3]}")[1]["annotation"]["label"] == "Airdrop"


def test_purge_really_purges(api):
    conn = api.register(uid=901)
    cid = conn["connection_id"]
    api.finish_runs(cid)
    ids = api.seed_transactions("user-a", "901", 3, connection_id=cid)
    _annotate(api, ids[1], note="keep me?")
    status, preview = api.call("GET", f"/connections/{cid}/deletion-preview",
                               query={"purge_annotations": "true"})
    assert preview["annotations"]["purged"] == 1
    status, report = api.call("DELETE", f"/connections/{cid}", query={"purge_annotations": "true"})
    assert status == 200 and report["annotations"]["purged"] == 1
    assert list(AnnotationModel.query(account_key("user-a", "901"))) == []

    again = api.register(uid=901)
    api.seed_transactions("user-a", "901", 3, connection_id=again["connection_id"])
    assert api.call("GET", f"/transactions/{ids[1]}")[1]["annotation"] is None


def test_deleting_one_of_two_keys_of_an_account_keeps_its_data(api):
    first = api.register(uid=902)
    second = api.register(uid=902)
    api.finish_runs(first["connection_id"])
    api.finish_runs(second["connection_id"])
    ids = api.seed_transactions("user-a", "902", 4, connection_id=first["connection_id"])
    _annotate(api, ids[0], label="x")
    status, report = api.call("DELETE", f"/connections/{first['connection_id']}",
                              query={"purge_annotations": "true"})
    assert status == 200
    assert report["same_account_as"] == [second["connection_id"]]
    assert report["transactions"]["deleted"] == 0 and report["annotations"]["purged"] == 0
    assert len(list(TransactionModel.query("user-a"))) == 4
    assert api.call("GET", f"/transactions/{ids[0]}")[1]["annotation"]["label"] == "x"
    assert api.call("GET", f"/connections/{second['connection_id']}")[1]["same_account_as"] == []


def test_idempotency_key_makes_a_retried_start_answer_the_same_run(api):
    cid = api.register(start_sync=False)["connection_id"]
    headers = {"Idempotency-Key": "retry-1"}
    status, first = api.call("POST", f"/connections/{cid}/syncs", body={"mode": "full"}, headers=headers)
    assert status == 202, first
    status, again = api.call("POST", f"/connections/{cid}/syncs", body={"mode": "full"}, headers=headers)
    assert status == 202 and again["run_id"] == first["run_id"]
    assert len(api.sync_starts) == 1
    status, other = api.call("POST", f"/connections/{cid}/syncs", body={"mode": "full"},
                             headers={"Idempotency-Key": "retry-2"})
    assert status == 409 and other["error"]["code"] == "sync_running"


def test_deleting_a_connection_removes_its_coverage_ledger(api):
    """Issue 15: the ledger says what this key proved read; it goes with the connection, and a
    key added again later starts from nothing proven (another connection's ledger stays)."""
    from binsync.storage.models import CoverageModel
    from binsync.sync import ledger

    gone = api.register(uid=903)["connection_id"]
    kept = api.register(uid=904)["connection_id"]
    for cid in (gone, kept):
        api.finish_runs(cid)
        ledger.record_statement(cid, "spot", 1_600_000_000_000, 1_700_000_000_000, upload_id="u1")
        ledger.declare_user_files(ledger.load(cid), 1_700_000_000_000, run_id="r1")
    assert len(list(CoverageModel.query(gone))) == 2
    status, _ = api.call("DELETE", f"/connections/{gone}")
    assert status == 200
    assert list(CoverageModel.query(gone)) == []
    assert {item.scope for item in CoverageModel.query(kept)} == {"statement|spot", ledger.USER_FILES_SCOPE}
