"""Two deliveries of one upload's S3 event processed at the same time (issue 17 item 6).

S3 delivers at least once, and Lambda may run two deliveries of one object's event at once (a
duplicate notification, or two PUTs to the same presigned key whose ETags differ, which
Powertools' idempotency key does not unite). The upload is claimed with a conditional write: the
second delivery waits for the first's claim, then returns the first report; past its bound it
fails with `UploadInProgress` (Lambda retries it). The file is parsed once and the report is
never replaced by the duplicate's "imported 0".
"""

from __future__ import annotations

import threading
import time
from typing import Any

from .helpers import statement
from .test_upload import ROWS, USER, _create_upload, _ensure_connection, _items, _report


def _racing(monkeypatch: Any, parties: int = 2) -> threading.Barrier:
    """Every delivery waits, once it has read the upload record, until the other has read it
    too: both then go on from the same state, whatever the scheduler does."""
    from binsync.statement import upload as upload_module

    barrier = threading.Barrier(parties, timeout=120)  # a loaded machine: no early break
    real = upload_module._load_upload
    calls = iter(range(parties))  # only the racing deliveries wait, not a later retry

    def load(*args: Any, **kwargs: Any) -> Any:
        got = real(*args, **kwargs)
        if next(calls, None) is not None:
            barrier.wait()
        return got

    monkeypatch.setattr(upload_module, "_load_upload", load)
    return barrier


def _deliver_twice_at_once(bucket: str, key: str) -> list[Any]:
    from binsync.statement.upload import process_upload

    outcomes: list[Any] = [None, None]

    def run(i: int) -> None:
        try:
            outcomes[i] = process_upload(bucket, key)
        except Exception as exc:
            outcomes[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return outcomes


def test_two_concurrent_deliveries_import_once_and_keep_the_report(cloud: Any, monkeypatch: Any) -> None:
    from binsync.statement import upload as upload_module

    _ensure_connection()
    key = _create_upload("u-1")
    cloud.client("s3").put_object(Bucket=cloud.uploads_bucket, Key=key, Body=statement(ROWS))
    parsed = []  # the 7 rows' one chunk stored, once per parse of the file
    real_store = upload_module._store

    def store(*args: Any, **kwargs: Any) -> Any:
        parsed.append(1)
        return real_store(*args, **kwargs)

    monkeypatch.setattr(upload_module, "_store", store)
    _racing(monkeypatch)
    outcomes = _deliver_twice_at_once(cloud.uploads_bucket, key)
    assert all(isinstance(o, dict) for o in outcomes), outcomes
    status, report = _report("u-1")
    assert status == "done" and report["imported"] == 7, report
    # one parse; the second delivery waited and answers with the first report
    assert len(parsed) == 1
    assert [o["report"] for o in outcomes] == [report, report]
    assert len(_items()) == 7


def test_a_delivery_that_waited_too_long_is_retried(cloud: Any, monkeypatch: Any) -> None:
    """Past its bound the second delivery gives up with UploadInProgress (Lambda retries it)
    and leaves the holder's upload alone."""
    import pytest
    from binsync.statement import upload as upload_module
    from binsync.storage.models import UploadModel

    _ensure_connection()
    key = _create_upload("u-1")
    far = int(time.time() * 1000) + 600_000
    UploadModel.get(USER, "u-1").update(actions=[
        UploadModel.status.set("parsing"), UploadModel.claim.set("holder"),
        UploadModel.claimed_until.set(far)])
    # Before the PUT: its own S3 delivery must give up at once too, not wait out the bound three
    # times (Lambda's async retries) while the fixture's teardown waits for it.
    monkeypatch.setattr(upload_module, "BUSY_WAIT_S", 0)
    cloud.client("s3").put_object(Bucket=cloud.uploads_bucket, Key=key, Body=statement(ROWS))
    assert cloud.wait_deliveries(60)  # while BUSY_WAIT_S is still 0 for it
    with pytest.raises(upload_module.UploadInProgress):
        upload_module.process_upload(cloud.uploads_bucket, key)
    held = UploadModel.get(USER, "u-1")
    assert (held.status, held.claim, held.claimed_until) == ("parsing", "holder", far)
    assert _items() == []


def test_a_claim_left_by_a_killed_delivery_is_taken_over_once_it_expires(cloud: Any,
                                                                       monkeypatch: Any) -> None:
    """A delivery killed while `parsing` (Lambda timeout, crash) leaves its claim: the retry may
    take it once the claim has outlived any invocation, so the upload is never stuck."""
    from binsync.statement import upload as upload_module
    from binsync.storage.models import UploadModel

    _ensure_connection()
    key = _create_upload("u-1")
    # The killed delivery's claim is in place before the object's own S3 delivery runs (set
    # after the PUT, that delivery raced the test's call: both could find the claim expired).
    UploadModel.get(USER, "u-1").update(actions=[
        UploadModel.status.set("parsing"), UploadModel.claim.set("killed-delivery"),
        UploadModel.claimed_until.set(1)])  # expired long ago
    cloud.put_upload(key, statement(ROWS))  # the retried delivery, through S3 and the parser Lambda
    status, report = _report("u-1")
    assert status == "done" and report["imported"] == 7, report
    held = UploadModel.get(USER, "u-1")
    assert held.claim != "killed-delivery"
    # and a late duplicate of that delivery changes nothing
    result = upload_module.process_upload(cloud.uploads_bucket, key)
    assert result["status"] == "done" and _report("u-1")[0] == "done"
    assert len(_items()) == 7
