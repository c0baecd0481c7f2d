"""Transactions over DynamoDB's 400 KB item limit are stored in full (issue 17 item 2)."""

from __future__ import annotations

import json
import time
from decimal import Decimal
from typing import Any

import pytest
from binsync.model import Leg, Source, Transaction, transaction_id
from binsync.storage import large_items, writer
from binsync.storage.models import TransactionModel

from tests.statement.helpers import UID, statement

USER = "user-a"


def _tx(n: int, raw: Any, legs: tuple[Leg, ...] | None = None) -> Transaction:
    return Transaction(id=transaction_id("42", "api", f"r:{n}"), account="42",
                       time_ms=1_600_000_000_000 + n, kind="deposit",
                       legs=legs or (Leg("BTC", Decimal("0.123456789012345678"), "spot", "in"),),
                       source=Source("api", "wallet.deposits", f"r:{n}", raw))


def test_a_raw_record_with_a_450_kb_field_is_stored_in_full_with_its_neighbours(cloud: Any) -> None:
    big = _tx(16, {"id": 16, "memo": "x" * 450_000})
    batch = [_tx(n, {"id": n}) for n in range(32) if n != 16] + [big]
    result = writer.write_transactions(batch, user_id=USER)
    assert result.new == 32
    items = {i.tx_id: i for i in TransactionModel.query(USER)}
    assert len(items) == 32
    stored = items[big.id].body
    assert stored["legs"] == [
        {"asset": "BTC", "amount": "0.123456789012345678", "wallet": "spot", "role": "in"}]
    full = large_items.full_body(stored)
    assert full["source"]["raw"]["memo"] == "x" * 450_000
    # a retried page finds it unchanged (same slim body, same object)
    again = writer.write_transactions(batch, user_id=USER)
    assert again.unchanged == 32 and again.new == 0


def test_a_dust_of_3000_coins_keeps_every_leg(cloud: Any) -> None:
    legs = tuple(Leg(f"C{i}", Decimal("-0.00000001"), "spot", "out") for i in range(3000))
    legs += (Leg("BNB", Decimal("0.03"), "spot", "in"),)
    raw = [{"fromAsset": f"C{i}", "amount": "0.00000001", "transferedAmount": "0.00001", "tranId": i}
           for i in range(3000)]
    dust = _tx(1, raw, legs)
    writer.write_transactions([dust], user_id=USER)
    (item,) = TransactionModel.query(USER)
    assert len(item.body["legs"]) == 3001
    assert sum(Decimal(leg["amount"]) for leg in item.body["legs"]) == Decimal("0.03") - Decimal("0.00003")
    assert large_items.full_body(item.body)["source"]["raw"] == raw


def test_legs_that_alone_exceed_an_item_fail_by_name_after_the_neighbours(cloud: Any) -> None:
    legs = tuple(Leg(f"COIN{i}", Decimal("-1.123456789"), "spot", "out") for i in range(6000))
    with pytest.raises(large_items.ItemTooLarge):
        writer.write_transactions([_tx(1, None, legs), _tx(2, {"id": 2})], user_id=USER)
    assert [i.tx_id for i in TransactionModel.query(USER)] == [_tx(2, None).id]


def test_3000_fills_in_one_second_are_imported_through_s3(cloud: Any) -> None:
    from binsync.storage.models import ConnectionModel, UploadModel

    rows = []
    for i in range(3000):
        rows += [("2025-03-04 09:15:27", "Spot", "Transaction Spend", "USDT", "-10.00000000"),
                 ("2025-03-04 09:15:27", "Spot", "Transaction Buy", "ETH", f"0.00{i % 10}40000"),
                 ("2025-03-04 09:15:27", "Spot", "Transaction Fee", "BNB", "-0.00001000")]
    ConnectionModel(USER, "c1", binance_uid=UID, secret_name="s", created_at=int(time.time() * 1000)).save()
    key = f"uploads/{USER}/u-1/statement.csv"
    UploadModel(USER, "u-1", connection_id="c1", binance_uid=UID, file_name="statement.csv", s3_key=key,
                created_at=int(time.time() * 1000)).save()
    cloud.put_upload(key, statement(rows))
    upload = UploadModel.get(USER, "u-1")
    assert upload.status == "done", upload.report
    (item,) = TransactionModel.query(USER)
    legs = {leg["asset"]: Decimal(leg["amount"]) for leg in item.body["legs"]}
    assert legs["USDT"] == Decimal("-30000") and legs["BNB"] == Decimal("-0.03")
    full = large_items.full_body(item.body)
    assert len(full["source"]["raw"]) == 9000 and len(json.dumps(full)) > 400_000


def test_a_task_failing_with_item_too_large_ends_the_run_as_item_too_large(cloud: Any) -> None:
    """Not SyncIncomplete (transient): the run names the transaction and says what to do."""
    from binsync.storage.models import ConnectionModel, RunModel, TaskModel
    from binsync.sync.finish import finish_run

    now = int(time.time() * 1000)
    ConnectionModel(USER, "c1", binance_uid=UID, secret_name="s", created_at=now).save()
    run_id = f"{now:013d}-ffff0001"
    RunModel("c1", run_id, user_id=USER, binance_uid=UID, mode="incremental", status="running",
             started_at=now, window_end=now).save()
    message = "transaction tx-9 at 1700000000000 has 6000 legs: 412345 bytes without its raw records"
    TaskModel(run_id, "t1", endpoint="spot.dust", status="failed",
              error={"type": "ItemTooLarge", "message": message}).save()
    TaskModel(run_id, "t2", endpoint="spot.deposits", status="done").save()
    result = finish_run(USER, "c1", run_id)
    assert (result["outcome"], result["error"]) == ("failed", "ItemTooLarge")
    error = RunModel.get("c1", run_id).error
    assert error["type"] == "ItemTooLarge" and "tx-9" in error["message"]
    assert "tx-9" in error["user_message"] and "syncing again will not fix it" in error["user_message"]
    assert json.loads(result["cause"])["type"] == "ItemTooLarge"
