"""Process one uploaded file: parse, store, merge with the API data, write the report.

Called by functions/parse_statement for each S3 ObjectCreated record. The object key is
`uploads/<user_id>/<upload_id>/<file name>`; the API created the UploadModel record (with the
connection and its Binance uid) before handing out the upload URL; when it is missing (a file
copied straight into the bucket), one is created from the key.

At-least-once delivery: every write is idempotent (deterministic transaction ids; items already
stored identically are not rewritten; merged statement events are found again and merged
again), so a redelivered event or a re-upload of the same file changes nothing; the report of a
re-upload says so (`already_present`). The handler adds Powertools idempotency on
bucket+key+etag+version so a redelivery does not even re-read the file.

The file is streamed from S3 into a temporary file (ZIP and XLSX need to seek) and parsed as a
stream; transactions are stored in chunks, so memory stays flat whatever the size.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any

from binsync.model import Transaction
from binsync.statement.merge import MergeResult, reconcile_statement_transactions
from binsync.statement.parser import StatementParser, UidMismatchError, ZoneRequiredError
from binsync.statement.reader import FormatError
from binsync.storage.models import ConnectionModel, UploadModel

CHUNK = 500
SOURCE_REF = "binance-statement"
DEFAULT_MAX_BYTES = 200 * 1024 * 1024


class BadKey(ValueError):
    """The object key is not uploads/<user_id>/<upload_id>/<file name>."""


@dataclass
class UploadKey:
    user_id: str
    upload_id: str
    file_name: str


def parse_key(key: str) -> UploadKey:
    """Split a decoded object key; never trust more than the three path parts."""
    parts = key.split("/")
    if len(parts) != 4 or parts[0] != "uploads" or not all(parts[1:]):
        raise BadKey(f"object key {key!r} is not uploads/<user_id>/<upload_id>/<file name>")
    return UploadKey(parts[1], parts[2], parts[3])


@dataclass
class UploadOutcome:
    status: str
    report: dict[str, Any]
    imported_ids: list[str] = field(default_factory=list)


def _load_upload(key: UploadKey, s3_key: str) -> UploadModel:
    try:
        return UploadModel.get(key.user_id, key.upload_id)
    except UploadModel.DoesNotExist:
        upload = UploadModel(key.user_id, key.upload_id, file_name=key.file_name, s3_key=s3_key,
                             status="waiting", created_at=int(time.time() * 1000))
        upload.save()
        return upload


def _binance_uid(upload: UploadModel) -> str | None:
    if upload.binance_uid:
        return str(upload.binance_uid)
    if upload.connection_id:
        try:
            return str(ConnectionModel.get(upload.user_id, upload.connection_id).binance_uid)
        except ConnectionModel.DoesNotExist:
            return None
    return None


def _download(s3: Any, bucket: str, key: str, version: str | None, limit: int) -> tuple[Any, str, int]:
    kwargs: dict[str, Any] = {"Bucket": bucket, "Key": key}
    if version:
        kwargs["VersionId"] = version
    response = s3.get_object(**kwargs)
    size = int(response.get("ContentLength") or 0)
    if size > limit:
        raise FormatError(f"file of {size} bytes is larger than the {limit} bytes accepted")
    body = response["Body"]
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - returned to the caller, closed there
    digest = hashlib.sha256()
    total = 0
    for chunk in iter(lambda: body.read(1 << 20), b""):
        total += len(chunk)
        if total > limit:
            spool.close()
            raise FormatError(f"file larger than the {limit} bytes accepted")
        digest.update(chunk)
        spool.write(chunk)
    spool.seek(0)
    return spool, digest.hexdigest(), total


def _store(user_id: str, uid: str, connection_id: str | None, chunk: list[Transaction],
           counts: dict[str, int], merged: MergeResult) -> None:
    from binsync.storage.writer import write_transactions

    # a concatenation of overlapping exports yields the same event twice: one item
    unique = list({tx.id: tx for tx in chunk}.values())
    written = write_transactions(unique, user_id=user_id, connection_id=connection_id)
    counts["new"] += written.new
    counts["updated"] += written.updated
    counts["unchanged"] += written.unchanged
    merged.add(reconcile_statement_transactions(user_id, uid, unique))


def process_upload(bucket: str, key: str, *, etag: str | None = None, version: str | None = None,
                   s3: Any = None) -> dict[str, Any]:
    """Parse and store one uploaded object; returns (and saves) the upload report."""
    import boto3

    upload_key = parse_key(key)
    upload = _load_upload(upload_key, key)
    upload.update(actions=[UploadModel.status.set("parsing")])
    uid = _binance_uid(upload)
    s3 = s3 or boto3.client("s3")
    limit = int(os.environ.get("UPLOAD_MAX_BYTES", DEFAULT_MAX_BYTES))
    started = time.time()
    # source ref independent of the upload: re-uploading the same file must store identical items
    # the zone: header, then the file name, then the upload's explicit tz (statement.timezone)
    parser = StatementParser(uid=uid, expected_uid=uid, source_ref=SOURCE_REF,
                             file_name=upload.file_name or upload_key.file_name, tz=upload.time_zone)
    counts = {"new": 0, "updated": 0, "unchanged": 0}
    merged = MergeResult()
    own_ids: set[str] = set()
    digest = None
    try:
        spool, digest, size = _download(s3, bucket, key, version, limit)
        with spool:
            chunk: list[Transaction] = []
            for tx in parser.iter_transactions(spool):
                if uid is None:  # no connection: the file's own User_ID names the account
                    uid = tx.account
                chunk.append(tx)
                own_ids.add(tx.id)
                if len(chunk) >= CHUNK:
                    _store(upload.user_id, uid, upload.connection_id, chunk, counts, merged)
                    chunk = []
            if chunk:
                _store(upload.user_id, uid or "unknown", upload.connection_id, chunk, counts, merged)
    except ZoneRequiredError as exc:
        # Local times, zone unknown: not guessed. Nothing was read past the header, so nothing is
        # stored; the report asks for the zone and the user uploads again with `tz`.
        report = {"error": str(exc), "file": upload_key.file_name, "needs": "tz",
                  "time_column": exc.time_header, "time_zone": exc.zone.to_dict()}
        upload.update(actions=[UploadModel.status.set("needs_timezone"), UploadModel.report.set(report),
                               UploadModel.finished_at.set(int(time.time() * 1000))])
        return {"upload_id": upload_key.upload_id, "status": "needs_timezone", "report": report}
    except (FormatError, UidMismatchError) as exc:
        report = {"error": str(exc), "file": upload_key.file_name}
        upload.update(actions=[UploadModel.status.set("failed"), UploadModel.report.set(report),
                               UploadModel.finished_at.set(int(time.time() * 1000))])
        return {"upload_id": upload_key.upload_id, "status": "failed", "report": report}

    stats = parser.stats.to_dict()
    merged_here = len(merged.merged_statement_ids & own_ids)
    report = {
        "file": upload_key.file_name,
        "format": stats["format"],
        "container": stats["container"],
        "binance_uid": stats["uid"],
        "rows": stats["rows"],
        "transactions": len(own_ids),
        # merged items were deleted, so they are always written as new first
        "imported": max(0, counts["new"] - merged_here),
        "already_present": counts["unchanged"] + counts["updated"],
        "merged_as_duplicate": merged_here,
        "merged_earlier_uploads": len(merged.merged_statement_ids - own_ids),
        "rejected_count": stats["rejected_count"],
        "rejected": stats["rejected"],
        "unknown_operations": stats["unknown_operations"],
        "period": stats["period"],
        "time_zone": stats["time_zone"],  # which zone the times were read in, and why
        "layout": stats["layout"],
        "out_of_order_beyond_memory": stats["out_of_order_beyond_memory"],
        "sums": stats["sums"],
        "seconds": round(time.time() - started, 3),
        "bytes": size,
    }
    actions = [UploadModel.status.set("done"), UploadModel.report.set(report),
               UploadModel.finished_at.set(int(time.time() * 1000)), UploadModel.content_sha256.set(digest)]
    if not upload.binance_uid and stats["uid"]:
        actions.append(UploadModel.binance_uid.set(str(stats["uid"])))
    if upload.file_format == "auto":
        actions.append(UploadModel.file_format.set(stats["format"] or "statement"))
    upload.update(actions=actions)
    return {"upload_id": upload_key.upload_id, "status": "done", "report": report}

