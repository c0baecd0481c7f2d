"""DynamoDB served from a child process: the handlers' clients go there, and back after."""

from __future__ import annotations

import os
from decimal import Decimal

from binsync.model import Leg, Source, Transaction, transaction_id
from binsync.storage import writer
from binsync.storage.models import TransactionModel


def _tx() -> Transaction:
    return Transaction(id=transaction_id("42", "api", "deposit:1"), account="42", time_ms=1_600_000_000_000,
                       kind="deposit", legs=(Leg("BTC", Decimal("1.5"), "spot", "in"),),
                       source=Source("api", "wallet.deposits", "deposit:1"))


def test_dynamodb_lives_in_its_own_process_while_the_cloud_runs(cloud_factory):
    from moto.dynamodb.models import dynamodb_backends

    cloud = cloud_factory(dynamodb_process=True)
    url = os.environ["AWS_ENDPOINT_URL_DYNAMODB"]
    assert url.startswith("http://127.0.0.1:") and cloud._dynamodb.url == url
    assert cloud.resources["TransactionsTable"].name in cloud.client("dynamodb").list_tables()["TableNames"]
    in_process = dynamodb_backends[cloud.stack.account_id][cloud.region].tables
    assert not in_process  # nothing of the stack in this interpreter's moto

    assert writer.write_transactions([_tx()], user_id="u1").new == 1
    assert [item.tx_id for item in TransactionModel.query("u1")] == [_tx().id]

    cloud_factory()  # the next cloud (in-process) stops this one
    assert "AWS_ENDPOINT_URL_DYNAMODB" not in os.environ
    assert list(TransactionModel.query("u1")) == []  # pynamodb reconnected to the in-process tables
    assert writer.write_transactions([_tx()], user_id="u1").new == 1
