"""Window walking (spec §7.3) and the pagination kinds (spec §7.2) as a pure state machine.

The client asks `request_params(ep, state)` for the next request, sends it, and feeds the rows to
`advance(ep, state, rows, body)`, which returns the rows to keep and the next state (None when the
walk is over). States are plain JSON-serialisable dicts: a state saved after a page resumes the
walk right after that page, so a task killed and re-run from its last checkpoint neither loses
nor duplicates rows.

Modes:
- "windows": consecutive windows `[s, min(s + max_window - 1, end)]` from the start to the end,
  each walked with the endpoint's pagination (offset, current/size, page, id cursor inside the
  window, or a single request that is bisected when it comes back full).
- "chain": an id cursor without times (spot/margin/futures trades): `fromId = 0` walks the whole
  history in pages; a walk that starts at a time first probes windows until it finds a row, then
  chains from that row's id (fromId cannot be combined with times on those endpoints).
- "single": one request (account state, exchangeInfo).
"""

from __future__ import annotations

import calendar
import time
from typing import Any

from .catalogue import BINANCE_LAUNCH_MS, Endpoint
from .errors import InvalidRequest

# A start clamped to a retention horizon is moved this much inside it, so that the server (whose
# clock runs on while the request travels) never sees a startTime beyond its horizon.
RETENTION_MARGIN_MS = 60_000
# A server that ignores the page/offset parameter would otherwise be walked forever.
MAX_PAGES_PER_WINDOW = 10_000


def _unwalkable(ep: Endpoint, msg: str) -> InvalidRequest:
    """The server's answers cannot be walked (a cursor that does not advance, a missing id)."""
    return InvalidRequest(msg, endpoint=ep.name, user_message="Binance's answers for this history could "
                          "not be paged through; it is reported as not synced.")
STATE_VERSION = 1


class CursorMismatch(ValueError):
    """A cursor from another endpoint (or an incompatible version) was passed back."""


def dig(body: Any, path: tuple[str, ...]) -> Any:
    cur = body
    for key in path:
        if not isinstance(cur, dict):
            return None
        cur = cur.get(key)
    return cur


def extract_rows(ep: Endpoint, body: Any) -> list[dict[str, Any]]:
    """The list of records in a response; a missing list is empty (spec §7.5)."""
    rows = dig(body, ep.rows_path) if ep.rows_path else body
    if not isinstance(rows, list):
        return []
    return [r for r in rows if isinstance(r, dict)]


def row_time_ms(ep: Endpoint, row: dict[str, Any]) -> int | None:
    """The row's event time in ms, whatever its encoding (spec §7.5)."""
    if not ep.time_field:
        return None
    value = row.get(ep.time_field)
    if value is None or value == "":
        return None
    if ep.time_format == "datetime_utc" and isinstance(value, str):
        try:
            return calendar.timegm(time.strptime(value[:19], "%Y-%m-%d %H:%M:%S")) * 1000
        except ValueError:
            return None
    try:
        ms = int(value)
    except (TypeError, ValueError):
        return None
    if ep.time_format == "s_or_ms" and ms < 10**12:
        ms *= 1000
    return ms


def _is_id_kind(ep: Endpoint) -> bool:
    return ep.pagination in ("from_id", "from_id_exclusive", "record_id")


def _next_id(ep: Endpoint, rows: list[dict[str, Any]], current: int | None = None) -> int:
    field_name = ep.cursor_field or "id"
    ids = []
    for r in rows:
        try:
            ids.append(int(r[field_name]))
        except (KeyError, TypeError, ValueError):
            continue
    if not ids:
        raise _unwalkable(ep, f"no row carries a usable '{field_name}' to continue from")
    last = max(ids)
    nxt = last if ep.pagination == "from_id_exclusive" else last + 1
    if current is not None and nxt <= current:
        raise _unwalkable(ep, f"the {ep.cursor_param} cursor did not advance ({current} -> {nxt})")
    return nxt


def chain_next_id(ep: Endpoint, rows: list[dict[str, Any]]) -> int | None:
    """The fromId a later walk of this id chain starts from, after `rows`; None without ids."""
    try:
        return _next_id(ep, rows)
    except InvalidRequest:
        return None


def resume_state(ep: Endpoint, from_id: int, end_ms: int | None) -> dict[str, Any]:
    """The state of a walk of the id chain that starts at `from_id` (the records below it were
    read by an earlier walk), as a checkpoint of that walk would hold it."""
    return {"v": STATE_VERSION, "ep": ep.name, "mode": "chain", "from_id": int(from_id), "end": end_ms}


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _window(ep: Endpoint, start: int, end: int) -> list[int]:
    if ep.max_window_ms:
        return [start, min(end, start + ep.max_window_ms - 1)]
    return [start, end]


def initial_state(
    ep: Endpoint, *, start_ms: int | None, end_ms: int | None, now_ms: int
) -> dict[str, Any] | None:
    """The state before the first request, or None when there is nothing to ask."""
    base: dict[str, Any] = {"v": STATE_VERSION, "ep": ep.name}
    has_times = bool(ep.start_param)
    if ep.pagination == "none":
        return {**base, "mode": "single"}
    end = end_ms if end_ms is not None else now_ms
    if _is_id_kind(ep) and not ep.from_id_with_time and start_ms is None:
        # Full history through the id cursor: no window limit, one request per page.
        return {**base, "mode": "chain", "from_id": 0, "end": end_ms}
    if not has_times or (ep.max_window_ms is None and start_ms is None and end_ms is None
                         and not ep.times_required):
        # No time parameters at all (e.g. mining "while empty query all").
        return {**base, "mode": "windows", "times": False, "win": None, "outer": None, "stack": [],
                "pos": None, "end": None}
    floor = ep.earliest_ms or BINANCE_LAUNCH_MS
    if ep.retention_ms:
        floor = max(floor, now_ms - ep.retention_ms + RETENTION_MARGIN_MS)
    start = max(start_ms, floor) if start_ms is not None else floor
    if ep.earliest_ms:
        start = max(start, ep.earliest_ms)
    if start > end:
        return None
    win = _window(ep, start, end)
    return {**base, "mode": "windows", "times": True, "win": win, "outer": list(win), "stack": [],
            "pos": None, "end": end}


def check_state(ep: Endpoint, state: dict[str, Any]) -> None:
    if not isinstance(state, dict) or state.get("ep") != ep.name or state.get("v") != STATE_VERSION:
        raise CursorMismatch(f"cursor does not belong to {ep.name} (v{STATE_VERSION}): {state!r}")


def request_params(ep: Endpoint, state: dict[str, Any]) -> dict[str, Any]:
    """Parameters for the next request (times, cursor, page size); the caller adds symbol/variant."""
    params: dict[str, Any] = {}
    mode = state["mode"]
    if mode == "single":
        return params
    if ep.limit_param and ep.page_size:
        params[ep.limit_param] = ep.page_size
    if mode == "chain":
        params[ep.cursor_param or "fromId"] = state["from_id"]
        return params
    if state.get("times") and state.get("win"):
        s, e = state["win"]
        params[ep.start_param or "startTime"] = s
        params[ep.end_param or "endTime"] = e
    pos = state.get("pos")
    kind = ep.pagination
    if kind == "offset":
        params[ep.cursor_param or "offset"] = pos or 0
    elif kind in ("current_size", "page"):
        params[ep.cursor_param or "page"] = pos or 1
    elif _is_id_kind(ep) and pos is not None:
        params[ep.cursor_param or "fromId"] = pos
    return params


def _next_window(ep: Endpoint, state: dict[str, Any]) -> dict[str, Any] | None:
    """Move to the next bisected sub-window, or the next max-window step, or finish."""
    new = dict(state, pos=None)
    stack = [list(w) for w in state.get("stack", [])]
    if stack:
        new["win"] = stack.pop()
        new["stack"] = stack
        return new
    outer, end = state.get("outer"), state.get("end")
    if not state.get("times") or outer is None or end is None or outer[1] >= end:
        return None
    win = _window(ep, outer[1] + 1, end)
    new.update(win=win, outer=list(win), stack=[])
    return new


def _short(ep: Endpoint, n: int) -> bool:
    """Does a page of `n` rows end the walk? Short pages do only when the maximum page size is
    documented (catalogue `page_size_documented`); otherwise only an empty page does."""
    size = ep.page_size or 0
    if ep.page_size_documented:
        return n == 0 or (bool(size) and n < size)
    return n == 0


def advance(
    ep: Endpoint, state: dict[str, Any], rows: list[dict[str, Any]], body: Any
) -> tuple[list[dict[str, Any]], dict[str, Any] | None, bool]:
    """(rows to keep, next state or None, truncated) after one response.

    `truncated` is True when a window-only endpoint returned a full page for a window that cannot
    be split further (1 ms): the rows are kept but more may exist.
    """
    mode, n, size = state["mode"], len(rows), ep.page_size or 0
    if mode == "single":
        return rows, None, False

    if mode == "chain":
        end = state.get("end")
        kept = rows
        past_end = False
        if end is not None:
            kept = [r for r in rows if (t := row_time_ms(ep, r)) is None or t <= end]
            past_end = len(kept) < n
        if _short(ep, n) or past_end:
            return kept, None, False
        return kept, dict(state, from_id=_next_id(ep, rows, state.get("from_id"))), False

    kind = ep.pagination
    if kind == "window_only":
        more = bool(dig(body, ep.more_path)) if ep.more_path else False
        full = (size and n >= size) or more
        win = state.get("win")
        if full and state.get("times") and win and win[1] > win[0]:
            s, e = win
            mid = s + (e - s) // 2
            stack = [list(w) for w in state.get("stack", [])] + [[mid + 1, e]]
            return [], dict(state, win=[s, mid], stack=stack, pos=None), False
        return rows, _next_window(ep, state), bool(full)

    if kind == "offset":
        if not _short(ep, n):
            if (state.get("pos") or 0) + n > MAX_PAGES_PER_WINDOW * size:
                raise _unwalkable(ep, f"more than {MAX_PAGES_PER_WINDOW} pages in one window")
            return rows, dict(state, pos=(state.get("pos") or 0) + n), False
        return rows, _next_window(ep, state), False

    if kind in ("current_size", "page"):
        page = state.get("pos") or 1
        total = _int_or_none(dig(body, ep.total_path)) if ep.total_path else None
        pages = _int_or_none(dig(body, ep.page_count_path)) if ep.page_count_path else None
        done = _short(ep, n)
        seen = None
        if not done and total is not None and size and ep.page_size_documented:
            done = page * size >= total
        elif not done and total is not None:
            # Page size undocumented: the server may cap pages below what we ask, so count the
            # rows themselves against the total (one request less per window than an empty page).
            seen = int(state.get("seen") or 0) + n
            done = seen >= total
        if not done and pages is not None:
            done = page >= pages
        if not done and page >= MAX_PAGES_PER_WINDOW:
            raise _unwalkable(ep, f"more than {MAX_PAGES_PER_WINDOW} pages in one window")
        if done:
            return rows, _next_window(ep, {k: v for k, v in state.items() if k != "seen"}), False
        if seen is not None:
            return rows, dict(state, pos=page + 1, seen=seen), False
        return rows, dict(state, pos=page + 1), False

    if _is_id_kind(ep):
        if ep.from_id_with_time:
            if not _short(ep, n):
                return rows, dict(state, pos=_next_id(ep, rows, state.get("pos"))), False
            return rows, _next_window(ep, state), False
        if n == 0:
            return rows, _next_window(ep, state), False
        # First rows found by time: continue through the id cursor (cheaper than windows).
        end = state.get("end")
        kept = [r for r in rows if (t := row_time_ms(ep, r)) is None or end is None or t <= end]
        if len(kept) < n or (_short(ep, n) and _window_reaches_end(state)):
            return kept, None, False
        return kept, {"v": STATE_VERSION, "ep": ep.name, "mode": "chain", "from_id": _next_id(ep, rows),
                      "end": end}, False

    raise ValueError(f"unknown pagination kind {kind!r} for {ep.name}")


def _window_reaches_end(state: dict[str, Any]) -> bool:
    win, end = state.get("win"), state.get("end")
    return bool(win and end is not None and win[1] >= end and not state.get("stack"))
