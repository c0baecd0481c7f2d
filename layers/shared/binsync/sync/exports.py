"""Run one asynchronous-export task (futures history past the live horizons, spec §5.6.2).

A task is one ≤1-year window of one export endpoint. Steps, each resumable from the task's
checkpoint (`cursor`):
1. request a download id (`income/asyn`, `trade/asyn`; weight 1000, 5 per month): the id is
   checkpointed at once, so a retry never spends another request of the monthly quota;
2. poll the link by id (`…/asyn/id`) a few times with a growing pause, within `POLL_BUDGET_S`
   and the worker's deadline. Still processing after that: `ExportPending` hands the task back
   to the state machine (its own Retry rule, minutes apart) instead of holding a Lambda idle;
   the retry resumes at step 2 with the same id;
3. download the file with `requests` and parse it (export_file.py) into the live endpoint's
   rows, which the caller normalises with the live endpoint's normaliser.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import requests

from binsync.binance.catalogue import ENDPOINTS, Endpoint
from binsync.binance.client import Page
from binsync.binance.errors import RateLimited, TransientError
from binsync.sync.export_file import ExportFileError, parse_export

POLL_BUDGET_S = 20.0      # polling inside one task before handing back to the state machine
FIRST_PAUSE_S = 0.5
DOWNLOAD_TIMEOUT_S = 120


class ExportPending(RateLimited):
    """Binance is still building the file. Its own name: the state machine matches errors by
    class name and gives this one a Retry rule of minutes to hours (statemachine/sync.asl.json),
    not the seconds of a rate limit; it is not counted as a 429."""


QUOTA_CODE = -4000  # the emulator's code for "5 times per month" (Binance documents none: ❓)
QUOTA_CAUSE = "export_quota"


def is_quota_refusal(exc: Exception) -> bool:
    """Binance refused a new export because this month's quota is spent."""
    message = str(getattr(exc, "msg", "") or exc).lower()
    return getattr(exc, "code", None) == QUOTA_CODE or "times per month" in message


def quota_note(ep: Endpoint, start_ms: int | None, end_ms: int | None) -> dict[str, Any]:
    """The task note of a window the monthly quota left unread (sync/task_notes.py shape)."""
    return {"cause": QUOTA_CAUSE, "endpoint": ep.name, "windows": [[start_ms, end_ms]], "count": 1,
            "reason": "the asynchronous export's monthly quota (5) is spent; the window is read by a "
                      "sync next month, or filled from the statement"}


def live_endpoint(ep: Endpoint) -> str:
    return str(ep.extra["export_of"])


def iter_export_pages(client: Any, ep: Endpoint, *, start_ms: int | None, end_ms: int | None,
                      cursor: dict[str, Any] | None, rejected: list[str],
                      sleep: Any = time.sleep, clock: Any = time.monotonic,
                      spent: Callable[[], None] | None = None) -> Iterator[Page]:
    link_ep = ENDPOINTS[str(ep.extra["link"])]
    download_id = (cursor or {}).get("downloadId")
    if not download_id:
        body = client.request(ep, {"startTime": start_ms, "endTime": end_ms})
        download_id = str(body["downloadId"])
        if spent is not None:  # one request of the monthly quota, counted across runs (export_quota.py)
            spent()
        # Checkpoint the id before anything else can fail: the quota is spent once per window.
        yield Page(rows=[], cursor={"downloadId": download_id}, request_count=1, weight=ep.weight)
    polls = 0
    pause = FIRST_PAUSE_S
    started = clock()
    while True:
        link = client.request(link_ep, {"downloadId": download_id})
        polls += 1
        url = link.get("url") if str(link.get("status", "")).lower() == "completed" else None
        if url:
            break
        deadline = getattr(client, "deadline", None)
        left = POLL_BUDGET_S - (clock() - started)
        if deadline is not None:
            left = min(left, deadline - time.time())
        if left <= pause:
            raise ExportPending(f"{ep.name}: download {download_id} still {link.get('status')!r} after "
                                f"{polls} polls; retried later", retry_after=pause, bucket="export")
        sleep(pause)
        pause = min(pause * 2, 8.0)
    try:
        resp = requests.get(url, timeout=DOWNLOAD_TIMEOUT_S)
    except (requests.Timeout, requests.ConnectionError) as exc:
        raise TransientError(f"{ep.name}: download of {download_id} failed: {exc}") from exc
    if resp.status_code >= 500:
        raise TransientError(f"{ep.name}: download of {download_id} answered HTTP {resp.status_code}")
    if resp.status_code != 200:  # an expired link (7 days): ask for a new file next time
        raise ExportFileError(f"{ep.name}: download {download_id} answered HTTP {resp.status_code}")
    parsed = parse_export(live_endpoint(ep), resp.content)
    rejected.extend(parsed.rejected)
    yield Page(rows=parsed.rows, cursor=None, request_count=polls + 1, weight=polls * link_ep.weight)
