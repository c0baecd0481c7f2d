"""A tiny in-process fake Binance for client tests: fake clock, fake transport, catalogue-driven
paging semantics and weight accounting. No sockets, no real sleeps.

The fake enforces what the client must respect (signature, timestamp/recvWindow, max window,
page size, fromId+time combination, weight limits per sliding interval) and records every request
so tests can assert on what was sent.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import requests
from binsync.binance.catalogue import DAY_MS, ENDPOINTS, Endpoint, by_path
from requests.adapters import HTTPAdapter

API_KEY = "test-key"
SECRET = "test-secret"


class FakeClock:
    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.t = start
        self.sleeps: list[float] = []

    def time(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        self.sleeps.append(seconds)
        self.t += seconds


def _default_json(o: Any) -> Any:
    if isinstance(o, Decimal):
        return str(o)
    raise TypeError(o)


@dataclass
class Sent:
    t: float
    path: str
    params: dict[str, str]
    weight: int
    headers: dict[str, str]


@dataclass
class FakeBinance:
    clock: FakeClock
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # endpoint name -> rows
    server_offset_ms: int = 0
    time_scale: int = 1
    check_signature: bool = True
    enforce_limits: bool = True
    sent: list[Sent] = field(default_factory=list)
    hooks: dict[str, Callable[[dict[str, str]], tuple[int, dict[str, str], Any] | None]] = field(
        default_factory=dict
    )
    logs: dict[tuple[str, str], deque[tuple[float, int]]] = field(default_factory=dict)
    over_limit: list[tuple[str, int, int]] = field(default_factory=list)

    # ---------------------------------------------------------------- plumbing
    def now_ms(self) -> int:
        return int(self.clock.time() * 1000) + self.server_offset_ms

    def session(self) -> requests.Session:
        s = requests.Session()
        adapter = _Adapter(self)
        s.mount("http://", adapter)
        s.mount("https://", adapter)
        return s

    def interval_s(self, ep: Endpoint) -> float:
        return ep.bucket.interval_s / self.time_scale

    def suffix(self, ep: Endpoint) -> str:
        iv = self.interval_s(ep)
        return f"{int(iv)}S" if iv < 60 or iv % 60 else f"{int(iv // 60)}M"

    def _charge(self, ep: Endpoint, ip: str) -> tuple[int, int]:
        scope = ep.family if ep.bucket.scope == "shared" else ep.path
        who = ip if ep.bucket.kind == "ip" else "uid"
        key = (who, f"{ep.bucket.kind}:{scope}")
        log = self.logs.setdefault(key, deque())
        now = self.clock.time()
        while log and log[0][0] <= now - self.interval_s(ep):
            log.popleft()
        log.append((now, ep.weight))
        used = sum(w for _, w in log)
        return used, ep.bucket.limit

    # ---------------------------------------------------------------- request handling
    def handle(
        self, method: str, url: str, headers: dict[str, str], ip: str
    ) -> tuple[int, dict[str, str], Any]:
        parts = urlsplit(url)
        raw_query = parts.query
        params = dict(parse_qsl(raw_query, keep_blank_values=True))
        ep = by_path(parts.path)
        assert ep is not None, f"unknown path {parts.path}"
        used, limit = self._charge(ep, ip)
        self.sent.append(Sent(self.clock.time(), parts.path, params, ep.weight, headers))
        hdr = {ep.bucket.header_prefix + self.suffix(ep): str(used)}
        if self.enforce_limits and used > limit:
            self.over_limit.append((ep.name, used, limit))
            return 429, {**hdr, "Retry-After": "1"}, {"code": -1003, "msg": "Too much request weight used"}
        hook = self.hooks.get(ep.name)
        if hook:
            out = hook(params)
            if out is not None:
                status, extra, body = out
                return status, {**hdr, **extra}, body
        if ep.signed:
            err = self._check_signed(raw_query, params, headers)
            if err:
                return 400 if err[0] != -2014 else 401, hdr, {"code": err[0], "msg": err[1]}
        if ep.name == "system.time":
            return 200, hdr, {"serverTime": self.now_ms()}
        status, body = self._serve(ep, params)
        return status, hdr, body

    def _check_signed(
        self, raw_query: str, params: dict[str, str], headers: dict[str, str]
    ) -> tuple[int, str] | None:
        if headers.get("X-MBX-APIKEY") != API_KEY:
            return -2014, "API-key format invalid."
        if self.check_signature:
            payload, _, sig = raw_query.rpartition("&signature=")
            expected = hmac.new(SECRET.encode(), payload.encode(), hashlib.sha256).hexdigest()
            if sig.lower() != expected:
                return -1022, "Signature for this request is not valid."
        ts = int(params["timestamp"])
        rw = int(params.get("recvWindow", 5000))
        now = self.now_ms()
        if not (ts < now + 1000 and now - ts <= rw):
            return -1021, "Timestamp for this request is outside of the recvWindow."
        return None

    def _serve(self, ep: Endpoint, p: dict[str, str]) -> tuple[int, Any]:
        rows = sorted(
            self.rows.get(ep.name, []), key=lambda r: (_t(ep, r), str(r.get(ep.cursor_field or "id")))
        )
        for k, v in p.items():  # variant/symbol filters
            if k in (
                "symbol",
                "type",
                "transactionType",
                "tradeType",
                "isIsolated",
                "currency",
                "accountType",
            ):
                rows = [r for r in rows if str(r.get(k, v)) == v]
        s_param, e_param = ep.start_param or "startTime", ep.end_param or "endTime"
        has_times = s_param in p or e_param in p
        cursor = ep.cursor_param
        if (
            ep.pagination in ("from_id", "record_id")
            and cursor in p
            and has_times
            and not ep.from_id_with_time
        ):
            return 400, {"code": -1128, "msg": "Combination of optional parameters invalid."}
        now = self.now_ms()
        if has_times:
            s = int(p.get(s_param, 0))
            e = int(p.get(e_param, now))
            if ep.max_window_ms and e - s >= ep.max_window_ms:
                return 400, {"code": -1127, "msg": "More than 24 hours between startTime and endTime."}
            rows = [r for r in rows if s <= _t(ep, r) <= e]
        elif ep.default_window_ms and not (ep.pagination in ("from_id", "record_id") and cursor in p):
            rows = [r for r in rows if _t(ep, r) >= now - ep.default_window_ms]
        if ep.retention_ms:
            rows = [r for r in rows if _t(ep, r) >= now - ep.retention_ms]
        limit = (
            int(p[ep.limit_param])
            if ep.limit_param and ep.limit_param in p
            else (ep.default_page_size or 500)
        )
        if ep.max_page_size and limit > ep.max_page_size:
            return 400, {"code": -1130, "msg": "Data sent for parameter 'limit' is not valid."}
        kind = ep.pagination
        if kind in ("from_id", "record_id", "from_id_exclusive"):
            rows.sort(key=lambda r: int(r[ep.cursor_field or "id"]))
            if cursor in p:
                fid = int(p[cursor])
                rows = [
                    r
                    for r in rows
                    if (
                        int(r[ep.cursor_field or "id"]) > fid
                        if kind == "from_id_exclusive"
                        else int(r[ep.cursor_field or "id"]) >= fid
                    )
                ]
                page = rows[:limit]
            elif has_times:
                page = rows[:limit]
            else:
                page = rows[-limit:]
        elif kind == "offset":
            off = int(p.get("offset", 0))
            page = rows[off : off + limit]
        elif kind in ("current_size", "page"):
            n = int(p.get(cursor or "page", 1))
            size = limit if ep.limit_param else (ep.page_size or 200)
            page = rows[(n - 1) * size : n * size]
        elif kind == "window_only":
            page = list(reversed(rows))[:limit]  # newest first, capped: the client must bisect
        else:
            page = rows
        return 200, self._envelope(ep, page, len(rows), limit)

    def _envelope(self, ep: Endpoint, page: list[dict[str, Any]], total: int, limit: int) -> Any:
        body: Any = page
        if ep.name == "rebates.tax_query":
            size = ep.page_size or 200
            return {
                "status": "OK",
                "type": "GENERAL",
                "code": "000000000",
                "data": {
                    "page": 1,
                    "totalRecords": total,
                    "totalPageNum": max(1, -(-total // size)),
                    "data": page,
                },
            }
        if ep.more_path:
            return {ep.rows_path[0]: page, ep.more_path[0]: total > len(page)}
        for key in reversed(ep.rows_path):
            body = {key: body}
        if ep.total_path and isinstance(body, dict) and len(ep.total_path) == 1:
            body[ep.total_path[0]] = total
        return body


def _t(ep: Endpoint, row: dict[str, Any]) -> int:
    v = row.get(ep.time_field or "time", 0)
    return int(v)


class _Adapter(HTTPAdapter):
    def __init__(self, fake: FakeBinance, ip: str = "127.0.0.1") -> None:
        super().__init__()
        self.fake = fake
        self.ip = ip

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        status, headers, body = self.fake.handle(
            request.method or "GET", request.url or "", dict(request.headers), self.ip
        )
        resp = requests.Response()
        resp.status_code = status
        resp.headers.update(headers)
        text = body if isinstance(body, str) else json.dumps(body, default=_default_json)
        resp._content = text.encode()
        resp.encoding = "utf-8"
        resp.url = request.url
        resp.request = request
        return resp


def make_rows(ep_name: str, n: int, start_ms: int, step_ms: int, **fixed: Any) -> list[dict[str, Any]]:
    """`n` synthetic rows for an endpoint: unique ids, times start_ms + i*step_ms."""
    ep = ENDPOINTS[ep_name]
    out = []
    for i in range(n):
        row: dict[str, Any] = {ep.time_field or "time": start_ms + i * step_ms, **fixed}
        for f in ep.id_fields:
            row.setdefault(
                f, i + 1 if f in ("id", "tranId", "txId", "orderId", "transId") else f"{f}-{i + 1}"
            )
        if ep.cursor_field:
            row[ep.cursor_field] = i + 1
        out.append(row)
    return out


__all__ = ["API_KEY", "DAY_MS", "SECRET", "FakeBinance", "FakeClock", "make_rows"]
