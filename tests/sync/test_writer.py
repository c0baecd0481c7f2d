"""Idempotent writer: unprocessed items are retried, a record is stored once, merges survive."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from binsync.model import Leg, Source, Transaction, transaction_id
from binsync.storage import writer
from binsync.storage.models import TransactionModel, account_key


def _tx(n: int, amount: str = "1.5") -> Transaction:
    return Transaction(id=transaction_id("42", "api", f"deposit:{n}"), account="42",
                       time_ms=1_600_000_000_000 + n, kind="deposit",
                       legs=(Leg("BTC", Decimal(amount), "spot", "in"),),
                       source=Source("api", "wallet.deposits", f"deposit:{n}",
                                     {"id": n, "amount": Decimal(amount)}))


class StubDynamo:
    """BatchWriteItem that leaves the first `hold_back` items of each call unprocessed `times` times."""

    def __init__(self, times: int, hold_back: int = 3):
        self.calls: list[int] = []
        self.times = times
        self.hold_back = hold_back
        self.stored: list[dict] = []

    def batch_write_item(self, RequestItems):  # boto3's parameter name
        (table, requests), = RequestItems.items()
        assert len(requests) <= writer.BATCH_WRITE_MAX
        self.calls.append(len(requests))
        if self.times > 0:
            self.times -= 1
            self.stored.extend(requests[self.hold_back:])
            return {"UnprocessedItems": {table: requests[:self.hold_back]}}
        self.stored.extend(requests)
        return {"UnprocessedItems": {}}


def test_unprocessed_items_are_retried_with_backoff_until_written():
    stub = StubDynamo(times=2)
    sleeps: list[float] = []
    requests = [{"PutRequest": {"Item": {"sk": {"S": str(i)}}}} for i in range(60)]
    writer.batch_write(requests, client=stub, table="t", sleep=sleeps.append)
    assert stub.calls[:3] == [25, 3, 3]  # chunk of 25, then only the unprocessed ones
    assert sorted(int(r["PutRequest"]["Item"]["sk"]["S"]) for r in stub.stored) == list(range(60))
    assert len(sleeps) == 2 and sleeps[1] > 0


def test_unprocessed_items_that_never_go_through_raise_a_retryable_error():
    stub = StubDynamo(times=10**6)
    with pytest.raises(writer.UnprocessedItemsError):
        writer.batch_write([{"PutRequest": {"Item": {"sk": {"S": "1"}}}}] * 4, client=stub, table="t",
                           sleep=lambda s: None)
    assert len(stub.calls) == writer.MAX_ATTEMPTS


def test_writes_are_idempotent_and_keep_merged_sources(cloud):
    txs = [_tx(n) for n in range(30)] + [_tx(3)]  # a page repeating a record
    first = writer.write_transactions(txs, user_id="u1", connection_id="c1")
    assert (first.new, first.updated, first.unchanged) == (30, 0, 0)
    items = list(TransactionModel.by_account.query(account_key("u1", "42")))
    assert len(items) == 30
    assert items[0].body["source"]["raw"]["amount"] == "1.5"  # Decimal kept exact, as a string

    # Another source merged into a stored item; a resync must not drop that.
    item = items[0]
    item.update(actions=[TransactionModel.merged_from.set(["statement:abc"])])
    again = writer.write_transactions([_tx(n) for n in range(30)], user_id="u1", connection_id="c1")
    assert (again.new, again.updated, again.unchanged) == (0, 0, 30)
    corrected = Transaction(id=item.tx_id, account="42", time_ms=int(item.time_ms), kind="deposit",
                            legs=(Leg("BTC", Decimal("2"), "spot", "in"),),
                            source=Source("api", "wallet.deposits", "deposit:0"))
    changed = writer.write_transactions([corrected], user_id="u1")
    assert changed.updated == 1
    reread = TransactionModel.get("u1", item.sk)
    assert reread.merged_from == ["statement:abc"] and reread.body["legs"][0]["amount"] == "2"
    assert len(list(TransactionModel.by_account.query(account_key("u1", "42")))) == 30
    # Another user's identical record is a separate item (isolation).
    writer.write_transactions([_tx(1)], user_id="u2")
    assert len(list(TransactionModel.query("u2"))) == 1


@pytest.mark.parametrize(("kind", "connection_id", "merged_from"), [
    ("api", "c1", []), ("api", None, ["statement:up-1"]), ("statement", None, ["api:x", "api:y"])])
def test_items_are_written_exactly_as_the_transaction_model_stores_them(kind, connection_id, merged_from):
    base = _tx(7, "0.000000012345678901")
    tx = Transaction(id=base.id, account="42", time_ms=base.time_ms, kind="trade",
                     legs=(Leg("ETH", Decimal("-2"), "spot", "out"), Leg("BTC", Decimal("0.1"), "spot", "in"),
                           Leg("BNB", Decimal("-0.001"), "spot", "fee"),
                           Leg("BTC", Decimal("0"), "earn", "in")),
                     source=Source(kind, "up-1" if kind == "statement" else "spot.my_trades", "n:7",
                                   {"id": 2**63 - 1, "qty": Decimal("2.000")}))
    item = writer.item_of(tx, "u1", connection_id, merged_from=merged_from)
    model = TransactionModel.from_raw_data(item)
    assert model.serialize() == item  # nothing the model would add, drop or spell differently
    assert model.assets == ["BNB", "BTC", "ETH"] and model.wallets == ["earn", "spot"]
    assert model.account_key == account_key("u1", "42") and model.merged_from == merged_from
    assert (model.file_account_key is not None) == (kind != "api") and model.connection_id == connection_id
    assert model.body["source"]["raw"] == {"id": 2**63 - 1, "qty": "2"}  # exact, never a float
    assert Transaction.from_dict(model.body).legs == tx.legs


def test_table_clients_keep_a_connection_for_every_map_worker(cloud: Any) -> None:
    """The local cloud runs a sync's Map workers on threads of one process: a pool smaller
    than SyncMaxConcurrency closes and reopens a TCP connection for the calls beyond it."""
    import re
    from pathlib import Path

    from binsync.storage import clients
    from binsync.storage.models import ConnectionModel, TaskModel

    template = (Path(__file__).resolve().parents[2] / "template.yaml").read_text(encoding="utf-8")
    workers = int(re.search(r"SyncMaxConcurrency:\n\s+Type: Number\n\s+Default: (\d+)", template).group(1))
    for model in (TransactionModel, TaskModel, ConnectionModel):
        assert model._get_connection().connection.client.meta.config.max_pool_connections > workers
    assert clients.client("dynamodb").meta.config.max_pool_connections > workers
