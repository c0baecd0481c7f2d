"""parse_statement on the embedded cloud: S3 put -> report, idempotency, uid check, merge."""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any
from urllib.parse import quote_plus

import pytest

from .helpers import UID, statement

ROWS = [
    ("2025-03-04 09:15:27", "Spot", "Transaction Spend", "USDT", "-250.00000000"),
    ("2025-03-04 09:15:27", "Spot", "Transaction Buy", "ETH", "0.11200000"),
    ("2025-03-04 09:15:27", "Spot", "Transaction Fee", "BNB", "-0.00031500"),
    ("2025-03-04 09:15:27", "Spot", "Transaction Spend", "USDT", "-100.00000000"),
    ("2025-03-04 09:15:27", "Spot", "Transaction Buy", "ETH", "0.04480000"),
    ("2025-03-04 09:15:27", "Spot", "Transaction Fee", "BNB", "-0.00012600"),
    ("2025-02-01 10:00:03", "Spot", "Deposit", "BTC", "0.05000000"),
    ("2025-02-11 16:44:51", "Spot", "Withdraw", "USDT", "-150.00000000", "Withdraw fee is included"),
    ("2025-02-13 00:33:45", "Spot", "Transfer Between Main and Funding Wallet", "USDT", "-500.00000000"),
    ("2025-02-13 00:33:45", "Funding", "Transfer Between Main and Funding Wallet", "USDT", "500.00000000"),
    ("2024-11-01 23:50:10", "Spot", "Launchpool Interest", "ACT", "12.11514705"),
    ("2025-03-12 08:00:02", "USD-MFutures", "Funding Fee", "USDT", "-0.07779065"),
    ("not a date", "Spot", "Deposit", "BTC", "1"),
    ("2025-03-12 08:00:03", "Spot", "Mystery Operation", "XYZ", "3"),
]
USER = "user-a"
CONN = "conn-1"


def _ensure_connection(uid: str = UID) -> None:
    from binsync.storage.models import ConnectionModel

    ConnectionModel(USER, CONN, binance_uid=uid, secret_name="s", created_at=int(time.time() * 1000)).save()


def _create_upload(upload_id: str, file_name: str = "statement.csv", uid: str = UID) -> str:
    from binsync.storage.models import UploadModel

    key = f"uploads/{USER}/{upload_id}/{file_name}"
    UploadModel(USER, upload_id, connection_id=CONN, binance_uid=uid, file_name=file_name, s3_key=key,
                created_at=int(time.time() * 1000)).save()
    return key


def _items() -> list[Any]:
    from binsync.storage.models import TransactionModel

    return list(TransactionModel.query(USER))


def _report(upload_id: str) -> tuple[str, dict[str, Any]]:
    from binsync.storage.models import UploadModel

    upload = UploadModel.get(USER, upload_id)
    return upload.status, upload.report


def _s3_event(bucket: str, key: str, etag: str = "abc") -> dict[str, Any]:
    return {"Records": [{
        "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1",
        "eventTime": "2026-01-01T00:00:00.000Z", "eventName": "ObjectCreated:Put",
        "s3": {"s3SchemaVersion": "1.0", "bucket": {"name": bucket, "arn": f"arn:aws:s3:::{bucket}"},
               "object": {"key": quote_plus(key), "size": 10, "eTag": etag, "sequencer": "1"}},
    }]}


def test_upload_is_parsed_stored_and_reported(cloud: Any) -> None:
    _ensure_connection()
    key = _create_upload("u-1", "My statement.csv")
    cloud.put_upload(key, statement(ROWS))
    status, report = _report("u-1")
    assert status == "done", report
    assert report["rows"] == 14 and report["rejected_count"] == 1
    reason = "bad date 'not a date' (expected YYYY-MM-DD HH:MM:SS)"
    assert report["rejected"] == [{"line": 14, "reason": reason}]
    assert report["unknown_operations"] == {"Mystery Operation": 1}
    assert report["period"] == {"from": "2024-11-01 23:50:10", "to": "2025-03-12 08:00:03"}
    assert report["transactions"] == report["imported"] == 7
    items = _items()
    assert len(items) == 7
    assert {i.source_kind for i in items} == {"statement"}
    assert all(i.file_account_key == f"{USER}#{UID}" for i in items)
    # conservation on what was stored
    sums: dict[tuple[str, str], Decimal] = {}
    for item in items:
        for leg in item.body["legs"]:
            key = (leg["asset"], leg["wallet"])
            sums[key] = sums.get(key, Decimal(0)) + Decimal(leg["amount"])
    expected = {f"{s['asset']}|{s['wallet']}": Decimal(s["change"]) for s in report["sums"]}
    assert {f"{a}|{w}": v for (a, w), v in sums.items()} == expected


def test_redelivery_and_reupload_change_nothing(cloud: Any) -> None:
    _ensure_connection()
    key = _create_upload("u-1")
    cloud.put_upload(key, statement(ROWS))
    before = sorted((i.sk, str(i.body)) for i in _items())
    # the same S3 event delivered again
    cloud.invoke("parse_statement", _s3_event(cloud.uploads_bucket, key))
    cloud.invoke("parse_statement", _s3_event(cloud.uploads_bucket, key))
    # the same file uploaded again under a new upload
    key2 = _create_upload("u-2")
    cloud.put_upload(key2, statement(ROWS))
    status, report = _report("u-2")
    assert status == "done"
    assert report["imported"] == 0 and report["already_present"] == 7
    assert sorted((i.sk, str(i.body)) for i in _items()) == before


def test_statement_of_another_account_is_rejected(cloud: Any) -> None:
    _ensure_connection()
    key = _create_upload("u-1")
    cloud.put_upload(key, statement(ROWS, uid="999"))
    status, report = _report("u-1")
    assert status == "failed"
    assert "User_ID 999" in report["error"] and UID in report["error"]
    assert _items() == []


def test_legacy_six_columns_have_no_uid(cloud: Any) -> None:
    key = _create_upload("u-9", "legacy.csv", uid="")
    cloud.put_upload(key, statement(ROWS[:3], columns=6))
    status, report = _report("u-9")
    assert status == "done"
    assert report["transactions"] == 1


def test_not_a_statement_fails_with_a_reason(cloud: Any) -> None:
    key = _create_upload("u-1", "trades.csv")
    trade_export = b"Date(UTC),Pair,Side,Price,Executed,Amount,Fee\n2025-01-01 00:00:00,BTCUSDT,BUY,1,1,1,0\n"
    cloud.put_upload(key, trade_export)
    status, report = _report("u-1")
    assert status == "failed" and "not a Binance statement" in report["error"]


@pytest.mark.parametrize("bad_key", ["uploads/only-two", "uploads/a/b/c/d"])
def test_keys_outside_the_layout_are_ignored(cloud: Any, bad_key: str) -> None:
    cloud.put_upload(bad_key, statement(ROWS))
    assert _items() == []
