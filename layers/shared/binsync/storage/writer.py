"""Idempotent writes of unified transactions (issue 5 item 5).

Each transaction lands at `user_id / transaction_sk(time_ms, tx_id)` with its deterministic id,
so a retried page, a re-run task or a whole resync writes the same items again instead of new
ones. Items already stored with the same body are not rewritten (that also keeps what another
source merged into them, `merged_from`); changed ones are rewritten with `merged_from` carried
over. Annotations live in their own table and are never touched here.

Writes go through BatchWriteItem in chunks of 25 (the DynamoDB limit) and retry
`UnprocessedItems` with exponential backoff: DynamoDB returns them under throttling, and
dropping them would lose records silently.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer

from binsync.model import Transaction, format_decimal
from binsync.storage import large_items, tenant_tables
from binsync.storage.api_sources import keep_statement_wallets, merge_api_sources
from binsync.storage.large_items import ItemTooLarge
from binsync.storage.models import TransactionModel, account_key, transaction_sk

BATCH_WRITE_MAX = 25
BATCH_GET_MAX = 100
MAX_ATTEMPTS = 8
BASE_DELAY_S = 0.05
MAX_DELAY_S = 5.0

_deserialize = TypeDeserializer().deserialize


class UnprocessedItemsError(Exception):
    """DynamoDB kept returning unprocessed items after every retry (the task is retried)."""


@dataclass
class WriteResult:
    new: int = 0        # items that did not exist before
    updated: int = 0    # items whose body changed
    unchanged: int = 0  # items already stored identically
    # ids of written items another source was merged into earlier (a statement twin): the
    # near-duplicate check of the sync does not pair them again (statement.near_duplicates_api)
    merged_ids: set[str] = field(default_factory=set)

    @property
    def written(self) -> int:
        return self.new + self.updated


def _client() -> Any:
    return tenant_tables.dynamodb_client()


def _table_name() -> str:
    return TransactionModel.Meta.table_name


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format_decimal(value)  # exact, never a float
    raise TypeError(f"not JSON-serialisable: {type(value).__name__}")


def body_json(tx: Transaction) -> str:
    """The stored body: `Transaction.to_dict()` as JSON, raw Decimals as exact strings."""
    return json.dumps(tx.to_dict(), default=_json_default)


def item_of(tx: Transaction, user_id: str, connection_id: str | None, *, body: str | None = None,
            merged_from: Sequence[str] = (), first_run: str | None = None) -> dict[str, Any]:
    """The transaction's item as TransactionModel stores it, in DynamoDB's wire form.

    Built directly: a pynamodb model object per record (construct, then serialize) cost more
    CPU than normalising the record. tests/storage hold it to TransactionModel's own form.
    """
    key = account_key(user_id, tx.account)
    item: dict[str, Any] = {
        "user_id": {"S": user_id}, "sk": {"S": transaction_sk(tx.time_ms, tx.id)}, "tx_id": {"S": tx.id},
        "account_key": {"S": key}, "binance_uid": {"S": tx.account}, "time_ms": {"N": str(tx.time_ms)},
        "kind": {"S": tx.kind},
        "assets": {"L": [{"S": asset} for asset in sorted({leg.asset for leg in tx.legs})]},
        "wallets": {"L": [{"S": wallet} for wallet in sorted({leg.wallet for leg in tx.legs})]},
        "source_kind": {"S": tx.source.kind}, "source_ref": {"S": tx.source.ref},
        "body": {"S": body if body is not None else body_json(tx)},
        "merged_from": {"L": [{"S": ref} for ref in merged_from]},
    }
    if connection_id is not None:
        item["connection_id"] = {"S": connection_id}
    if first_run is not None:  # the sync run that first stored it: Finish counts the run's records
        item["first_run"] = {"S": first_run}
    if tx.source.kind != "api":  # sparse GSI by_file: the sync finds statement events to merge
        item["file_account_key"] = {"S": key}
    return item


def _sleep_backoff(attempt: int, sleep: Callable[[float], None]) -> None:
    delay = min(MAX_DELAY_S, BASE_DELAY_S * (2 ** attempt))
    sleep(random.uniform(delay / 2, delay))  # jitter: concurrent workers do not retry in step


def batch_write(requests: Sequence[dict[str, Any]], *, client: Any = None, table: str | None = None,
                sleep: Callable[[float], None] = time.sleep) -> None:
    """BatchWriteItem `requests` (PutRequest/DeleteRequest dicts), retrying unprocessed items."""
    client = client or _client()
    table = table or _table_name()
    for offset in range(0, len(requests), BATCH_WRITE_MAX):
        pending = list(requests[offset:offset + BATCH_WRITE_MAX])
        attempt = 0
        while pending:
            response = client.batch_write_item(RequestItems={table: pending})
            pending = list(response.get("UnprocessedItems", {}).get(table, []))
            if not pending:
                break
            attempt += 1
            if attempt >= MAX_ATTEMPTS:
                raise UnprocessedItemsError(
                    f"{len(pending)} items still unprocessed after {attempt} attempts on {table}")
            _sleep_backoff(attempt, sleep)


def _existing(keys: list[dict[str, Any]], client: Any, table: str,
              sleep: Callable[[float], None]) -> dict[str, dict[str, Any]]:
    """sk -> {"body": str, "merged_from": list, "first_run"?: str} for the keys already stored."""
    found: dict[str, dict[str, Any]] = {}
    for offset in range(0, len(keys), BATCH_GET_MAX):
        pending: dict[str, Any] = {table: {
            "Keys": keys[offset:offset + BATCH_GET_MAX], "ConsistentRead": True,
            "ProjectionExpression": "sk, body, merged_from, first_run"}}
        attempt = 0
        while pending:
            response = client.batch_get_item(RequestItems=pending)
            for item in response.get("Responses", {}).get(table, []):
                plain = {k: _deserialize(v) for k, v in item.items()}
                found[plain["sk"]] = plain
            pending = response.get("UnprocessedKeys") or {}
            if pending:
                attempt += 1
                if attempt >= MAX_ATTEMPTS:
                    raise UnprocessedItemsError(f"unprocessed keys after {attempt} attempts on {table}")
                _sleep_backoff(attempt, sleep)
    return found


def _same_body(stored: Any, body: str) -> bool:
    # Equal text is the common case; otherwise compare the parsed documents (key order, spacing).
    return isinstance(stored, str) and (stored == body or json.loads(stored) == json.loads(body))


def write_transactions(transactions: Iterable[Transaction], *, user_id: str,
                       connection_id: str | None = None, client: Any = None, run_id: str | None = None,
                       sleep: Callable[[float], None] = time.sleep) -> WriteResult:
    """Store `transactions` for `user_id` exactly once each; returns what changed.

    `run_id`: the sync run writing them, kept on new items as `first_run` (and carried over when
    an item is rewritten). `WriteResult.new` cannot count a run's records after a crash: the
    retry finds the killed attempt's items already stored; `first_run` still names the run."""
    client = client or _client()
    table = _table_name()
    by_sk: dict[str, Transaction] = {}
    for tx in transactions:
        by_sk[transaction_sk(tx.time_ms, tx.id)] = tx  # a page repeating a record: one item
    if not by_sk:
        return WriteResult()
    keys = [{"user_id": {"S": user_id}, "sk": {"S": sk}} for sk in by_sk]
    existing = _existing(keys, client, table, sleep)

    result = WriteResult()
    puts: list[dict[str, Any]] = []
    too_large: ItemTooLarge | None = None
    for sk, new_tx in by_sk.items():
        old = existing.get(sk)
        tx = new_tx
        if old is not None and isinstance(old.get("body"), str):
            stored_body = json.loads(old["body"])
            tx = merge_api_sources(stored_body, new_tx)  # one record, every API source
            tx = keep_statement_wallets(stored_body, tx)  # a card buy's fiat wallet a statement showed
        try:
            body = large_items.fit(tx, body_json(tx), user_id)
        except ItemTooLarge as exc:  # its neighbours are still stored; then the task fails
            too_large = too_large or exc
            continue
        merged_from: list[str] = []
        first_run = run_id
        if old is not None and old.get("merged_from"):
            result.merged_ids.add(new_tx.id)
        if old is not None:
            first_run = old.get("first_run")
            if _same_body(old.get("body"), body):
                result.unchanged += 1
                continue
            merged_from = list(old.get("merged_from") or [])
            result.updated += 1
        else:
            result.new += 1
        puts.append({"PutRequest": {"Item": item_of(tx, user_id, connection_id, body=body,
                                                    merged_from=merged_from, first_run=first_run)}})
    batch_write(puts, client=client, table=table, sleep=sleep)
    if too_large is not None:
        raise too_large
    return result
