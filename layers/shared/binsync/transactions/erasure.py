"""Deleting your own data: an uploaded file, the transactions that came from statements, and
the connection id left on items a deleted connection no longer owns.

Statement items are identified by their content, not by the upload that brought them (the same
file uploaded twice stores the same items, and overlapping statements share rows), so erasing
statement-sourced data is per Binance account: every file-sourced item of the account
(`by_file` index). API items a statement row was merged into are API data and stay; they lose
the `merged_from` mark of the statement.
"""

from __future__ import annotations

import json
import os
from typing import Any

import boto3

from binsync.model import Transaction
from binsync.storage.api_sources import restore_card_wallets
from binsync.storage.models import TransactionModel, UploadModel, account_key
from binsync.transactions.uploads import get_upload


def erase_statement_transactions(user_id: str, binance_uid: str) -> dict[str, int]:
    akey = account_key(user_id, binance_uid)
    deleted = unmerged = 0
    with TransactionModel.batch_write() as batch:
        for tx in TransactionModel.by_file.query(akey):
            if tx.user_id == user_id and tx.source_kind != "api":
                batch.delete(tx)
                deleted += 1
    for tx in TransactionModel.by_account.query(akey):
        if tx.user_id == user_id and tx.source_kind == "api" and tx.merged_from:
            actions = [TransactionModel.merged_from.set([])]
            body = tx.body if isinstance(tx.body, dict) else json.loads(tx.body)
            record = Transaction.from_dict(body)
            restored = restore_card_wallets(record)  # a card buy's fiat back where the API has it
            if restored is not record:
                actions += [TransactionModel.body.set(restored.to_dict()),
                            TransactionModel.wallets.set(sorted({leg.wallet for leg in restored.legs}))]
            tx.update(actions=actions)
            unmerged += 1
    return {"deleted": deleted, "unmarked_merged": unmerged}


def delete_upload(user_id: str, upload_id: str, *, erase_transactions: bool = False) -> dict[str, Any]:
    """Delete the upload record and its file; with `erase_transactions`, also every
    statement-sourced transaction of the upload's Binance account."""
    upload = get_upload(user_id, upload_id)  # 404 for an unknown or another user's id
    bucket = os.environ.get("UPLOADS_BUCKET")
    if bucket and upload.s3_key:
        boto3.client("s3").delete_object(Bucket=bucket, Key=upload.s3_key)
    erased: dict[str, int] = {"deleted": 0, "unmarked_merged": 0}
    if erase_transactions and upload.binance_uid:
        erased = erase_statement_transactions(user_id, upload.binance_uid)
    upload.delete()
    return {"upload_id": upload_id, "deleted": True, "file_deleted": bool(bucket),
            "transactions_deleted": erased["deleted"], "merged_marks_removed": erased["unmarked_merged"],
            "note": ("Every statement-sourced transaction of this Binance account was erased."
                     if erase_transactions else "The file and its report are deleted; the transactions "
                     "it brought stay (pass erase_transactions=true to erase the account's "
                     "statement-sourced transactions).")}


def detach_connection(user_id: str, binance_uid: str, connection_id: str,
                      replacement: str | None) -> int:
    """Items kept after `connection_id` was deleted no longer name it: they name another
    connection of the same account, or none."""
    count = 0
    for tx in TransactionModel.by_account.query(account_key(user_id, binance_uid)):
        if tx.user_id == user_id and tx.connection_id == connection_id:
            action = (TransactionModel.connection_id.set(replacement) if replacement
                      else TransactionModel.connection_id.remove())
            tx.update(actions=[action])
            count += 1
    return count


__all__ = ["UploadModel", "delete_upload", "detach_connection", "erase_statement_transactions"]
