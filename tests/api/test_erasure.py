"""Deleting your own data (issue 18): an upload, the statement-sourced transactions, and the
connection id left on kept items."""

from __future__ import annotations

from binsync.storage.models import TransactionModel, UploadModel, account_key

UID = "354937868"


def _as_file_items(user: str) -> None:
    """Mark the seeded statement items as parse_statement stores them (the sparse by_file key)."""
    for tx in TransactionModel.query(user):
        if tx.source_kind == "statement":
            tx.update(actions=[TransactionModel.file_account_key.set(account_key(user, UID))])


def _upload(api, connection_id: str) -> str:
    status, ticket = api.call("POST", "/uploads", body={"connection_id": connection_id,
                                                        "file_name": "statement.csv", "size": 10})
    assert status == 201, ticket
    upload = UploadModel.get("user-a", ticket["upload_id"])
    api.cloud.put_upload(upload.s3_key, b"x" * 10)
    return ticket["upload_id"]


def test_delete_an_upload_removes_its_file_and_record_and_keeps_transactions(api):
    connection = api.register()
    api.seed_transactions("user-a", UID, 3, source="statement", connection_id=connection["connection_id"])
    upload_id = _upload(api, connection["connection_id"])
    status, report = api.call("DELETE", f"/uploads/{upload_id}")
    assert status == 200, report
    assert report["deleted"] and report["transactions_deleted"] == 0
    assert api.call("GET", f"/uploads/{upload_id}")[0] == 404
    listed = api.cloud.client("s3").list_objects_v2(Bucket=api.cloud.uploads_bucket).get("Contents", [])
    assert listed == []
    assert len(api.call("GET", "/transactions")[1]["items"]) == 3
    assert api.call("DELETE", f"/uploads/{upload_id}", user="user-b")[0] == 404


def test_erase_the_statement_sourced_transactions_of_the_account(api):
    connection = api.register()
    api.seed_transactions("user-a", UID, 3, source="statement", connection_id=connection["connection_id"])
    api_ids = api.seed_transactions("user-a", UID, 2, source="api", connection_id=connection["connection_id"],
                                    start_ms=1_650_000_000_000)
    _as_file_items("user-a")
    upload_id = _upload(api, connection["connection_id"])
    status, report = api.call("DELETE", f"/uploads/{upload_id}", query={"erase_transactions": "true"})
    assert status == 200, report
    assert report["transactions_deleted"] == 3
    assert [t["id"] for t in api.call("GET", "/transactions")[1]["items"]] == api_ids


def test_kept_items_no_longer_carry_a_deleted_connection_id(api):
    connection = api.register()
    cid = connection["connection_id"]
    api.seed_transactions("user-a", UID, 2, source="statement", connection_id=cid)
    api.finish_runs(cid)
    status, _ = api.call("DELETE", f"/connections/{cid}")
    assert status == 200
    items = api.call("GET", "/transactions")[1]["items"]
    assert len(items) == 2
    assert all(item["connection_id"] != cid for item in items)


def test_a_ticket_never_put_expires(api):
    from binsync.transactions import uploads

    connection = api.register()
    status, ticket = api.call("POST", "/uploads", body={"connection_id": connection["connection_id"],
                                                        "file_name": "statement.csv", "size": 10})
    assert status == 201
    assert api.call("GET", f"/uploads/{ticket['upload_id']}")[1]["status"] == "waiting"
    upload = UploadModel.get("user-a", ticket["upload_id"])
    upload.update(actions=[UploadModel.created_at.set(upload.created_at
                                                      - (uploads.EXPIRED_AFTER_S + 1) * 1000)])
    _, body = api.call("GET", f"/uploads/{ticket['upload_id']}")
    assert body["status"] == "expired" and "POST /uploads" in body["report"]["error"]
    assert api.call("GET", "/uploads")[1]["items"][0]["status"] == "expired"
