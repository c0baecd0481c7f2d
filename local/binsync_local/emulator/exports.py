"""Futures asynchronous exports (spec §5.6.2, §5.7.2): download ids, links and files.

- `…/asyn` (startTime and endTime required, at most one year apart) answers
  {"avgCostTimestampOfLast30d", "downloadId"} and counts against the monthly quota of that
  endpoint ("Request Limitation is 5 times per month"; the catalogue's `monthly_quota`).
- `…/asyn/id?downloadId=` answers "processing" (url "", expirationTimestamp -1) until the job is
  `ready_after_s` real seconds old (or polled `ready_after_polls` times), then "completed" with
  a link on this emulator (fields as Binance's documented example: downloadId, status, url,
  notified, expirationTimestamp, isExpired).
- The link (`/export-files/<downloadId>.csv`, no signature, like a pre-signed S3 link) serves the
  records of the live endpoint in the window, as a CSV with a header naming the live endpoint's
  fields (the layout binsync's parser assumes: the real layout is undocumented).

Assumptions (spec ❓): the quota is counted per key and calendar month (UTC) of the emulator's
clock; once spent, the request answers HTTP 400 with code -4000 (Binance documents no code).
The export has no horizon of its own (retention.export_reachable_records).
"""

from __future__ import annotations

import csv
import io
import itertools
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from binsync.binance import catalogue
from binsync.binance.catalogue import Endpoint
from binsync.sync.export_file import COLUMNS

from .account import Account
from .api import ApiError, _int, dumps, mandatory
from .retention import export_reachable_records

FILES_PREFIX = "/export-files/"
QUOTA_CODE = -4000
YEAR_MS = 365 * catalogue.DAY_MS


@dataclass
class Job:
    download_id: str
    live: str          # the live endpoint whose records the file holds
    link: str          # the catalogue name of the link endpoint that may read it
    start_ms: int
    end_ms: int
    created_s: float
    polls: int = 0


class ExportJobs:
    def __init__(self, account: Account, ready_after_s: float = 1.0, ready_after_polls: int | None = None):
        self.account = account
        self.ready_after_s = ready_after_s
        # Tests of the hand-back: ready at the Nth poll whatever the clock (the local state
        # machine retries without waiting).
        self.ready_after_polls = ready_after_polls
        self.jobs: dict[str, Job] = {}
        self.used: dict[tuple[str, str, str], int] = {}  # (key, endpoint, YYYY-MM) -> requests
        self.refused: dict[tuple[str, str, str], int] = {}  # requests refused for the quota
        self._ids = itertools.count(546_975_389_218_332_672)
        self._lock = threading.Lock()

    @staticmethod
    def handles(ep: Endpoint) -> bool:
        return ep.pagination == "export" or any(
            e.extra.get("link") == ep.name for e in catalogue.ENDPOINTS.values() if e.pagination == "export")

    def answer(self, ep: Endpoint, params: dict[str, str], now_ms: int, api_key: str, host: str) -> str:
        if ep.pagination == "export":
            return self._request(ep, params, now_ms, api_key)
        return self._link(ep, params, now_ms, host)

    def _request(self, ep: Endpoint, params: dict[str, str], now_ms: int, api_key: str) -> str:
        start, end = _int(params, "startTime"), _int(params, "endTime")
        if start is None or end is None:
            raise mandatory("startTime" if start is None else "endTime")
        if end < start:
            raise ApiError(-1023, "Start time is greater than end time.")
        if end - start > YEAR_MS:
            raise ApiError(-1127, "The time between startTime and endTime can not be longer than 1 year.")
        month = datetime.fromtimestamp(now_ms / 1000, UTC).strftime("%Y-%m")
        quota = int(ep.extra.get("monthly_quota") or 5)  # type: ignore[call-overload]
        with self._lock:
            key = (api_key, ep.name, month)
            if self.used.get(key, 0) >= quota:
                self.refused[key] = self.refused.get(key, 0) + 1
                raise ApiError(QUOTA_CODE, f"Request Limitation is {quota} times per month, shared by front "
                                           "end download page and rest api.")
            self.used[key] = self.used.get(key, 0) + 1
            download_id = str(next(self._ids))
            self.jobs[download_id] = Job(download_id, str(ep.extra["export_of"]), str(ep.extra["link"]),
                                         start, end, time.monotonic())
        return dumps({"avgCostTimestampOfLast30d": int(self.ready_after_s * 1000), "downloadId": download_id})

    def _link(self, ep: Endpoint, params: dict[str, str], now_ms: int, host: str) -> str:
        download_id = params.get("downloadId") or ""
        job = self.jobs.get(download_id)
        if job is None or job.link != ep.name:
            raise ApiError(-1102, "Param 'downloadId' is invalid.")
        job.polls += 1
        if not self._ready(job):
            return dumps({"downloadId": download_id, "status": "processing", "url": "", "notified": False,
                          "expirationTimestamp": -1, "isExpired": None})
        return dumps({"downloadId": download_id, "status": "completed",
                      "url": f"http://{host}{FILES_PREFIX}{download_id}.csv", "notified": True,
                      "expirationTimestamp": now_ms + 7 * catalogue.DAY_MS, "isExpired": None})

    def _ready(self, job: Job) -> bool:
        if self.ready_after_polls is not None and job.polls >= self.ready_after_polls:
            return True
        return time.monotonic() - job.created_s >= self.ready_after_s

    def file(self, path: str) -> str | None:
        """The CSV behind a completed link, or None for an unknown file."""
        job = self.jobs.get(path[len(FILES_PREFIX):].removesuffix(".csv"))
        if job is None or not self._ready(job):
            return None
        recs = [r for r in export_reachable_records(self.account, job.live, self.account.now_ms)
                if job.start_ms <= r.time_ms <= job.end_ms]
        recs.sort(key=lambda r: (r.time_ms, r.cursor))
        return to_csv(job.live, [r.raw for r in recs])


def to_csv(live: str, rows: list[dict[str, Any]]) -> str:
    present = [c for c in COLUMNS[live] if any(c in r for r in rows)] or list(COLUMNS[live])
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(present)
    for r in rows:
        writer.writerow([_cell(r.get(c)) for c in present])
    return buf.getvalue()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
