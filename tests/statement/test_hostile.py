"""Hostile and damaged uploads (issue 17 item 1): each one, put through the S3 path of the local
cloud, ends `failed` with the reason in words (or `done` with the offending row rejected by line),
never `parsing`; the CLI prints the same message and exits 2."""

from __future__ import annotations

import io
import json
import time
import zipfile
from collections.abc import Callable
from typing import Any

import pytest

from .helpers import UID, statement

USER = "user-a"
CONN = "conn-1"
GOOD = [("2025-03-04 09:15:27", "Spot", "Deposit", "BTC", "0.05")]


def _zip(name: str, data: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, data)
    return out.getvalue()


def _zip_stream(name: str, chunks: Callable[[], Any]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive, \
            archive.open(name, "w", force_zip64=True) as member:
        for chunk in chunks():
            member.write(chunk)
    return out.getvalue()


def truncated_zip() -> bytes:
    data = _zip("statement.csv", statement(GOOD * 200))
    return data[: len(data) // 2]


def pk_garbage() -> bytes:
    return b"PK\x03\x04" + bytes(range(256)) * 8


def corrupt_xlsx() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook><sheets><sheet name='x' r:id='rId1'")
    return out.getvalue()


def long_field() -> bytes:
    head = statement(GOOD)
    return head + f'"{UID}","2025-03-04 09:15:28","Spot","Deposit","BTC","1","{"x" * 200_000}"\n'.encode()


def long_line_bomb(megabytes: int = 1024) -> bytes:
    """A zip of about 1 MB that expands to one line of 1 GB (no newline)."""
    block = b"A" * (1 << 20)
    return _zip_stream("statement.csv", lambda: [statement(GOOD)] + [block] * megabytes)


def same_second_rows(count: int = 2_000_000) -> bytes:
    row = f'"{UID}","2025-03-04 09:15:27","Spot","Transaction Buy","BTC","0.001",""\n'.encode()
    return _zip_stream("statement.csv", lambda: [statement([])] + [row * 10_000] * (count // 10_000))


def amount(text: str) -> bytes:
    return statement([*GOOD, ("2025-03-04 09:15:28", "Spot", "Deposit", "BTC", text)])


# (name, file, expected status, words in the reason)
HOSTILE: list[tuple[str, Callable[[], bytes], str, str]] = [
    ("truncated zip", truncated_zip, "failed", "ZIP archive is damaged"),
    ("PK-prefixed garbage", pk_garbage, "failed", "ZIP archive is damaged"),
    ("corrupt xlsx", corrupt_xlsx, "failed", "XLSX workbook is damaged"),
    ("CSV field over 128 KB", long_field, "failed", "line 3"),
    ("1 MB zip holding a 1 GB line", long_line_bomb, "failed",
     "expands to 1073741959 bytes, more than the 512 MB"),
    ("zip holding a 64 MB line", lambda: long_line_bomb(64), "failed",
     "line 3 is longer than 131072 characters"),
    ("2 M same-second rows", same_second_rows, "failed",
     "more than 50000 consecutive rows at 2025-03-04 09:15:27"),
    ("1E-999999", lambda: amount("1E-999999"), "done", "more than 30 decimal places"),
    ("1E50000000", lambda: amount("1E50000000"), "done", "more than 30 integer digits"),
    ("1E1500000000", lambda: amount("1E1500000000"), "done", "more than 30 integer digits"),
    ("year 1969", lambda: statement([*GOOD, ("1969-12-31 23:59:59", "Spot", "Deposit", "BTC", "1")]),
     "done", "outside the supported range"),
    ("year 9999", lambda: statement([*GOOD, ("9999-01-01 00:00:00", "Spot", "Deposit", "BTC", "1")]),
     "done", "outside the supported range"),
]


@pytest.fixture(scope="module")
def hostile_files() -> dict[str, bytes]:
    return {name: build() for name, build, _, _ in HOSTILE}


def _upload(upload_id: str, file_name: str) -> str:
    from binsync.storage.models import ConnectionModel, UploadModel

    ConnectionModel(USER, CONN, binance_uid=UID, secret_name="s", created_at=int(time.time() * 1000)).save()
    key = f"uploads/{USER}/{upload_id}/{file_name}"
    UploadModel(USER, upload_id, connection_id=CONN, binance_uid=UID, file_name=file_name, s3_key=key,
                created_at=int(time.time() * 1000)).save()
    return key


@pytest.mark.parametrize(("name", "expected", "words"), [(n, s, w) for n, _, s, w in HOSTILE],
                         ids=[n for n, *_ in HOSTILE])
def test_hostile_upload_ends_with_its_reason(cloud: Any, hostile_files: dict[str, bytes], name: str,
                                             expected: str, words: str) -> None:
    from binsync.storage.models import TransactionModel, UploadModel

    key = _upload("u-1", "statement.xlsx" if "xlsx" in name else "statement.zip")
    cloud.put_upload(key, hostile_files[name])
    upload = UploadModel.get(USER, "u-1")
    assert upload.status == expected, upload.report
    if expected == "failed":
        assert words in upload.report["error"], upload.report
    else:  # the bad row is refused by line; the good row before it is imported
        assert upload.report["rejected"] == [{"line": 3, "reason": upload.report["rejected"][0]["reason"]}]
        assert words in upload.report["rejected"][0]["reason"]
        assert upload.report["imported"] == 1
        stored = list(TransactionModel.query(USER))
        assert len(stored) == 1 and len(stored[0].body["legs"]) == 1


@pytest.mark.parametrize("name", [n for n, _, s, _ in HOSTILE if s == "failed"])
def test_the_cli_prints_the_same_reason_and_exits_2(tmp_path: Any, hostile_files: dict[str, bytes],
                                                    name: str, capsys: Any) -> None:
    import argparse

    from binsync_local.cli.statement_cmd import run_parse

    path = tmp_path / "statement.bin"
    path.write_bytes(hostile_files[name])
    args = argparse.Namespace(file=str(path), uid=None, expect_uid=None, tz=None, tz_offset=0, no_raw=True,
                              summary=True, waltio=None)
    assert run_parse(args) == 2
    printed = json.loads(capsys.readouterr().out)
    words = next(w for n, _, _, w in HOSTILE if n == name)
    assert words in printed["error"]


def test_an_object_without_an_upload_record_is_not_imported(cloud: Any) -> None:
    from binsync.storage.models import TransactionModel, UploadModel

    cloud.put_upload(f"uploads/{USER}/u-9/legacy.csv", statement(GOOD))
    assert list(TransactionModel.query(USER)) == []
    assert list(UploadModel.query(USER)) == []


def test_an_object_under_another_key_than_its_upload_record_is_not_imported(cloud: Any) -> None:
    from binsync.storage.models import TransactionModel

    _upload("u-1", "statement.csv")
    cloud.put_upload(f"uploads/{USER}/u-1/other.csv", statement(GOOD))
    assert list(TransactionModel.query(USER)) == []


def test_a_reprocessed_upload_keeps_its_report(cloud: Any) -> None:
    from binsync.storage.models import UploadModel

    key = _upload("u-1", "statement.csv")
    cloud.put_upload(key, statement(GOOD))
    first = UploadModel.get(USER, "u-1").report
    assert first["imported"] == 1
    from binsync.statement.upload import process_upload

    # the same object processed again (a redelivery after the idempotency record expired)
    process_upload(cloud.uploads_bucket, key)
    again = UploadModel.get(USER, "u-1")
    assert again.status == "done" and again.report["imported"] == 1 and again.report == first


def test_parser_and_api_accept_the_same_size() -> None:
    from binsync.statement import limits, upload
    from binsync.transactions import uploads

    assert upload.DEFAULT_MAX_BYTES == uploads.DEFAULT_MAX_BYTES == limits.MAX_UPLOAD_BYTES
    assert limits.MAX_UPLOAD_BYTES == 50 * 1024 * 1024


def test_an_unexpected_error_fails_the_upload_before_it_propagates(cloud: Any, monkeypatch: Any) -> None:
    from binsync.statement import upload as upload_module
    from binsync.storage.models import UploadModel

    key = _upload("u-1", "statement.csv")
    data = statement(GOOD)

    class S3:
        def get_object(self, **kwargs: Any) -> dict[str, Any]:
            return {"ContentLength": len(data), "Body": io.BytesIO(data)}

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise ConnectionError("dynamodb unreachable")

    monkeypatch.setattr(upload_module, "_store", broken)
    with pytest.raises(ConnectionError):
        upload_module.process_upload(cloud.uploads_bucket, key, s3=S3())
    upload = UploadModel.get(USER, "u-1")
    assert upload.status == "failed" and "internal error" in upload.report["error"]
