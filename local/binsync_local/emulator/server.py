"""The HTTP server: one host serving /api, /sapi, /fapi, /dapi, /eapi and /emulator (admin).

Request pipeline (the order Binance applies, as far as the spec tells): route -> faults ->
IP ban (/api only) -> IP bucket -> API key -> mandatory timestamp/signature -> signature ->
recvWindow -> key permission -> UID bucket -> endpoint. IP weight is spent even when the request
is then refused (as on Binance); UID weight only once the key is known.

HTTP statuses: -2014/-2015 answer 401, other errors 400, rate limits 429 (-1003 body and
Retry-After), bans 418 (Retry-After until the ban ends).
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from binsync.binance import catalogue
from binsync.binance.catalogue import Endpoint, RateBucket

from .account import Account, ApiKey
from .api import ApiError, HistoryEngine, mandatory
from .auth import split_signature, verify
from .balances import Balances
from .exports import FILES_PREFIX, ExportJobs
from .faults import Faults
from .limits import BAN_FAMILIES, Limiter
from .reference import COINM_SYMBOLS, USDM_SYMBOLS, Reference

# Paths served although the catalogue does not list them (client libraries call them). Their
# buckets are the catalogue's buckets of the family; their weights are Binance's documented ones.
EXTRA_ROUTES: dict[str, tuple[str, int, str, bool]] = {
    # path: (family, weight, bucket name in catalogue.BUCKETS, signed)
    "/api/v3/ping": ("api", 1, "api", False),
    "/sapi/v1/capital/config/getall": ("sapi", 10, "sapi_ip", True),
    "/sapi/v1/account/status": ("sapi", 1, "sapi_ip", True),
    "/sapi/v1/margin/allPairs": ("sapi", 1, "sapi_ip", False),
    "/sapi/v1/margin/isolated/allPairs": ("sapi", 10, "sapi_ip", True),
    "/fapi/v1/ping": ("fapi", 1, "fapi", False),
    "/fapi/v1/time": ("fapi", 1, "fapi", False),
    "/dapi/v1/ping": ("dapi", 1, "dapi", False),
    "/dapi/v1/time": ("dapi", 1, "dapi", False),
}
PERMISSION_FLAGS = {"futures": "enableFutures"}  # other products: reading is enough (see report)
SHARED_BUCKET_OF_FAMILY = {"api": "api", "fapi": "fapi", "dapi": "dapi", "eapi": "eapi"}


def _extra_endpoint(path: str) -> Endpoint:
    family, weight, bucket, signed = EXTRA_ROUTES[path]
    return Endpoint(
        name=f"extra:{path}",
        product="extra",
        family=family,
        path=path,  # type: ignore[arg-type]
        weight=weight,
        bucket=catalogue.BUCKETS[bucket],
        signed=signed,
        history=False,
    )


class State:
    """Everything the handlers share: account, keys, limiter, faults, engines."""

    def __init__(self, account: Account, time_scale: float, faults: Faults | None):
        self.account = account
        self.faults = faults or Faults()
        self.limiter = Limiter(time_scale)
        self.keys: dict[str, ApiKey] = {k.api_key: k for k in account.keys}
        self.routes: dict[str, Endpoint] = {ep.path: ep for ep in catalogue.ENDPOINTS.values()}
        for path in EXTRA_ROUTES:
            self.routes.setdefault(path, _extra_endpoint(path))
        spot = {m.symbol for m in account.markets if m.status != "REMOVED"}
        self.engine = HistoryEngine(account, spot, {"fapi": set(USDM_SYMBOLS), "dapi": set(COINM_SYMBOLS)})
        for name in catalogue.ENDPOINTS:  # index every endpoint now: no first-request latency
            if catalogue.ENDPOINTS[name].history:
                self.engine.store(name)
        rl = {
            fam: [self.limiter.rate_limit_entry(catalogue.BUCKETS[b])]
            for fam, b in SHARED_BUCKET_OF_FAMILY.items()
            if b in catalogue.BUCKETS
        }
        self.reference = Reference(account, rl)
        self.balances = Balances(account, self.reference.wallet)
        self.exports = ExportJobs(account)  # futures asynchronous exports (exports.py)
        self.lock = threading.Lock()
        self._fault_applied: set[str] = set()

    def now_ms(self) -> int:
        return int(time.time() * 1000) + self.faults.clock_skew_ms


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "binsync-emulator"
    # Headers and body go out in two writes: with Nagle on, a keep-alive client's delayed ACK
    # costs ~40 ms per request (measured 48 ms -> 2.4 ms per request with TCP_NODELAY).
    disable_nagle_algorithm = True
    state: State  # set on the subclass per server

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()

    def do_PUT(self) -> None:
        self._handle()

    # ---- plumbing ---------------------------------------------------------------------------
    def _send(self, status: int, body: str, headers: dict[str, str] | None = None) -> None:
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json;charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _error(self, status: int, code: int, msg: str, headers: dict[str, str] | None = None) -> None:
        ip = self.client_address[0]
        with self.state.limiter.lock:
            c = self.state.limiter.ips[ip]
            c.errors[code] = c.errors.get(code, 0) + 1
        self._send(status, json.dumps({"code": code, "msg": msg}), headers)

    def _handle(self) -> None:
        st = self.state
        split = urlsplit(self.path)
        path, query = split.path, split.query
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        if path.startswith("/emulator/"):
            return self._admin(path, body)
        if path.startswith(FILES_PREFIX):  # an export's download link (exports.py)
            content = st.exports.file(path)
            if content is None:
                return self._send(404, json.dumps({"code": -1000, "msg": "No such file."}))
            return self._send(200, content)
        ep = st.routes.get(path)
        if ep is None:
            return self._send(404, json.dumps({"code": -1000, "msg": f"Unknown path {path} (not emulated)."}))
        ip = self.client_address[0]
        lim = st.limiter
        with lim.lock:
            lim.ips[ip].requests += 1
        # ---- faults
        f = st.faults
        n, u_err, u_hang, u_storm = f.tick()
        self._apply_key_faults(n)
        if f.latency_ms:
            time.sleep(f.latency_ms / 1000)
        if f.timeout_rate and u_hang < f.timeout_rate:
            time.sleep(f.hang_s)
            return self._error(
                503,
                -1007,
                "Timeout waiting for response from backend server. Send status unknown;"
                " execution status unknown.",
            )
        if f.error_rate and u_err < f.error_rate:
            if u_err < f.error_rate / 2:
                return self._error(500, -1000, "An unknown error occurred while processing the request.")
            return self._error(
                503,
                -1008,
                "Server is currently overloaded with other requests. Please try again in a few minutes.",
            )
        storm = (f.storm_rate and u_storm < f.storm_rate) or (
            f.storm_after is not None and f.storm_after <= n < f.storm_after + f.storm_requests
        )
        params = dict(parse_qsl(body, keep_blank_values=True))
        params.update(parse_qsl(query, keep_blank_values=True))  # the query string wins (spec §1)
        weight = st.engine.weight(ep, params) if ep.history else ep.weight
        bucket: RateBucket = ep.bucket
        headers: dict[str, str] = {}
        # ---- IP ban and IP bucket
        if f.ban_ips and f.ban_after is not None and n > f.ban_after and ip in f.ban_ips:
            with st.lock:
                first = f"ban {ip}" not in st._fault_applied
                st._fault_applied.add(f"ban {ip}")
            if first:
                lim.ban(ip, f.ban_s)
        if ep.family in BAN_FAMILIES:
            remaining = lim.ban_remaining(ip)
            if remaining <= 0 and bucket.kind == "ip":
                dur = lim.note_request(ip, bucket)
                remaining = dur
            if remaining > 0:
                with lim.lock:
                    lim.ips[ip].http_418 += 1
                until = st.now_ms() + int(remaining * 1000)
                return self._error(
                    418,
                    -1003,
                    f"Way too much request weight used; IP banned until {until}. Please "
                    "use WebSocket Streams for live updates to avoid bans.",
                    {"Retry-After": str(max(1, int(remaining + 0.999)))},
                )
        if storm:
            return self._too_many(ip, bucket, lim.real_interval(bucket.interval_s), ep)
        if bucket.kind == "ip":
            key = ("ip", ip, ep.family if bucket.scope == "shared" else ep.path, bucket.interval_s)
            ok, used, retry = lim.charge(key, bucket, weight)
            if not ok:
                return self._too_many(ip, bucket, retry, ep, used)
            with lim.lock:
                lim.ips[ip].weight += weight
            headers[lim.header_name(bucket)] = str(used)
            if ep.family == "api":
                headers["X-MBX-USED-WEIGHT"] = str(used)
        # ---- authentication
        api_key = None
        if ep.signed:
            try:
                api_key = self._authenticate(ep, query, body, params)
            except ApiError as e:
                return self._error(e.status, e.code, e.msg, headers)
        if bucket.kind == "uid":
            uid = str(st.account.uid)
            key = ("uid", uid, ep.path, bucket.interval_s)
            ok, used, retry = lim.charge(key, bucket, weight)
            if not ok:
                return self._too_many(ip, bucket, retry, ep, used, uid=uid)
            with lim.lock:
                lim.uids[uid].weight += weight
                lim.uids[uid].requests += 1
            headers[lim.header_name(bucket)] = str(used)
        # ---- the endpoint
        try:
            out = self._dispatch(ep, params, api_key)
        except ApiError as e:
            return self._error(e.status, e.code, e.msg, headers)
        self._send(200, out, headers)

    def _too_many(
        self,
        ip: str,
        bucket: RateBucket,
        retry: float,
        ep: Endpoint,
        used: int | None = None,
        uid: str | None = None,
    ) -> None:
        lim = self.state.limiter
        with lim.lock:
            lim.ips[ip].http_429 += 1
            if uid:
                lim.uids[uid].http_429 += 1
        if ep.family in BAN_FAMILIES and bucket.kind == "ip":
            lim.note_429(ip, bucket)
        per = "1M" if bucket.interval_s == 60 else f"{bucket.interval_s}S"
        msg = (
            f"Too much request weight used; current limit is {bucket.limit} request weight per {per}. "
            "Please use WebSocket Streams for live updates to avoid polling the API."
        )
        headers = {"Retry-After": str(max(1, int(retry + 0.999)))}
        if used is not None:
            headers[lim.header_name(bucket)] = str(used)
        self._error(429, -1003, msg, headers)

    def _authenticate(self, ep: Endpoint, query: str, body: str, params: dict[str, str]) -> ApiKey:
        st = self.state
        raw_key = self.headers.get("X-MBX-APIKEY")
        if not raw_key:
            raise ApiError(-2014, "API-key format invalid.", 401)
        key = st.keys.get(raw_key)
        if key is None or key.revoked:
            raise ApiError(-2015, "Invalid API-key, IP, or permissions for action.", 401)
        ts = params.get("timestamp")
        if not ts:
            raise mandatory("timestamp")
        payload, sig = split_signature(query, body)
        if not sig:
            raise mandatory("signature")
        if not verify(key, payload, sig):
            raise ApiError(-1022, "Signature for this request is not valid.")
        try:
            ts_ms = int(ts)
            if ts_ms > 10**14:  # microseconds (spec §1)
                ts_ms //= 1000
            recv = float(params.get("recvWindow") or 5000)
        except ValueError:
            raise mandatory("timestamp") from None
        if recv > 60000:
            raise ApiError(-1102, "'recvWindow' contains unexpected value. Cannot be greater than 60000.")
        now = st.now_ms()
        if ts_ms >= now + 1000:
            raise ApiError(-1021, "Timestamp for this request was 1000ms ahead of the server's time.")
        if now - ts_ms > recv:
            raise ApiError(-1021, "Timestamp for this request is outside of the recvWindow.")
        r = key.restrictions
        flag = PERMISSION_FLAGS.get(ep.permission)
        # The key's own permission list stays readable, so a client can tell the user which
        # restriction to change (binsync's registration does; issue 5 item 1).
        if ep.name == "account.api_restrictions":
            return key
        if not r.get("enableReading", False) or (flag and not r.get(flag, False)):
            raise ApiError(-2015, "Invalid API-key, IP, or permissions for action.", 401)
        return key

    def _dispatch(self, ep: Endpoint, params: dict[str, str], key: ApiKey | None) -> str:
        st = self.state
        now = st.now_ms()
        ref = st.reference
        name = ep.name
        if ExportJobs.handles(ep):
            return st.exports.answer(ep, params, now, key.api_key if key else "",
                                     self.headers.get("Host") or "127.0.0.1")
        if ep.history:
            return st.engine.query(ep, params, now)
        handlers = {
            "system.time": lambda: json.dumps({"serverTime": now}),
            "spot.exchange_info": lambda: ref.exchange_info(params, now),
            "usdm.exchange_info": lambda: ref.futures_exchange_info("fapi", now),
            "coinm.exchange_info": lambda: ref.futures_exchange_info("dapi", now),
            "options.exchange_info": lambda: ref.options_exchange_info(now),
            "account.spot": lambda: ref.spot_account(params),
            "account.api_restrictions": lambda: ref.api_restrictions(key),  # type: ignore[arg-type]
            "account.info": ref.account_info,
            "margin.account": ref.margin_account,
            "margin.isolated_account": ref.isolated_account,
            "usdm.account": ref.usdm_account,
            "wallet.funding_balances": lambda: st.balances.funding(params),
            "earn.flexible_positions": lambda: st.balances.earn_flexible(params),
            "earn.locked_positions": lambda: st.balances.earn_locked(params),
            "coinm.balance": st.balances.coinm,
            "options.margin_account": st.balances.options,
            "loans.flexible_ongoing_orders": lambda: st.balances.loan_collateral(params),
            "loans.stable_ongoing_orders": st.balances.no_orders,
            "extra:/api/v3/ping": lambda: "{}",
            "extra:/fapi/v1/ping": lambda: "{}",
            "extra:/dapi/v1/ping": lambda: "{}",
            "extra:/fapi/v1/time": lambda: json.dumps({"serverTime": now}),
            "extra:/dapi/v1/time": lambda: json.dumps({"serverTime": now}),
            "extra:/sapi/v1/capital/config/getall": ref.capital_config,
            "extra:/sapi/v1/account/status": lambda: json.dumps({"data": "Normal"}),
            "extra:/sapi/v1/margin/allPairs": lambda: ref.margin_pairs(isolated=False),
            "extra:/sapi/v1/margin/isolated/allPairs": lambda: ref.margin_pairs(isolated=True),
            "margin.all_pairs": lambda: ref.margin_pairs(isolated=False),
            "margin.isolated_all_pairs": lambda: ref.margin_pairs(isolated=True),
            "coinm.account": ref.coinm_account,
            "sub_account.list": lambda: ref.sub_account_list(params),
        }
        fn = handlers.get(name)
        if fn is None:
            raise ApiError(-1000, f"{name} is not emulated.")
        return fn()

    def _apply_key_faults(self, n: int) -> None:
        st = self.state
        f = st.faults
        now = None
        primary = st.account.keys[0]
        if (f.revoke_after is not None or f.revoke_at_ms is not None) and "revoke" not in st._fault_applied:
            now = st.now_ms()
            if (f.revoke_after is not None and n > f.revoke_after) or (
                f.revoke_at_ms is not None and now >= f.revoke_at_ms
            ):
                primary.revoked = True
                st._fault_applied.add("revoke")
        if (
            f.permissions
            and "perms" not in st._fault_applied
            and (f.permissions_after is not None or f.permissions_at_ms is not None)
        ):
            now = now or st.now_ms()
            if (f.permissions_after is not None and n > f.permissions_after) or (
                f.permissions_at_ms is not None and now >= f.permissions_at_ms
            ):
                primary.restrictions.update(f.permissions)
                st._fault_applied.add("perms")

    # ---- admin (not Binance) ------------------------------------------------------------------
    def _admin(self, path: str, body: str) -> None:
        st = self.state
        try:
            data = json.loads(body) if body else {}
        except ValueError:
            return self._send(400, json.dumps({"error": "body must be JSON"}))
        parts = path.strip("/").split("/")  # emulator, ...
        if parts[1:] == ["counters"]:
            return self._send(200, json.dumps(st.limiter.counters()))
        if parts[1:] == ["reset"]:
            st.limiter.reset()
            if data.get("counters"):
                with st.limiter.lock:
                    st.limiter.ips.clear()
                    st.limiter.uids.clear()
            return self._send(200, json.dumps({"ok": True}))
        if parts[1:] == ["clock"]:
            st.faults.clock_skew_ms = int(data.get("skew_ms", 0))
            return self._send(200, json.dumps({"skew_ms": st.faults.clock_skew_ms}))
        if parts[1:] == ["faults"]:
            for k, v in data.items():
                if hasattr(st.faults, k) and not k.startswith("_"):
                    setattr(st.faults, k, v)
            return self._send(200, json.dumps({"ok": True}))
        if len(parts) == 4 and parts[1] == "keys":
            key = st.keys.get(parts[2])
            if key is None:
                return self._send(404, json.dumps({"error": "unknown key"}))
            if parts[3] == "revoke":
                key.revoked = bool(data.get("revoked", True))
                return self._send(200, json.dumps({"api_key": key.api_key, "revoked": key.revoked}))
            if parts[3] == "permissions":
                key.restrictions.update(data)
                return self._send(200, json.dumps(key.restrictions))
        if parts[1:] == ["keys"] and self.command == "POST":
            k = add_key(st, data.get("kind", "hmac"), data.get("public_key_pem"), data.get("restrictions"))
            return self._send(200, json.dumps({"api_key": k.api_key, "api_secret": k.secret}))
        return self._send(404, json.dumps({"error": f"unknown admin path {path}"}))


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def handle_error(self, request: Any, client_address: Any) -> None:
        import sys

        if isinstance(sys.exc_info()[1], ConnectionError):  # client gave up (timeouts, faults)
            return
        super().handle_error(request, client_address)


def add_key(
    st: State, kind: str = "hmac", public_key_pem: str | None = None, restrictions: dict | None = None
) -> ApiKey:
    """A further key of the same uid (HMAC, or RSA/Ed25519 with the given public key)."""
    import secrets

    base = dict(st.account.keys[0].restrictions)
    base.update(restrictions or {})
    key = ApiKey(
        api_key=secrets.token_hex(32),
        secret=secrets.token_hex(32) if kind == "hmac" else "",
        kind=kind,
        public_key_pem=public_key_pem,
        restrictions=base,
    )
    st.account.keys.append(key)
    st.keys[key.api_key] = key
    return key


class EmulatorServer:
    """In-process Binance emulator. See the package docstring for usage."""

    def __init__(
        self,
        account: Account,
        time_scale: float = 1,
        faults: Faults | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ):
        self.account = account
        self.state = State(account, time_scale, faults)
        self.host, self.port = host, port
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> EmulatorServer:
        handler = type("BoundHandler", (Handler,), {"state": self.state})
        httpd = _Server((self.host, self.port), handler)
        self._httpd = httpd
        self.port = httpd.server_address[1]
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="binance-emulator", daemon=True
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        handler = type("BoundHandler", (Handler,), {"state": self.state})
        httpd = _Server((self.host, self.port), handler)
        self._httpd = httpd
        self.port = httpd.server_address[1]
        httpd.serve_forever()

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        return f"http://{host}:{self.port}"

    @property
    def credentials(self) -> dict[str, Any]:
        k = self.account.keys[0]
        return {
            "base_url": self.base_url,
            "api_key": k.api_key,
            "api_secret": k.secret,
            "uid": self.account.uid,
        }

    @property
    def second_key(self) -> ApiKey:
        return self.account.keys[1]

    def add_key(
        self, kind: str = "hmac", public_key_pem: str | None = None, restrictions: dict | None = None
    ) -> ApiKey:
        return add_key(self.state, kind, public_key_pem, restrictions)

    def counters(self) -> dict:
        return self.state.limiter.counters()
