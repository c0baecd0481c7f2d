"""The fault suite's statement rows (issue 17 item 6): S3 delivers an upload's ObjectCreated
event at least once, sometimes twice, sometimes twice at the same time, and users upload
statements whose periods overlap. Each row runs on top of a fault-free API sync.

Ground truth: the account's whole statement parsed here (`truth`). After the uploads every event
of it must be stored exactly once: as its own statement item, or merged into API items (listed in
their `merged_from`), never both and never twice; the Change sums per (coin, Account) of what is
stored (own items' legs, plus the statement legs of merged events) equal the file's; every upload
ends `done` with its claim let go, and its report is the first one (a duplicate delivery never
replaces it with "imported 0").

Deliveries go through Lambda's asynchronous invoke (`InvocationType=Event`: retries, then the
dead-letter queue), the function's Powertools idempotency and `process_upload`'s claim.
"""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

OVERLAP_MS = 30 * 86_400_000  # the two overlapping files share a month


@dataclass
class StatementCheck:
    expected: int = 0  # events of the account's whole statement
    stored: int = 0  # of them, found stored (own item or merged), counting repeats
    lost: int = 0
    duplicated: int = 0
    sums_conserved: bool = False
    uploads: list[dict[str, Any]] = field(default_factory=list)  # upload_id, status, imported, held
    deliveries: int = 0  # invocations of the parser
    overlapped: int = 0  # of them, started while another was running (they waited for it)
    refused: int = 0  # of them, told to retry (another delivery held the upload)
    dead_letters: int = 0

    @property
    def ok(self) -> bool:
        return (self.lost == 0 and self.duplicated == 0 and self.sums_conserved
                and all(u["status"] == "done" and not u["held"] and u["reports_equal"] for u in self.uploads))

    def words(self) -> str:
        states = ",".join(sorted({u["status"] for u in self.uploads}))
        sums = "kept" if self.sums_conserved else "BROKEN"
        return (f"uploads {states} x{len(self.uploads)}, {self.deliveries} deliveries ({self.overlapped} "
                f"concurrent, {self.refused} told to retry, {self.dead_letters} dead-lettered), sums {sums}")


def _statement(account: Any, start_ms: int | None = None, end_ms: int | None = None) -> bytes:
    from binsync_local.emulator.statement import write_statement

    text = io.StringIO()
    write_statement(account, text, start_ms=start_ms, end_ms=end_ms)
    return text.getvalue().encode()


def _truth(account: Any) -> tuple[dict[str, Any], dict[tuple[str, str], Decimal]]:
    """The whole statement's events by id, and its Change sums per (coin, Account) less the
    Simple Earn reward records (rows that move no balance: their payment does)."""
    from binsync.statement.parser import StatementParser
    from binsync.statement.upload import SOURCE_REF

    uid = str(account.uid)
    parser = StatementParser(uid=uid, expected_uid=uid, source_ref=SOURCE_REF, file_name="statement.csv")
    events = {tx.id: tx for tx in parser.parse(io.BytesIO(_statement(account)))}
    return events, {k: v for k, v in parser.stats.balance_sums().items() if v != 0}


def _ticket(cloud: Any, user: str, connection_id: str, name: str, data: bytes) -> tuple[str, str]:
    status, _, ticket = cloud.api_request("POST", "/uploads", user=user, body={
        "connection_id": connection_id, "file_name": name, "format": "statement", "size": len(data),
        "content_type": "text/csv"})
    if status != 201:
        raise RuntimeError(f"upload refused: {status} {ticket}")
    from binsync.storage.models import UploadModel

    return ticket["upload_id"], UploadModel.get(user, ticket["upload_id"]).s3_key


def _event(bucket: str, key: str, etag: str) -> dict[str, Any]:
    from urllib.parse import quote_plus

    return {"Records": [{
        "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1",
        "eventTime": "2026-12-02T00:00:00.000Z", "eventName": "ObjectCreated:Put",
        "s3": {"s3SchemaVersion": "1.0", "bucket": {"name": bucket, "arn": f"arn:aws:s3:::{bucket}"},
               "object": {"key": quote_plus(key), "size": 1, "eTag": etag, "sequencer": "1"}}}]}


def _deliver(cloud: Any, event: dict[str, Any]) -> None:
    """One more delivery of an S3 event, as Lambda's asynchronous invoke runs it."""
    cloud.client("lambda").invoke(FunctionName=cloud.function("parse_statement").name,
                                  InvocationType="Event", Payload=json.dumps(event).encode())


def _put(cloud: Any, key: str, data: bytes, *, wait: bool = True) -> str:
    response = cloud.put_upload(key, data, wait=wait)
    return str(response["ETag"]).strip('"')


def _forget_idempotency(cloud: Any) -> None:
    """The idempotency records expire (7 days): a delivery after that reaches process_upload."""
    ddb = cloud.client("dynamodb")
    table = next(t for t in ddb.list_tables()["TableNames"] if "idempotency" in t)
    for item in ddb.scan(TableName=table)["Items"]:
        ddb.delete_item(TableName=table, Key={"id": item["id"]})


def redelivered(cloud: Any, account: Any, user: str, connection_id: str) -> list[str]:
    """The whole statement uploaded; its event delivered again (answered by the idempotency
    record), then again once the record has expired (process_upload sees the same bytes)."""
    data = _statement(account)
    upload_id, key = _ticket(cloud, user, connection_id, "statement.csv", data)
    etag = _put(cloud, key, data)
    event = _event(cloud.uploads_bucket, key, etag)
    _deliver(cloud, event)
    _forget_idempotency(cloud)
    _deliver(cloud, event)
    return [upload_id]


def concurrent(cloud: Any, account: Any, user: str, connection_id: str) -> list[str]:
    """The whole statement uploaded; while its notification is processed, the same event and the
    event of a second PUT of the same bytes (another ETag, as a multipart upload gives: the
    idempotency key differs) are delivered at the same time; later the event once more, its
    idempotency record expired."""
    data = _statement(account)
    upload_id, key = _ticket(cloud, user, connection_id, "statement.csv", data)
    etag = _put(cloud, key, data, wait=False)  # the notification is on Lambda's queue
    events = [_event(cloud.uploads_bucket, key, etag), _event(cloud.uploads_bucket, key, f"{etag}-2")]
    threads = [threading.Thread(target=_deliver, args=(cloud, event)) for event in events]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(600)
    cloud.wait_deliveries()
    _forget_idempotency(cloud)  # and a late redelivery: the first report stands
    _deliver(cloud, events[0])
    return [upload_id]


def _overlapping(first_is_earlier: bool) -> Callable[[Any, Any, str, str], list[str]]:
    def run(cloud: Any, account: Any, user: str, connection_id: str) -> list[str]:
        """Two statements, the first half and the second half of the account's history sharing
        a month, uploaded one after the other."""
        times = [ev.time_ms for ev in account.events]
        middle = times[len(times) // 2]
        files = [("statement-early.csv", _statement(account, None, middle + OVERLAP_MS)),
                 ("statement-late.csv", _statement(account, middle - OVERLAP_MS, None))]
        if not first_is_earlier:
            files.reverse()
        uploads = []
        for name, data in files:
            upload_id, key = _ticket(cloud, user, connection_id, name, data)
            _put(cloud, key, data)
            uploads.append(upload_id)
        return uploads

    return run


overlapping_in_order = _overlapping(True)
overlapping_reversed = _overlapping(False)


def _dead_letters(cloud: Any) -> int:
    arn = cloud.function("parse_statement").dead_letter_arn
    if not arn:
        return 0
    sqs = cloud.client("sqs")
    url = sqs.get_queue_url(QueueName=arn.rsplit(":", 1)[1])["QueueUrl"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
    return int(attributes["Attributes"]["ApproximateNumberOfMessages"])


def run_statement_fault(cloud: Any, account: Any, user: str, connection_id: str,
                        deliveries: Callable[[Any, Any, str, str], list[str]]) -> StatementCheck:
    from binsync.statement.events import legs_sum
    from binsync.storage.models import TransactionModel, UploadModel, account_key

    before = len(cloud.router.invocations)
    cloud.router.async_retry_delays_s = (1.0, 2.0)  # Lambda's 1 and 2 minutes at time scale 60
    first_reports: dict[str, Any] = {}
    real_write = None
    try:
        from binsync.statement import upload as upload_module

        real_write = upload_module._write

        def write(upload: Any, token: str, actions: list[Any], *, release: bool = True) -> bool:
            # remember each upload's first final report: a later delivery must not replace it
            written = real_write(upload, token, actions, release=release)
            if written and release and upload.status == "done" and upload.upload_id not in first_reports:
                first_reports[upload.upload_id] = upload.report
            return written

        upload_module._write = write
        upload_ids = deliveries(cloud, account, user, connection_id)
        cloud.wait_deliveries()
    finally:
        if real_write is not None:
            upload_module._write = real_write
        cloud.router.async_retry_delays_s = ()

    events, sums = _truth(account)
    own: dict[str, int] = {}
    merged: set[str] = set()
    stored_sums: dict[tuple[str, str], Decimal] = {}
    for item in TransactionModel.by_account.query(account_key(user, str(account.uid))):
        if item.source_kind == "statement" and item.tx_id in events:
            own[item.tx_id] = own.get(item.tx_id, 0) + 1
            for leg in item.body["legs"]:
                k = (leg["asset"], leg["wallet"])
                stored_sums[k] = stored_sums.get(k, Decimal(0)) + Decimal(leg["amount"])
        merged.update(m for m in item.merged_from or [] if m in events)
    for tx_id in merged - set(own):  # a merged event's statement legs, as the file has them
        for (asset, wallet), amount in legs_sum([events[tx_id]]).items():
            stored_sums[(asset, wallet)] = stored_sums.get((asset, wallet), Decimal(0)) + amount
    check = StatementCheck(expected=len(events))
    for tx_id in events:
        found = own.get(tx_id, 0) + (1 if tx_id in merged else 0)
        check.stored += found
        check.lost += found == 0
        check.duplicated += max(0, found - 1)
    check.sums_conserved = {k: v for k, v in stored_sums.items() if v != 0} == sums
    for upload_id in upload_ids:
        upload = UploadModel.get(user, upload_id)
        report = upload.report or {}
        check.uploads.append({"upload_id": upload_id, "status": upload.status,
                              "imported": report.get("imported"), "held": upload.claim is not None,
                              "reports_equal": report == first_reports.get(upload_id)})
    calls = [c for c in cloud.router.invocations[before:] if c.function == "parse_statement"]
    check.deliveries = len(calls)
    check.overlapped = sum(any(o is not c and o.started <= c.started < o.started + o.duration_s
                               for o in calls) for c in calls)
    busy = ("UploadInProgress", "IdempotencyAlreadyInProgressError")
    check.refused = sum(c.error_type in busy for c in calls)
    check.dead_letters = _dead_letters(cloud)
    return check
