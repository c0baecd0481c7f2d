"""Plan the futures asynchronous exports (issue 14 item 2; spec §5.6.2, §5.7.2).

An export endpoint (`pagination="export"`, `extra.export_of` = its live endpoint) is planned with
its live endpoint, only for the part of the sync window the live endpoint cannot reach:
[max(sync start, product launch), live horizon). Exports are slow (Binance builds a file) and
quota-limited ("5 times per month"), so:
- one task per ≤1-year window (the documented maximum), never for a period the live endpoint
  reaches: an incremental or since-last sync starting inside the horizon plans none;
- at most what is left of this month's quota (`quota_left`, counted across runs by
  export_quota.py; `monthly_quota` when not given) windows per run, the newest first; older
  windows are reported as beyond the API's reach this run, with the month from which a sync can
  read them (`retry_month`), or from the statement;
- a live endpoint without a horizon (COIN-M income: depth not documented) needs no export.
The live endpoint's beyond-retention entry is replaced by the exports' own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from binsync.binance.catalogue import ENDPOINTS, Endpoint
from binsync.sync import intervals
from binsync.sync.export_quota import month_of, next_month
from binsync.sync.intervals import Interval
from binsync.sync.tasks import TaskSpec

QUOTA_REASON = ("past the live endpoint's horizon, and the asynchronous export's monthly quota is "
                "spent (by the newer windows, earlier runs or the website); a sync from {month} or the "
                "statement fills it")


def export_endpoints() -> list[Endpoint]:
    return [ep for ep in ENDPOINTS.values() if ep.pagination == "export"]


def plan_exports(planned_live: Iterable[str], start_ms: int, now_ms: int, gate_reason: Any, *,
                 covered_of: Callable[..., list[Interval]] | None = None,
                 quota_left: Mapping[str, int] | None = None,
                 ) -> tuple[list[TaskSpec], list[dict[str, Any]], set[str]]:
    """(tasks, beyond-reach entries, live endpoints whose horizon the exports now cover).

    `gate_reason(ep)` says why `ep` cannot be read with this key (None when it can).
    `covered_of(export, live)`: what the coverage ledger proves read of both (None: a `full` sync,
    nothing counts as read). Only the parts past the horizon that no earlier export or live read
    covered are planned, so a weekly resync spends no quota. `quota_left`: export endpoint ->
    requests left this month (export_quota.remaining)."""
    live_names = set(planned_live)
    tasks: list[TaskSpec] = []
    beyond: list[dict[str, Any]] = []
    covered: set[str] = set()
    for ep in export_endpoints():
        live = ENDPOINTS[str(ep.extra["export_of"])]
        if live.name not in live_names or not live.retention_ms or gate_reason(ep):
            continue
        horizon = now_ms - live.retention_ms
        first = max(start_ms, ep.earliest_ms or start_ms)
        if first >= horizon:
            continue
        missing = [(first, horizon - 1)]
        if covered_of is not None:
            missing = intervals.gaps(covered_of(ep.name, live.name), first, horizon - 1)
        if not missing:
            covered.add(live.name)
            continue
        span = int(ep.max_window_ms or (horizon - first))
        windows: list[tuple[int, int]] = []
        for lo, hi in reversed(missing):
            end = hi
            while end >= lo:  # newest first, so the quota goes to the most recent history
                windows.append((max(lo, end - span + 1), end))
                end -= span
        quota = int(ep.extra.get("monthly_quota") or len(windows))
        if quota_left is not None and ep.name in quota_left:
            quota = min(quota, max(0, int(quota_left[ep.name])))
        taken = windows[:quota]
        for w_start, w_end in taken:
            tasks.append(TaskSpec(ep.name, w_start, w_end))
        if len(windows) > quota:
            retry = next_month(month_of(now_ms))
            beyond.append({"product": ep.product, "endpoint": ep.name,
                           "before": taken[-1][0] if taken else windows[0][1] + 1,
                           "retry_month": retry, "reason": QUOTA_REASON.format(month=retry)})
        covered.add(live.name)
    return tasks, beyond, covered
