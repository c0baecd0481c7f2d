"""Raw bodies over a DynamoDB item live in S3 (binsync.storage.large_items): the API serves them
in full and deleting the connection removes them (issue 17 item 2)."""

from __future__ import annotations

from decimal import Decimal

import boto3
from binsync.model import Leg, Source, Transaction, transaction_id
from binsync.storage import large_items, writer
from binsync.storage.models import TransactionModel


def _big_deposit(uid: str, n: int) -> Transaction:
    return Transaction(id=transaction_id(uid, "api", f"r:{n}"), account=uid, time_ms=1_600_000_000_000 + n,
                       kind="deposit", legs=(Leg("BTC", Decimal("0.5"), "spot", "in"),),
                       source=Source("api", "wallet.deposits", f"r:{n}", {"id": n, "memo": "x" * 450_000}))


def _versions(cloud, key: str) -> list:
    answer = boto3.client("s3").list_object_versions(Bucket=cloud.env["UPLOADS_BUCKET"], Prefix=key)
    return answer.get("Versions", []) + answer.get("DeleteMarkers", [])


def test_a_large_raw_body_is_served_in_full_and_removed_with_its_connection(api, cloud):
    conn = api.register(uid=900)
    cid = conn["connection_id"]
    api.finish_runs(cid)
    big = _big_deposit("900", 1)
    writer.write_transactions([big], user_id="user-a", connection_id=cid)
    stored = TransactionModel.get("user-a", next(iter(TransactionModel.query("user-a"))).sk).body
    key = stored["meta"]["full_body"]["s3_key"]
    assert key == large_items.body_key("user-a", big.id) and _versions(cloud, key)

    status, tx = api.call("GET", f"/transactions/{big.id}")
    assert status == 200
    assert tx["source"]["raw"]["memo"] == "x" * 450_000  # not the slim copy's null
    assert tx["legs"] == [{"asset": "BTC", "amount": "0.5", "wallet": "spot", "role": "in"}]

    status, report = api.call("DELETE", f"/connections/{cid}")
    assert status == 200 and report["transactions"]["deleted"] == 1
    assert _versions(cloud, key) == []  # every version, not a delete marker over it
