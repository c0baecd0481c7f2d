"""Process one uploaded file: parse, store, merge with the API data, write the report.

Called by functions/parse_statement for each S3 ObjectCreated record. The object key is
`uploads/<user_id>/<upload_id>/<file name>`; the API created the UploadModel record (with the
connection and its Binance uid) before handing out the upload URL. An object without that record
(or whose record names another key) is not imported: the key's user segment alone proves
nothing (`UnknownUpload`, the handler ignores the object).

Every refusal once the upload is accepted (damaged container, a limit of `limits`, another
account's statement, not a statement) ends the upload `failed` with the reason in words; an
unexpected error ends it `failed` too before propagating (the invocation is retried and may
still succeed), so no upload stays `parsing`.

At-least-once delivery: every write is idempotent (deterministic transaction ids; items already
stored identically are not rewritten; merged statement events are found again and merged
again), so a redelivered event or a re-upload of the same file changes nothing; the report of a
re-upload says so (`already_present`). The handler adds Powertools idempotency on
bucket+key+etag+version so a redelivery does not even re-read the file.

Concurrent deliveries: a delivery first claims the upload with a conditional write (`claim`,
held until its invocation's deadline). A second delivery of the same upload while the first
runs (a duplicate notification the idempotency record does not catch, e.g. two PUTs to one key
with different ETags) waits for the claim (`wait_while_busy`, bounded), then finds the upload
done with the same bytes and returns the first report: the upload is parsed once and its report
is never replaced by the duplicate's "imported 0". Past the bound it raises `UploadInProgress`
and Lambda retries it. A claim left by a killed invocation expires at that invocation's
deadline, so its retry can take the upload over.

The file is streamed from S3 into a temporary file (ZIP and XLSX need to seek) and parsed as a
stream; transactions are stored in chunks, so memory stays flat whatever the size.
"""

from __future__ import annotations

import hashlib
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pynamodb.exceptions import UpdateError

from binsync.model import Transaction
from binsync.statement import limits
from binsync.statement.fragments import keep_fuller
from binsync.statement.merge import MergeResult, reconcile_statement_transactions
from binsync.statement.near_duplicates import flag_near_duplicates
from binsync.statement.parser import StatementParser, UidMismatchError, ZoneRequiredError
from binsync.statement.reader import FormatError
from binsync.storage import documents
from binsync.storage.models import ConnectionModel, UploadModel

T = TypeVar("T")
CHUNK = 500
SOURCE_REF = "binance-statement"
DEFAULT_MAX_BYTES = limits.MAX_UPLOAD_BYTES  # one limit: the API signs URLs for no more
NEAR_DUPLICATES_LISTED = 200  # the report lists this many; the count is exact
REFUSALS = (FormatError, UidMismatchError, limits.FileRefused)
CLAIM_S = 900  # a claim without a known deadline lasts as long as the longest Lambda invocation
BUSY_WAIT_S = 120  # a second delivery waits this long at most for the first to finish
BUSY_MARGIN_S = 60  # and stops waiting this long before its own deadline, to do the work itself


def reconcile_after_import(user_id: str, connection_id: str) -> dict[str, Any]:
    """The connection's wallets reconciled against Binance; informs, never fails the import."""
    from binsync.sync.reconcile_run import reconcile_connection

    try:
        return reconcile_connection(user_id, connection_id)
    except Exception as exc:
        return {"error": type(exc).__name__, "message": str(exc)[:300]}


def record_coverage(connection_id: str, upload_id: str, period: dict[str, str] | None,
                    wallets: set[str]) -> list[str]:
    """The file's period recorded in the ledger for every product whose wallets it shows.

    A statement holds every balance change of the wallets (Accounts) it lists over its period,
    so it covers the products that move those wallets (`PRODUCT_WALLETS`). A product whose
    wallets never appear in the file is not claimed: the export may have been limited to some
    Accounts or coins (binance-statement.md §1).
    """
    from binsync.sync import ledger
    from binsync.sync.reconcile_run import text_ms
    from binsync.sync.reconcile_wallets import PRODUCT_WALLETS

    if not period or not wallets:
        return []
    start, end = text_ms(period["from"]), text_ms(period["to"]) + 999
    products = sorted(p for p, moved in PRODUCT_WALLETS.items() if wallets & set(moved))
    ledger.record_statements(connection_id, products, start, end, upload_id=upload_id)
    return products


def reassess_after_import(user_id: str, connection_id: str,
                          reconciliation: dict[str, Any]) -> dict[str, Any] | None:
    """The connection's completeness with this file's periods covered; informs, never fails."""
    from binsync.sync.reassess import reassess_connection

    try:
        return reassess_connection(user_id, connection_id, reconciliation)
    except Exception as exc:
        return {"error": type(exc).__name__, "message": str(exc)[:300]}


class BadKey(ValueError):
    """The object key is not uploads/<user_id>/<upload_id>/<file name>."""


class UploadInProgress(RuntimeError):
    """Another delivery holds this upload: raised so that Lambda retries this one later."""


class UnknownUpload(BadKey):
    """No upload record was created for this key by the API: the object is not imported."""


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
        upload = UploadModel.get(key.user_id, key.upload_id)
    except UploadModel.DoesNotExist:
        raise UnknownUpload(f"no upload was created for object {s3_key!r}") from None
    if upload.s3_key and upload.s3_key != s3_key:
        raise UnknownUpload(f"object {s3_key!r} is not the key of upload {key.upload_id}")
    return upload


def wait_while_busy(call: Callable[[], T], busy: tuple[type[BaseException], ...], deadline_ms: int) -> T:
    """`call()`, again after a pause each time it raises one of `busy` (another delivery holds
    the upload), until the bound: BUSY_WAIT_S, and BUSY_MARGIN_S before `deadline_ms`."""
    until = min(deadline_ms - BUSY_MARGIN_S * 1000, (time.time() + BUSY_WAIT_S) * 1000)
    pause = 0.2
    while True:
        try:
            return call()
        except busy:
            if time.time() * 1000 + pause * 1000 > until:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 5.0)


def _claim(upload: UploadModel, deadline_ms: int) -> str:
    """Hold the upload for this delivery, or raise UploadInProgress if another one holds it.
    The update returns the item as it is now, so `upload` shows what the holder before left."""
    token = uuid.uuid4().hex
    now = int(time.time() * 1000)
    try:
        upload.update(actions=[UploadModel.claim.set(token), UploadModel.claimed_until.set(deadline_ms)],
                      condition=UploadModel.claim.does_not_exist() | (UploadModel.claimed_until < now))
    except UpdateError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise
        raise UploadInProgress(f"upload {upload.upload_id} is being processed by another delivery; "
                               "retry later") from None
    return token


def _write(upload: UploadModel, token: str, actions: list[Any], *, release: bool = True) -> bool:
    """Update the upload if this delivery still holds it (and let it go); False when its claim
    expired and another delivery took the upload over: that one's outcome stands."""
    if release:
        actions = [*actions, UploadModel.claim.remove(), UploadModel.claimed_until.remove()]
    try:
        upload.update(actions=actions, condition=UploadModel.claim == token)
    except UpdateError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise
        return False
    return True


def _fail(upload: UploadModel, token: str, file_name: str, reason: str, imported: int) -> dict[str, Any]:
    report: dict[str, Any] = {"error": reason, "file": file_name}
    if imported:
        report["imported_before_error"] = imported
    _write(upload, token, [UploadModel.status.set("failed"), UploadModel.report.set(report),
                           UploadModel.finished_at.set(int(time.time() * 1000))])
    return {"upload_id": upload.upload_id, "status": "failed", "report": report}


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
           counts: dict[str, int], merged: MergeResult, near: list[dict[str, Any]]) -> None:
    from binsync.storage.writer import write_transactions

    # a concatenation of overlapping exports yields the same event twice: one item
    unique = list({tx.id: tx for tx in chunk}.values())
    # an event cut by an export boundary: the fuller version is kept, whichever file came first
    fuller = keep_fuller(user_id, uid, unique)
    unique = fuller.to_write
    counts["fragments_dropped"] += fuller.dropped
    counts["fragments_completed"] += fuller.replaced
    counts["fragments_united"] += fuller.united
    counts["overlaps_not_united"] += fuller.not_united
    unique, found = flag_near_duplicates(user_id, uid, unique)  # stored, marked, and reported
    near.extend(found)
    written = write_transactions(unique, user_id=user_id, connection_id=connection_id)
    fuller.delete_superseded()  # only now: what replaces them is stored, no row is ever lost
    counts["new"] += written.new
    counts["updated"] += written.updated
    counts["unchanged"] += written.unchanged
    merged.add(reconcile_statement_transactions(user_id, uid, unique))


def process_upload(bucket: str, key: str, *, etag: str | None = None, version: str | None = None,
                   s3: Any = None, deadline_ms: int | None = None) -> dict[str, Any]:
    """Parse and store one uploaded object; returns (and saves) the upload report.

    `deadline_ms`: when this invocation ends at the latest (the Lambda context's); the claim on
    the upload lasts until then. Raises UploadInProgress while another delivery holds it."""
    upload_key = parse_key(key)
    upload = _load_upload(upload_key, key)
    deadline_ms = deadline_ms or int((time.time() + CLAIM_S) * 1000)
    token = wait_while_busy(lambda: _claim(upload, deadline_ms), (UploadInProgress,), deadline_ms)
    try:
        return _process(upload, token, upload_key, bucket, key, version, s3)
    except BaseException:
        # whatever escaped before the handled errors: never leave the upload held (a no-op
        # when the error path inside already failed it and let it go)
        _fail(upload, token, upload_key.file_name, "internal error while importing; the import is retried", 0)
        raise


def _process(upload: UploadModel, token: str, upload_key: UploadKey, bucket: str, key: str,
             version: str | None, s3: Any) -> dict[str, Any]:
    import boto3

    previous = (upload.status, upload.content_sha256, upload.report)
    _write(upload, token, [UploadModel.status.set("parsing")], release=False)
    uid = _binance_uid(upload)
    s3 = s3 or boto3.client("s3")
    limit = limits.max_upload_bytes()
    started = time.time()
    # source ref independent of the upload: re-uploading the same file must store identical items
    # the zone: header, then the file name, then the upload's explicit tz (statement.timezone)
    parser = StatementParser(uid=uid, expected_uid=uid, source_ref=SOURCE_REF,
                             file_name=upload.file_name or upload_key.file_name, tz=upload.time_zone)
    counts = {"new": 0, "updated": 0, "unchanged": 0, "fragments_dropped": 0, "fragments_completed": 0,
              "fragments_united": 0, "overlaps_not_united": 0}
    merged = MergeResult()
    near: list[dict[str, Any]] = []  # statement events an API event matches in amounts, not in time
    own_ids: set[str] = set()
    wallets: set[str] = set()  # the Accounts the file shows: the products it covers
    digest = None
    try:
        spool, digest, size = _download(s3, bucket, key, version, limit)
        if previous[0] == "done" and previous[1] == digest and previous[2]:
            # the same bytes processed again (a late redelivery): the first report stands
            spool.close()
            _write(upload, token, [UploadModel.status.set("done")])
            return {"upload_id": upload_key.upload_id, "status": "done", "report": previous[2]}
        with spool:
            chunk: list[Transaction] = []
            for tx in parser.iter_transactions(spool):
                if uid is None:  # no connection: the file's own User_ID names the account
                    uid = tx.account
                chunk.append(tx)
                own_ids.add(tx.id)
                wallets.update(leg.wallet for leg in tx.legs)
                if len(chunk) >= CHUNK:
                    _store(upload.user_id, uid, upload.connection_id, chunk, counts, merged, near)
                    chunk = []
            if chunk:
                _store(upload.user_id, uid or "unknown", upload.connection_id, chunk, counts, merged, near)
    except ZoneRequiredError as exc:
        # Local times, zone unknown: not guessed. Nothing was read past the header, so nothing is
        # stored; the report asks for the zone and the user uploads again with `tz`.
        report = {"error": str(exc), "file": upload_key.file_name, "needs": "tz",
                  "time_column": exc.time_header, "time_zone": exc.zone.to_dict()}
        _write(upload, token, [UploadModel.status.set("needs_timezone"), UploadModel.report.set(report),
                               UploadModel.finished_at.set(int(time.time() * 1000))])
        return {"upload_id": upload_key.upload_id, "status": "needs_timezone", "report": report}
    except REFUSALS as exc:
        return _fail(upload, token, upload_key.file_name, str(exc), counts["new"])
    except Exception as exc:
        # not the file's fault (storage, a bug): say so, then let the invocation be retried
        _fail(upload, token, upload_key.file_name, f"internal error while importing ({type(exc).__name__}); "
              "the import is retried", counts["new"])
        raise

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
        # events cut by an export boundary (statement.fragments): rows already stored, or completed
        "fragments_already_stored": counts["fragments_dropped"],
        "fragments_completed": counts["fragments_completed"],
        # stored events partly overlapping one of this file: stored again as their rows' union
        "fragments_united": counts["fragments_united"],
        "overlaps_not_united": counts["overlaps_not_united"],  # rows not recoverable: both kept
        # stored with meta.near_duplicate_of: the user confirms (delete) or dismisses each one
        "near_duplicate_count": len(near),
        "near_duplicates": near[:NEAR_DUPLICATES_LISTED],
        "rejected_count": stats["rejected_count"],
        "rejected": stats["rejected"],
        "unknown_operations": stats["unknown_operations"],
        # Simple Earn reward records on Account Earn: kept with no legs, linked to their Spot payment
        "reward_records": stats["reward_records"],
        "period": stats["period"],
        "time_zone": stats["time_zone"],  # which zone the times were read in, and why
        "layout": stats["layout"],
        "out_of_order_beyond_memory": stats["out_of_order_beyond_memory"],
        "sums": stats["sums"],
        "seconds": round(time.time() - started, 3),
        "bytes": size,
    }
    # the rows are in: shown at once, still held while the reconciliation runs
    _write(upload, token, [UploadModel.status.set("done"), UploadModel.report.set(report)], release=False)
    if upload.connection_id:  # every wallet again, now with this file's period covered
        report["covers_products"] = record_coverage(upload.connection_id, upload_key.upload_id,
                                                    stats["period"], wallets)
        report["reconciliation"] = reconcile_after_import(upload.user_id, upload.connection_id)
        completeness = reassess_after_import(upload.user_id, upload.connection_id, report["reconciliation"])
        if completeness is not None:
            report["completeness"] = completeness.get("state") or completeness
    stored = report
    if upload.connection_id and report.get("reconciliation") is not None:  # a heavy account's: S3
        stored = {**report, "reconciliation": documents.fit(
            report["reconciliation"], user_id=upload.user_id, connection_id=upload.connection_id,
            name=f"upload-{upload_key.upload_id}-reconciliation")}
    actions = [UploadModel.status.set("done"), UploadModel.report.set(stored),
               UploadModel.finished_at.set(int(time.time() * 1000)), UploadModel.content_sha256.set(digest)]
    if not upload.binance_uid and stats["uid"]:
        actions.append(UploadModel.binance_uid.set(str(stats["uid"])))
    if upload.file_format == "auto":
        actions.append(UploadModel.file_format.set(stats["format"] or "statement"))
    _write(upload, token, actions)
    return {"upload_id": upload_key.upload_id, "status": "done", "report": report}

