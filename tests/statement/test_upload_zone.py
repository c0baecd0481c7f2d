"""Upload path and CLI read a statement's times in the same zone and give the same events."""

from __future__ import annotations

import io
import json
import time
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any

from .test_real_corpus import REAL, UTC5
from .test_upload import CONN, USER, _ensure_connection, _items, _report

UID5 = "222333444"


def _upload(upload_id: str, file_name: str, tz: str | None = None) -> str:
    from binsync.storage.models import UploadModel

    key = f"uploads/{USER}/{upload_id}/{file_name}"
    UploadModel(USER, upload_id, connection_id=CONN, binance_uid=UID5, file_name=file_name, s3_key=key,
                created_at=int(time.time() * 1000), time_zone=tz).save()
    return key


def _cli(path: Path, *extra: str) -> dict[str, Any]:
    import argparse

    from binsync_local.cli.statement_cmd import run_parse

    args = argparse.Namespace(file=str(path), uid=None, expect_uid=None, tz_offset=0, no_raw=False,
                              summary=False, waltio=None, tz=None)
    for flag, value in zip(extra[::2], extra[1::2], strict=True):
        setattr(args, flag.lstrip("-").replace("-", "_"), value)
    out = io.StringIO()
    with redirect_stdout(out):
        assert run_parse(args) == 0
    return json.loads(out.getvalue())


def test_zone_from_the_file_name_same_events_as_the_cli(cloud: Any) -> None:
    _ensure_connection(UID5)
    data = (REAL / UTC5).read_bytes()
    key = _upload("u-z1", UTC5)
    cloud.put_upload(key, data)
    status, report = _report("u-z1")
    assert status == "done", report
    assert report["time_zone"]["source"] == "file_name" and report["time_zone"]["offset_seconds"] == 18000
    stored = {(i.body["id"], i.body["time_ms"]) for i in _items()}
    printed = {(tx["id"], tx["time_ms"]) for tx in _cli(REAL / UTC5)["transactions"]}
    assert stored == printed and len(stored) == report["transactions"]


def test_explicit_tz_on_the_upload_and_on_the_cli_agree(cloud: Any, tmp_path: Path) -> None:
    _ensure_connection(UID5)
    data = (REAL / UTC5).read_bytes()
    plain = tmp_path / "statement.csv"
    plain.write_bytes(data)
    key = _upload("u-z2", "statement.csv", tz="+05:00")
    cloud.put_upload(key, data)
    status, report = _report("u-z2")
    assert status == "done" and report["time_zone"]["source"] == "request"
    stored = {(i.body["id"], i.body["time_ms"]) for i in _items()}
    printed = {(tx["id"], tx["time_ms"]) for tx in _cli(plain, "--tz", "+05:00")["transactions"]}
    assert stored == printed


def test_local_times_without_a_zone_ask_for_it_and_store_nothing(cloud: Any) -> None:
    _ensure_connection(UID5)
    key = _upload("u-z3", "statement.csv")
    cloud.put_upload(key, (REAL / UTC5).read_bytes())
    status, report = _report("u-z3")
    assert status == "needs_timezone" and report["needs"] == "tz" and report["time_column"] == "Time"
    assert "time zone needed" in report["error"]
    assert _items() == []
