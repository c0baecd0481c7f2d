"""A connection's life: register, read, rotate, revalidate, delete (issues 5.1, 7.3, 7.4).

Every function takes the caller's user id first and only ever reads or writes items under it:
another user's connection id is indistinguishable from a missing one (NotFound).

Two keys of one Binance uid are one account: they share the transactions (keyed by user and uid)
and the annotations (keyed `<user_id>#<uid>`), so deleting a key and adding a key of the same
account again brings every label, price and note back without any copy.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from pynamodb.exceptions import DoesNotExist

from binsync.binance.signing import Credentials
from binsync.connections import registration, secrets
from binsync.connections.errors import Conflict, InvalidInput, KeyRefused, NotFound
from binsync.storage import documents, large_items
from binsync.storage.models import (
    AnnotationModel,
    ConnectionModel,
    CoverageModel,
    RunModel,
    TaskModel,
    TransactionModel,
    account_key,
)

log = logging.getLogger(__name__)

ACTIVE_RUN = ("planning", "running")


def now_ms() -> int:
    return int(time.time() * 1000)


def new_connection_id() -> str:
    return "c-" + uuid.uuid4().hex[:20]


def key_hint(api_key: str) -> str:
    return api_key[-4:]


# ------------------------------------------------------------------ reads


def get_connection(user_id: str, connection_id: str) -> ConnectionModel:
    try:
        return ConnectionModel.get(user_id, connection_id)
    except DoesNotExist:
        raise NotFound("connection_not_found", "No such connection.",
                       field="connection_id") from None


def list_connections(user_id: str) -> list[ConnectionModel]:
    return sorted(ConnectionModel.query(user_id), key=lambda c: (c.created_at, c.connection_id))


def same_account(user_id: str, binance_uid: str, exclude: str | None = None) -> list[ConnectionModel]:
    """The user's other connections reading the same Binance account."""
    same_uid = ConnectionModel.binance_uid == binance_uid
    return [c for c in ConnectionModel.query(user_id, filter_condition=same_uid)
            if c.connection_id != exclude]


def current_run(connection: ConnectionModel) -> RunModel | None:
    if not connection.last_run_id:
        return None
    try:
        return RunModel.get(connection.connection_id, connection.last_run_id)
    except DoesNotExist:
        return None


# ------------------------------------------------------------------ sync start


def launch_sync(user_id: str, connection_id: str, mode: str, trigger: str,
                idempotency_key: str | None = None) -> RunModel:
    """Start a sync (binsync.sync.start); maps its errors to domain errors."""
    from binsync.sync.errors import ConnectionNotSyncable, SyncAlreadyRunning
    from binsync.sync.start import start_sync

    try:
        return start_sync(user_id, connection_id, mode, trigger, idempotency_key=idempotency_key)
    except SyncAlreadyRunning as exc:
        raise Conflict("sync_running", f"A sync of this connection is already running (run {exc.run_id}).",
                       field="connection_id") from None
    except ConnectionNotSyncable as exc:
        if exc.status_code == 404:
            raise NotFound("connection_not_found", "No such connection.",
                           field="connection_id") from None
        raise Conflict("connection_not_active",
                       f"This connection cannot sync: {exc.reason}. Fix the key in Binance, then call "
                       "POST /connections/{id}/revalidate (or rotate it with PUT .../keys).",
                       field="connection_id") from None


def _try_launch(user_id: str, connection_id: str, mode: str, trigger: str) -> RunModel | None:
    """Start a sync after a registration/recovery; the key change stands even if this fails."""
    try:
        return launch_sync(user_id, connection_id, mode, trigger)
    except Conflict as exc:
        if exc.code == "sync_running":
            return None
        raise
    except Exception:
        log.exception("sync start failed after a key change", extra={"connection_id": connection_id})
        return None


# ------------------------------------------------------------------ register / rotate / revalidate


@dataclass
class KeyInput:
    api_key: str
    api_secret: str = field(repr=False)
    key_type: str = "hmac"

    def credentials(self) -> Credentials:
        try:
            return Credentials(api_key=self.api_key.strip(), secret=self.api_secret.strip(),
                               key_type=self.key_type)  # type: ignore[arg-type]
        except ValueError as exc:
            raise InvalidInput("invalid_key", str(exc), field="api_key") from None


def _duplicate_of(user_id: str, uid: str, creds: Credentials,
                  exclude: str | None = None) -> ConnectionModel | None:
    """The user's connection already holding this exact key (compared through the secret)."""
    for other in same_account(user_id, uid, exclude=exclude):
        if other.api_key_hint != key_hint(creds.api_key) or other.status == "deleting":
            continue
        try:
            stored = secrets.load_credentials(other.secret_name, force_fetch=True)
        except Exception:  # a missing secret cannot be a duplicate
            continue
        if stored.api_key == creds.api_key:
            return other
    return None


def register(user_id: str, key: KeyInput, *, label: str = "", sync_mode: str = "full",
             base_url: str | None = None, start_sync: bool = True,
             fetcher_factory: registration.FetcherFactory | None = None,
             mining_accounts: list[dict[str, str]] | None = None,
             ) -> tuple[ConnectionModel, RunModel | None]:
    url = registration.check_base_url(base_url)
    creds = key.credentials()
    check = registration.validate_key(creds, url, fetcher_factory)
    duplicate = _duplicate_of(user_id, check.binance_uid, creds)
    if duplicate is not None:
        raise Conflict("key_already_connected",
                       f"This API key is already connected as {duplicate.connection_id}.", field="api_key")
    connection_id = new_connection_id()
    name = secrets.store_credentials(user_id, connection_id, creds)
    now = now_ms()
    connection = ConnectionModel(
        user_id, connection_id, binance_uid=check.binance_uid, label=label, key_type=creds.key_type,
        api_key_hint=key_hint(creds.api_key), secret_name=name, base_url=url, status="active",
        status_changed_at=now, permissions=check.permissions, warnings=check.warnings,
        sync_mode=sync_mode, created_at=now, mining_accounts=list(mining_accounts or []) or None,
    )
    connection.save(condition=ConnectionModel.connection_id.does_not_exist())
    log.info("connection registered", extra={"connection_id": connection_id, "binance_uid": check.binance_uid,
                                             "api_key_hint": connection.api_key_hint})
    run = _try_launch(user_id, connection_id, sync_mode, "api") if start_sync else None
    return connection, run


def _enable(connection: ConnectionModel, check: registration.KeyCheck, **extra: Any) -> None:
    actions = [
        ConnectionModel.status.set("active"),
        ConnectionModel.status_reason.remove(),
        ConnectionModel.status_changed_at.set(now_ms()),
        ConnectionModel.permissions.set(check.permissions),
        ConnectionModel.warnings.set(check.warnings),
        ConnectionModel.consecutive_transient_failures.set(0),
    ]
    actions += [getattr(ConnectionModel, name).set(value) for name, value in extra.items()]
    connection.update(actions=actions)


def _disable(connection: ConnectionModel, reason: str) -> None:
    connection.update(actions=[ConnectionModel.status.set("disabled"),
                               ConnectionModel.status_reason.set(reason),
                               ConnectionModel.status_changed_at.set(now_ms())])


def _require_not_deleting(connection: ConnectionModel) -> None:
    if connection.status == "deleting":
        raise Conflict("connection_deleting", "This connection is being deleted.", field="connection_id")


def rotate_keys(user_id: str, connection_id: str, key: KeyInput, *, start_sync: bool = True,
                fetcher_factory: registration.FetcherFactory | None = None,
                ) -> tuple[ConnectionModel, RunModel | None]:
    """Replace the key of a connection with a new key of the same Binance account."""
    connection = get_connection(user_id, connection_id)
    _require_not_deleting(connection)
    creds = key.credentials()
    check = registration.validate_key(creds, connection.base_url, fetcher_factory)
    if check.binance_uid != connection.binance_uid:
        raise Conflict("different_account",
                       "This key belongs to another Binance account than the connection's; register it "
                       "as a new connection with POST /connections.", field="api_key")
    duplicate = _duplicate_of(user_id, check.binance_uid, creds, exclude=connection_id)
    if duplicate is not None:
        raise Conflict("key_already_connected",
                       f"This API key is already connected as {duplicate.connection_id}.", field="api_key")
    secrets.store_credentials(user_id, connection_id, creds)
    _enable(connection, check, api_key_hint=key_hint(creds.api_key), key_type=creds.key_type)
    log.info("connection key rotated", extra={"connection_id": connection_id,
                                              "api_key_hint": key_hint(creds.api_key)})
    run = _try_launch(user_id, connection_id, "incremental", "revalidate") if start_sync else None
    connection.refresh()
    return connection, run


def revalidate(user_id: str, connection_id: str, *, start_sync: bool = True,
               fetcher_factory: registration.FetcherFactory | None = None,
               ) -> tuple[ConnectionModel, RunModel | None]:
    """Check the stored key again: active at once and an incremental sync if it passes.

    This is the self-service way back after disable-on-error: fix the key in Binance, call this.
    A key that still fails is (or stays) disabled with the reason, and the answer lists each
    failed check.
    """
    connection = get_connection(user_id, connection_id)
    _require_not_deleting(connection)
    try:
        creds = secrets.load_credentials(connection.secret_name, force_fetch=True)
    except Exception:
        raise Conflict("secret_missing", "The stored key of this connection is gone; send a new key with "
                       "PUT /connections/{id}/keys.", field="connection_id") from None
    try:
        check = registration.validate_key(creds, connection.base_url, fetcher_factory)
    except KeyRefused as exc:
        _disable(connection, exc.message)
        raise
    if check.binance_uid != connection.binance_uid:  # cannot happen with the same key; be safe
        raise Conflict("different_account", "The key now reads another Binance account.", field="api_key")
    _enable(connection, check)
    log.info("connection revalidated", extra={"connection_id": connection_id})
    run = _try_launch(user_id, connection_id, "incremental", "revalidate") if start_sync else None
    connection.refresh()
    return connection, run


# ------------------------------------------------------------------ deletion


@dataclass
class DeletionPlan:
    connection: ConnectionModel
    other_connections: list[str]
    api_transactions: list[TransactionModel]
    kept_merged: int
    kept_other_sources: int
    annotations: int
    purge_annotations: bool
    runs: list[RunModel]

    @property
    def transactions_covered(self) -> bool:
        return bool(self.other_connections)

    def report(self, *, done: bool) -> dict[str, Any]:
        tx_note = (
            f"kept: the same Binance account is still connected ({', '.join(self.other_connections)})"
            if self.transactions_covered else
            "API-sourced transactions of this account are deleted; transactions from uploaded "
            "statements and API records confirmed by a statement are kept")
        if self.purge_annotations:
            ann_note = "purged for good"
        elif self.other_connections:
            ann_note = "kept: the same Binance account is still connected"
        else:
            ann_note = ("kept, keyed by Binance account: they come back when a key of the same "
                        "account is added again (pass purge_annotations=true to delete them)")
        return {
            "connection_id": self.connection.connection_id,
            "binance_uid": self.connection.binance_uid,
            "dry_run": not done,
            "deleted": done,
            "secret": "deleted" if done else "will be deleted",
            "same_account_as": self.other_connections,
            "transactions": {
                "deleted": 0 if self.transactions_covered else len(self.api_transactions),
                "kept_confirmed_by_statement": self.kept_merged,
                "kept_other_sources": self.kept_other_sources,
                "note": tx_note,
            },
            "annotations": {
                "count": self.annotations,
                "purged": self.annotations if self.purge_annotations else 0,
                "note": ann_note,
            },
            "runs": {"deleted": len(self.runs)},
        }


def plan_deletion(user_id: str, connection_id: str, *, purge_annotations: bool = False) -> DeletionPlan:
    connection = get_connection(user_id, connection_id)
    others = [c.connection_id for c in same_account(user_id, connection.binance_uid, exclude=connection_id)
              if c.status != "deleting"]
    akey = account_key(user_id, connection.binance_uid)
    api_txs: list[TransactionModel] = []
    kept_merged = kept_other = 0
    for tx in TransactionModel.by_account.query(akey):
        if tx.user_id != user_id:
            continue
        if tx.source_kind != "api":
            kept_other += 1
        elif tx.merged_from:
            kept_merged += 1
        else:
            api_txs.append(tx)
    annotations = sum(1 for _ in AnnotationModel.query(akey, attributes_to_get=["tx_id"]))
    # Purging annotations another connection of the account still shows would be a surprise.
    purge = purge_annotations and not others
    runs = list(RunModel.query(connection_id))
    return DeletionPlan(connection, others, api_txs, kept_merged, kept_other, annotations, purge, runs)


def _stop_runs(runs: list[RunModel]) -> None:
    import boto3

    active = [r for r in runs if r.status in ACTIVE_RUN and r.execution_arn]
    if not active:
        return
    sfn = boto3.client("stepfunctions")
    for run in active:
        try:
            sfn.stop_execution(executionArn=run.execution_arn, error="ConnectionDeleted",
                               cause="The connection was deleted by its owner.")
        except Exception:  # already finished, or not stoppable: deletion goes on
            log.warning("could not stop a sync execution", extra={"run_id": run.run_id})


def delete_connection(user_id: str, connection_id: str, *, purge_annotations: bool = False) -> dict[str, Any]:
    """Delete the key's secret, its runs, its API-sourced transactions (unless the account is still
    connected through another key) and, on request, the account's annotations.

    The connection is marked `deleting` first, so a crash half-way leaves a visible state and a
    second DELETE finishes the job (every step is idempotent).
    """
    plan = plan_deletion(user_id, connection_id, purge_annotations=purge_annotations)
    connection = plan.connection
    connection.update(actions=[ConnectionModel.status.set("deleting"),
                               ConnectionModel.status_changed_at.set(now_ms())])
    _stop_runs(plan.runs)
    secrets.delete_credentials(connection.secret_name)
    if not plan.transactions_covered:
        large_items.delete_full_bodies([tx.body for tx in plan.api_transactions if tx.body])
        with TransactionModel.batch_write() as batch:
            for tx in plan.api_transactions:
                batch.delete(tx)
    if plan.purge_annotations:
        purge_account_annotations(user_id, connection.binance_uid)
    with TaskModel.batch_write() as batch:  # the runs' task rows go with them
        for run in plan.runs:
            for task in TaskModel.query(run.run_id, attributes_to_get=["run_id", "task_id"]):
                batch.delete(task)
    with RunModel.batch_write() as batch:
        for run in plan.runs:
            batch.delete(run)
    documents.delete_connection_documents(user_id, connection_id)  # the runs' summaries kept in S3
    from binsync.transactions.erasure import detach_connection  # kept items no longer name it

    replacement = plan.other_connections[0] if plan.other_connections else None
    detach_connection(user_id, connection.binance_uid, connection_id, replacement)
    with CoverageModel.batch_write() as batch:  # what the ledger proved read is this key's own
        for item in CoverageModel.query(connection_id, attributes_to_get=["connection_id", "scope"]):
            batch.delete(item)
    connection.delete()
    log.info("connection deleted", extra={"connection_id": connection_id,
                                          "transactions_deleted": 0 if plan.transactions_covered
                                          else len(plan.api_transactions),
                                          "annotations_purged": plan.purge_annotations})
    return plan.report(done=True)


def purge_account_annotations(user_id: str, binance_uid: str) -> int:
    akey = account_key(user_id, binance_uid)
    count = 0
    with AnnotationModel.batch_write() as batch:
        for ann in AnnotationModel.query(akey):
            batch.delete(ann)
            count += 1
    return count
