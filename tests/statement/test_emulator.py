"""Statements the emulator generates: conservation against the account's ledger, overlapping
yearly exports, and the full merge (API first, then the statement) on the embedded cloud."""

from __future__ import annotations

import io
import os
from collections import Counter
from decimal import Decimal
from typing import Any

import pytest
from binsync.model import Transaction
from binsync.statement.events import legs_sum

from .helpers import nonzero, parse

SEEDS = (1, 2, 3)


def _account(seed: int) -> Any:
    from binsync_local.emulator.generator import generate_account

    return generate_account("small", seed)


def _statement(account: Any, **window: Any) -> bytes:
    from binsync_local.emulator.statement import write_statement

    buf = io.StringIO()
    write_statement(account, buf, **window)
    return buf.getvalue().encode()


@pytest.mark.parametrize("seed", SEEDS)
def test_legs_equal_change_sums_equal_the_ledger(seed: int) -> None:
    account = _account(seed)
    txs, stats = parse(_statement(account))
    assert stats.rejected_count == 0 and stats.unknown_operations == {}
    assert stats.uid == str(account.uid)
    truth = account.truth().balances()
    # 2024+ exports write each Simple Earn reward twice (a record on Earn, the payment): the
    # records move no balance, and every one of them finds its payment in the whole file
    assert nonzero(legs_sum(txs)) == nonzero(stats.balance_sums()) == truth
    records = stats.reward_records
    assert records.records > 0 and records.paid_in_file == records.records and records.unpaid == 0
    assert len({tx.id for tx in txs}) == len(txs)
    kinds = Counter(tx.kind for tx in txs)
    assert kinds["other"] == 0 and kinds["trade"] > 0


@pytest.mark.parametrize("seed", SEEDS[:2])
def test_overlapping_yearly_exports_give_the_ids_of_the_whole_file(seed: int) -> None:
    from datetime import UTC, datetime

    from binsync_local.emulator.statement import years

    account = _account(seed)
    whole = {tx.id for tx in parse(_statement(account))[0]}
    pieces: set[str] = set()
    concatenated = b""
    for year in years(account):
        # 13-month exports overlapping by a month, like a user re-exporting around year ends
        lo = int(datetime(year, 1, 1, tzinfo=UTC).timestamp() * 1000) - 31 * 86_400_000
        hi = int(datetime(year + 1, 1, 1, tzinfo=UTC).timestamp() * 1000)
        part = _statement(account, start_ms=lo, end_ms=hi)
        pieces |= {tx.id for tx in parse(part)[0]}
        concatenated += part
    assert pieces == whole
    merged, stats = parse(concatenated)
    assert {tx.id for tx in merged} == whole and stats.rejected_count == 0


def _api_transactions(account: Any) -> list[Transaction]:
    """What a complete sync stores: every reachable record through the real normalisers."""
    import json

    from binsync.normalise import normalise

    truth = account.truth()
    uid = str(account.uid)
    out: list[Transaction] = []
    for name, records in account.records().items():
        batches: dict[tuple, list] = {}
        for record in records:
            if truth.reachable(record):
                batches.setdefault(record.part, []).append(record)
        for batch in batches.values():
            rows = [json.loads(json.dumps(r.raw, default=str), parse_float=Decimal) for r in batch]
            out += normalise(name, rows, uid=uid, context=account.request_context(batch[0])).transactions
    return out


def _store_api(user: str, uid: str, api: list[Transaction]) -> None:
    """What fetch_window does per page: write, then reconcile with uploaded statements."""
    from binsync.statement.merge import reconcile_api_transactions
    from binsync.storage.writer import write_transactions

    for offset in range(0, len(api), 100):
        page = api[offset:offset + 100]
        write_transactions(page, user_id=user, connection_id="c1")
        reconcile_api_transactions(user, uid, page)


def _upload(cloud: Any, user: str, uid: str, upload_id: str, data: bytes) -> dict[str, Any]:
    from binsync.storage.models import UploadModel

    key = f"uploads/{user}/{upload_id}/statement.csv"
    UploadModel(user, upload_id, connection_id="c1", binance_uid=uid, s3_key=key, created_at=1).save()
    cloud.put_upload(key, data)
    upload = UploadModel.get(user, upload_id)
    assert upload.status == "done", upload.report
    return upload.report


def _stored(user: str) -> tuple[dict[tuple[str, str], Decimal], set[str], set[str]]:
    from binsync.storage.models import TransactionModel

    items = list(TransactionModel.query(user))
    txs = [Transaction.from_dict(item.body) for item in items]
    balances = nonzero({k: v for k, v in legs_sum(txs).items() if k[1] != "external"})
    merged = {sid for item in items for sid in item.merged_from or []}
    return balances, {item.sk for item in items}, merged


@pytest.mark.slow
@pytest.mark.skipif(not os.environ.get("BINSYNC_SLOW_TESTS"),
                    reason="minutes on moto (hundreds of reconcile queries); set BINSYNC_SLOW_TESTS=1")
def test_sync_and_statement_store_nothing_twice_in_either_order(cloud: Any) -> None:
    """Sync the API then upload the statement (user a), and the other way round (user b): both
    end with the ledger's balances and the same items; what both contain is stored once."""
    account = _account(1)
    uid = str(account.uid)
    api = _api_transactions(account)
    data = _statement(account)
    truth = account.truth().balances()

    _store_api("user-a", uid, api)
    report = _upload(cloud, "user-a", uid, "u-1", data)
    assert report["rejected_count"] == 0 and report["merged_as_duplicate"] > 0
    balances_a, items_a, merged_a = _stored("user-a")
    assert balances_a == truth

    report_b = _upload(cloud, "user-b", uid, "u-1", data)
    assert report_b["merged_as_duplicate"] == 0
    _store_api("user-b", uid, api)
    balances_b, items_b, merged_b = _stored("user-b")
    assert balances_b == truth
    assert items_b == items_a and merged_b == merged_a and len(merged_a) == report["merged_as_duplicate"]

    # and a re-upload on either side changes nothing
    again = _upload(cloud, "user-a", uid, "u-2", data)
    assert again["imported"] == 0 and again["merged_as_duplicate"] == report["merged_as_duplicate"]
    assert _stored("user-a") == (balances_a, items_a, merged_a)


def test_sync_then_statement_stores_nothing_twice(cloud: Any) -> None:
    """Sync the API, then upload the statement of the same account: what both contain is stored
    once and the stored balances are the ledger's."""
    account = _account(1)
    uid = str(account.uid)
    _store_api("user-a", uid, _api_transactions(account))
    report = _upload(cloud, "user-a", uid, "u-1", _statement(account))
    assert report["rejected_count"] == 0 and report["merged_as_duplicate"] > 0
    balances, _, merged = _stored("user-a")
    assert balances == account.truth().balances()
    assert len(merged) == report["merged_as_duplicate"]
