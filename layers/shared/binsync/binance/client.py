"""The Binance REST client every sync task uses (DESIGN.md §3 step 3, spec §1-§3, §7).

One client = one credential, one egress IP. It signs requests, keeps a server-clock offset
(learned from /api/v3/time, refreshed once on -1021), paces every request against the weight
buckets of the catalogue BEFORE sending it (see ratelimit.py), honours Retry-After on 429, turns
418 into `IpBanned` (never retried from this IP before the ban ends), retries transient failures
with backoff, and walks windows and pages (`iter_pages`) with a resumable JSON cursor.

Time-compressed emulators: the client derives the time scale from the `X-...-WEIGHT-<n><unit>`
header suffix of the first response (or from exchangeInfo's REQUEST_WEIGHT interval) and divides
every bucket interval and every Retry-After-free wait by it. No special case per bucket.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter

from .. import runtime
from . import pagination as pg
from .catalogue import BASE_URLS, Endpoint, RateBucket, endpoint
from .errors import (
    BinanceError,
    ClockSkew,
    IpBanned,
    RateLimited,
    TransientError,
    classify,
)
from .ratelimit import RateLimiter, WaitTooLong, default_limiter, weight_headers
from .signing import Credentials, encode_params, signed_query

log = logging.getLogger(__name__)

NOMINAL_INTERVAL_S = 60  # the REQUEST_WEIGHT interval of a real (uncompressed) Binance
_INTERVAL_S = {"SECOND": 1, "MINUTE": 60, "HOUR": 3600, "DAY": 86400}
_HEADER_KIND = {"X-MBX-USED-WEIGHT-": "x-mbx-used-weight", "X-SAPI-USED-IP-WEIGHT-": "x-sapi-used-ip-weight",
                "X-SAPI-USED-UID-WEIGHT-": "x-sapi-used-uid-weight"}


class SourceAddressAdapter(HTTPAdapter):
    """An HTTPAdapter whose connections leave from a chosen local address (DESIGN.md §3)."""

    def __init__(self, source_address: str, **kwargs: Any) -> None:
        self.source_address = source_address
        super().__init__(**kwargs)

    def init_poolmanager(
        self, connections: int, maxsize: int, block: bool = False, **pool_kwargs: Any
    ) -> None:
        pool_kwargs["source_address"] = (self.source_address, 0)
        super().init_poolmanager(connections, maxsize, block=block, **pool_kwargs)


@dataclass
class Page:
    rows: list[dict[str, Any]]
    cursor: dict[str, Any] | None   # pass back to iter_pages to resume after this page; None = done
    request_count: int
    weight: int
    truncated: bool = False         # a 1-ms window still came back full (more rows may exist)
    # the [start, end] window of the truncated request (set when `truncated`)
    truncated_window: list[int] | None = None


@dataclass
class ClientStats:
    requests: int = 0
    weight: dict[str, int] = field(default_factory=dict)   # bucket header -> weight sent
    http_429: int = 0
    http_418: int = 0
    retries: int = 0
    clock_resyncs: int = 0
    waited_s: float = 0.0
    truncated_windows: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"requests": self.requests, "weight": dict(self.weight), "http_429": self.http_429,
                "http_418": self.http_418, "retries": self.retries, "clock_resyncs": self.clock_resyncs,
                "waited_s": round(self.waited_s, 3), "truncated_windows": self.truncated_windows}


def _parse_json(text: str) -> Any:
    # Amounts stay exact (Decimal), ids stay exact (Python int has no 2^53 limit).
    return json.loads(text, parse_float=Decimal)


_ENVIRONMENT_SETTINGS = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")


def _environment_applies(urls: Any) -> bool:
    """Whether requests' `trust_env` would change a request to these URLs now: a proxy
    variable, a CA bundle variable or a netrc entry."""
    if urllib.request.getproxies() or any(os.environ.get(name) for name in _ENVIRONMENT_SETTINGS):
        return True
    return any(requests.utils.get_netrc_auth(url) for url in urls)


class BinanceClient:
    def __init__(
        self,
        credentials: Credentials | None,
        base_url: str = "https://api.binance.com",
        *,
        base_urls: dict[str, str] | None = None,
        source_address: str | None = None,
        session: requests.Session | None = None,
        limiter: RateLimiter | None = None,
        recv_window: int = 5000,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        max_retries: int = 4,
        max_inline_wait_s: float = 30.0,
        time_scale: float | None = None,
        account_id: str | int | None = None,
        timeout: tuple[float, float] = (5.0, 30.0),
    ) -> None:
        self.credentials = credentials
        if base_urls is None:
            host = urlsplit(base_url).hostname or ""
            if host == "binance.com" or host.endswith(".binance.com"):
                # api1..api4 / api-gcp serve /api and /sapi; futures and options have their hosts.
                base_urls = {**BASE_URLS, "api": base_url, "sapi": base_url}
            else:  # an emulator serves every family on one host
                base_urls = {fam: base_url for fam in BASE_URLS}
        self.base_urls = {k: v.rstrip("/") for k, v in base_urls.items()}
        self.server = self.base_urls.get("api", base_url.rstrip("/"))
        self.source_address = source_address if source_address is not None else runtime.egress_ip()
        if session is None:
            session = requests.Session()
            # requests reads the environment on every request (proxy variables, CA bundles,
            # ~/.netrc): over 1 ms of CPU each in a Lambda's environment. None of them set now:
            # off for this client's life (a batch), as a Session given no environment behaves.
            session.trust_env = _environment_applies(self.base_urls.values())
            if self.source_address:
                adapter = SourceAddressAdapter(self.source_address)
                session.mount("http://", adapter)
                session.mount("https://", adapter)
        self.session = session
        if limiter is None:
            shared_clock = clock is time.time and sleep is time.sleep
            limiter = default_limiter() if shared_clock else RateLimiter(clock, sleep)
        self.limiter = limiter
        self.recv_window = recv_window
        self.clock = clock
        self.sleep = sleep
        self.max_retries = max_retries
        self.max_inline_wait_s = max_inline_wait_s
        # Time (on `clock`) by which a pacing wait must be over (a Lambda's timeout minus a
        # margin); a longer wait raises RateLimited(deadline=True), retried by the state machine.
        self.deadline: float | None = None
        if time_scale:
            self.limiter.set_time_scale(self.server, float(time_scale))
        self.account_key = str(account_id) if account_id is not None else (
            hashlib.sha256(credentials.api_key.encode()).hexdigest()[:16] if credentials else "anonymous")
        self.timeout = timeout
        self.offset_ms: int | None = None
        self.stats = ClientStats()
        self.limits_override: dict[str, int] = {}   # family -> REQUEST_WEIGHT limit from exchangeInfo

    # ----------------------------------------------------------------------------- time & scale
    @property
    def time_scale(self) -> float:
        return self.limiter.time_scale(self.server) or 1.0

    def now_ms(self) -> int:
        """Binance server time (ms) as we best know it."""
        return int(self.clock() * 1000) + (self.offset_ms or 0)

    def server_time(self) -> int:
        """GET /api/v3/time; (re)learns the clock offset. Returns the server time in ms."""
        body = self.request(endpoint("system.time"), {})
        received = self.clock()
        server = int(body["serverTime"])
        # Measured against the moment the answer arrived (not the RTT midpoint, which a pacing wait
        # inside request() would distort): our timestamps then trail the server by the latency,
        # the safe side of "timestamp < serverTime + 1000" (spec §2.2).
        self.offset_ms = server - int(received * 1000)
        return server

    def _learn_scale_from_headers(self, headers: Mapping[str, str], ep: Endpoint | None = None) -> None:
        if self.limiter.time_scale(self.server) is not None:
            return
        found = weight_headers(headers)
        # IP headers only: every nominal IP bucket is one minute, while the UID family also has the
        # withdraw endpoint's 1-second bucket, which would make the suffix ambiguous.
        for kind in ("x-mbx-used-weight", "x-sapi-used-ip-weight"):
            intervals = [iv for iv, _ in found.get(kind, [])]
            if intervals:
                self.limiter.set_time_scale(self.server, NOMINAL_INTERVAL_S / max(intervals))
                return
        # A UID endpoint answers with its own bucket's header only: its nominal interval is known
        # from the catalogue, so the suffix is not ambiguous (a fresh execution environment whose
        # first call is fiat orders would otherwise pace it at real Binance time).
        kind = _HEADER_KIND.get(ep.bucket.header_prefix) if ep is not None else None
        intervals = [iv for iv, _ in found.get(kind or "", [])]
        if ep is not None and len(intervals) == 1 and intervals[0] > 0:
            self.limiter.set_time_scale(self.server, ep.bucket.interval_s / intervals[0])

    def _learn_rate_limits(self, family: str, body: Any) -> None:
        for rl in (body or {}).get("rateLimits", []) if isinstance(body, dict) else []:
            if rl.get("rateLimitType") != "REQUEST_WEIGHT":
                continue
            interval = _INTERVAL_S.get(str(rl.get("interval")), 60) * int(rl.get("intervalNum", 1))
            if interval > 0:
                self.limiter.set_time_scale(self.server, NOMINAL_INTERVAL_S / interval)
            if rl.get("limit"):
                self.limits_override[family] = int(rl["limit"])

    # ----------------------------------------------------------------------------- buckets
    def _bucket_key(self, ep: Endpoint) -> tuple[Any, ...]:
        b = ep.bucket
        scope = ep.family if b.scope == "shared" else ep.path
        who = (self.source_address or "default") if b.kind == "ip" else self.account_key
        return (self.server, b.kind, who, scope, b.interval_s)

    def _ip_key(self) -> tuple[str, str]:
        return (self.server, self.source_address or "default")

    def _bucket_params(self, ep: Endpoint) -> tuple[int, float]:
        b: RateBucket = ep.bucket
        limit = self.limits_override.get(ep.family, b.limit) if b.scope == "shared" else b.limit
        return limit, b.interval_s / self.time_scale

    # ----------------------------------------------------------------------------- requests
    def request(self, ep: Endpoint | str, params: Mapping[str, Any] | None = None) -> Any:
        """One call (with pacing, signing and retries). Returns the parsed JSON body."""
        if isinstance(ep, str):
            ep = endpoint(ep)
        params = dict(params or {})
        if ep.signed and self.offset_ms is None and ep.name != "system.time":
            self.server_time()
        attempt = 0
        resynced = False
        while True:
            try:
                return self._send_once(ep, params)
            except ClockSkew:
                if resynced:
                    raise
                resynced = True
                self.stats.clock_resyncs += 1
                self.server_time()
            except RateLimited as exc:
                wait = exc.retry_after if exc.retry_after is not None else 1.0
                handover = getattr(exc, "deadline", False)
                if handover or attempt >= self.max_retries or wait > self.max_inline_wait_s:
                    raise
                attempt += 1
                self.stats.retries += 1
                # The bucket is blocked in the limiter: the next acquire waits until it opens.
            except TransientError:
                if attempt >= self.max_retries:
                    raise
                attempt += 1
                self.stats.retries += 1
                self.sleep(min(30.0, 0.5 * 2 ** (attempt - 1)) / self.time_scale)

    def _send_once(self, ep: Endpoint, params: dict[str, Any]) -> Any:
        banned = self.limiter.banned_for(self._ip_key())
        if banned > 0:
            raise IpBanned("IP banned (remembered from an earlier 418)", retry_after=banned,
                           ip=self.source_address, endpoint=ep.name)
        limit, interval = self._bucket_params(ep)
        key = self._bucket_key(ep)
        max_wait = None if self.deadline is None else max(0.0, self.deadline - self.clock())
        try:
            self.stats.waited_s += self.limiter.acquire(key, ep.weight, limit, interval, max_wait=max_wait)
        except WaitTooLong as exc:
            limited = RateLimited(f"{ep.name}: {exc}; handing over before the worker's timeout",
                                  retry_after=exc.delay, bucket=str(key[1]), endpoint=ep.name)
            limited.deadline = True
            raise limited from None

        headers = {}
        if self.credentials is not None:
            headers["X-MBX-APIKEY"] = self.credentials.api_key
        if ep.signed:
            if self.credentials is None:
                raise ValueError(f"{ep.name} is signed: credentials are required")
            full = {**params, "recvWindow": self.recv_window, "timestamp": self.now_ms()}
            query = signed_query(self.credentials, full)
        else:
            query = encode_params(params)
        url = f"{self.base_urls[ep.family]}{ep.path}" + (f"?{query}" if query else "")

        self.stats.requests += 1
        self.stats.weight[ep.bucket.header] = self.stats.weight.get(ep.bucket.header, 0) + ep.weight
        try:
            send = self.session.post if ep.http_method == "POST" else self.session.get
            resp = send(url, headers=headers, timeout=self.timeout)
        except (requests.Timeout, requests.ConnectionError) as exc:
            raise TransientError(f"{type(exc).__name__}: {exc}", endpoint=ep.name) from exc

        self._learn_scale_from_headers(resp.headers, ep)
        self._observe(ep, resp.headers)
        status = resp.status_code
        body: Any
        try:
            body = _parse_json(resp.text) if resp.text else None
        except ValueError:
            body = resp.text
        if status == 200:
            if isinstance(body, dict) and body.get("success") is False:
                raise classify(400, body, ep, resp.headers, params=params)
            if ep.name.endswith("exchange_info"):
                self._learn_rate_limits(ep.family, body)
            return body

        err = classify(status, body, ep, resp.headers, params=params, now_ms=self.now_ms(),
                       ip=self.source_address)
        if isinstance(err, IpBanned):
            self.stats.http_418 += 1
            seconds = err.retry_after if err.retry_after is not None else 120.0 / self.time_scale
            err.retry_after = seconds
            self.limiter.ban(self._ip_key(), self.clock() + seconds)
        elif isinstance(err, RateLimited):
            self.stats.http_429 += int(status == 429)
            seconds = err.retry_after if err.retry_after is not None else 1.0
            self.limiter.block(key, seconds, limit, interval)
        raise err

    def _observe(self, ep: Endpoint, headers: Mapping[str, str]) -> None:
        kind = _HEADER_KIND.get(ep.bucket.header_prefix)
        values = weight_headers(headers).get(kind or "", [])
        if not values:
            return
        limit, interval = self._bucket_params(ep)
        # Pick the header whose interval matches this bucket's (scaled) interval, else the longest.
        match = [u for iv, u in values if abs(iv - interval) < 1e-9]
        used = match[0] if match else max(values)[1]
        self.limiter.observe(self._bucket_key(ep), used, limit, interval)

    # ----------------------------------------------------------------------------- helpers
    def exchange_info(self, **params: Any) -> Any:
        return self.request(endpoint("spot.exchange_info"), params)

    def iter_pages(
        self,
        ep: Endpoint | str,
        *,
        start_ms: int | None = None,
        end_ms: int | None = None,
        symbol: str | None = None,
        params: Mapping[str, Any] | None = None,
        cursor: dict[str, Any] | None = None,
        checkpoint_every: int = 10,
    ) -> Iterator[Page]:
        """Walk one endpoint (one task: endpoint x window [x symbol] [x variant params]).

        Yields a Page for every response that carried rows, and at least every
        `checkpoint_every` requests; the last Page has cursor None. `params` carries the variant
        (e.g. {"transactionType": "0"}) and anything else fixed for the walk.
        """
        if isinstance(ep, str):
            ep = endpoint(ep)
        base = dict(params or {})
        if symbol is not None:
            base[ep.symbol_param or "symbol"] = symbol
        elif ep.requires_symbol:
            raise ValueError(f"{ep.name} requires a symbol")
        if cursor is not None:
            pg.check_state(ep, cursor)
            state: dict[str, Any] | None = json.loads(json.dumps(cursor))
        else:
            if ep.signed and self.offset_ms is None:
                self.server_time()
            state = pg.initial_state(ep, start_ms=start_ms, end_ms=end_ms, now_ms=self.now_ms())
        n_req = weight = 0
        if state is None:
            yield Page([], None, 0, 0)
            return
        while state is not None:
            body = self.request(ep, {**base, **pg.request_params(ep, state)})
            n_req += 1
            weight += ep.weight
            rows = pg.extract_rows(ep, body)
            window = state.get("win")
            kept, state, truncated = pg.advance(ep, state, rows, body)
            if truncated:
                # Reported on the page: the task records the product as incomplete (fetch.py).
                self.stats.truncated_windows += 1
                log.warning("full page in a 1 ms window of %s: rows may be missing", ep.name)
            if kept or state is None or n_req >= checkpoint_every or truncated:
                yield Page(kept, state, n_req, weight, truncated,
                           list(window) if truncated and window else None)
                n_req = weight = 0


__all__ = ["BinanceClient", "BinanceError", "Page", "SourceAddressAdapter"]
