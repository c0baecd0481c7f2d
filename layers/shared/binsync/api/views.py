"""Storage items -> response models. The only place that decides what a client may see: no
secret name, no API key beyond its hint, no other user's data."""

from __future__ import annotations

from typing import Any

from binsync.api.schemas.connections import ConnectionOut
from binsync.api.schemas.syncs import RunOut
from binsync.api.schemas.transactions import AnnotationOut, TransactionOut
from binsync.api.schemas.uploads import UploadOut
from binsync.storage import documents, large_items
from binsync.storage.models import AnnotationModel, ConnectionModel, RunModel, TransactionModel, UploadModel
from binsync.transactions.annotations import annotation_view


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def run_view(run: RunModel, *, with_products: bool = False) -> RunOut:
    from binsync.sync.progress import live_progress

    view = live_progress(run, with_products=with_products)
    return RunOut(connection_id=run.connection_id, **view)


def connection_view(conn: ConnectionModel, *, same_account_as: list[str],
                    run: RunModel | None = None) -> ConnectionOut:
    return ConnectionOut(
        connection_id=conn.connection_id, label=conn.label or "", key_type=conn.key_type,
        api_key_hint=conn.api_key_hint, binance_uid=conn.binance_uid, same_account_as=same_account_as,
        base_url=conn.base_url, status=conn.status, status_reason=conn.status_reason,
        status_changed_at=_int(conn.status_changed_at), permissions=dict(conn.permissions or {}),
        warnings=list(conn.warnings or []), sync_mode=conn.sync_mode, created_at=int(conn.created_at),
        mining_accounts=list(conn.mining_accounts or []),
        last_sync_at=_int(conn.last_sync_at), last_success_at=_int(conn.last_success_at),
        current_run=run_view(run, with_products=True) if run is not None else None,
        completeness=documents.load(conn.completeness),
    )


def transaction_view(tx: TransactionModel, annotation: AnnotationModel | None, *,
                     with_raw: bool = False) -> TransactionOut:
    body = dict(tx.body or {})
    if with_raw:
        body = large_items.full_body(body)  # a raw record over an item was kept in S3
    source = dict(body.get("source") or {})
    if not with_raw:
        source.pop("raw", None)
    ann = annotation_view(annotation)
    return TransactionOut(
        id=tx.tx_id, time=str(body.get("time", "")), time_ms=int(tx.time_ms), kind=tx.kind,
        account=tx.binance_uid, connection_id=tx.connection_id, legs=body.get("legs") or [],
        source={"kind": source.get("kind", tx.source_kind), "ref": source.get("ref", tx.source_ref),
                "native_id": _str_or_none(source.get("native_id")), "raw": source.get("raw")},
        description=str(body.get("description") or ""), meta=dict(body.get("meta") or {}),
        merged_from=list(tx.merged_from or []),
        annotation=AnnotationOut(**ann) if ann else None,
    )


def _str_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


def upload_view(upload: UploadModel) -> UploadOut:
    return UploadOut(
        upload_id=upload.upload_id, connection_id=upload.connection_id, file_name=upload.file_name,
        format=upload.file_format, status=upload.status, created_at=int(upload.created_at),
        finished_at=_int(upload.finished_at), report=_whole_report(upload.report),
    )


def _whole_report(report: dict[str, Any] | None) -> dict[str, Any] | None:
    """A heavy account's reconciliation after an import is kept in S3 (storage.documents)."""
    if not report or not documents.is_offloaded(report.get("reconciliation")):
        return report
    return {**report, "reconciliation": documents.load(report["reconciliation"])}
