"""The plain-client baseline: the same account's spot fills, deposits and withdrawals via ccxt.

One IP, ccxt's own rate limiter (enableRateLimit=True), the way a careful ccxt user syncs
(spec/peers.md §3.5): load_markets, then for every spot market fetch_my_trades with fromId
pagination (1000 rows a page; the cheapest complete walk ccxt allows), then fetch_deposits and
fetch_withdrawals in 90-day windows from the same floor binsync uses, paginated by offset.
The window end goes in params["endTime"]: fetch_withdrawals (ccxt 4.5.90) otherwise sends
endTime = since + exactly 90 days, one millisecond over the limit the emulator enforces.

Time compression: ccxt's `rateLimit` is real milliseconds per cost unit (50 ms; myTrades costs 4,
i.e. 5 calls/s = 6000 weight/min). Against an emulator whose Binance minute lasts 60/N seconds,
the limiter is scaled by 1/N (`rateLimit = 50 / N`) so ccxt paces for the compressed minute
exactly as it would pace for the real one.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlsplit

from bench.fullsync import emulator_totals, settled_heap

NINETY_DAYS_MS = 90 * 86_400_000


def make_exchange(creds: dict[str, Any], time_scale: float) -> Any:
    import ccxt

    ex = ccxt.binance({"apiKey": creds["api_key"], "secret": creds["api_secret"], "enableRateLimit": True})
    ex.rateLimit = ex.rateLimit / time_scale

    def patch(urls: dict) -> None:
        for k, v in urls.items():
            if isinstance(v, dict):
                patch(v)
            elif isinstance(v, str) and "binance" in v:
                urls[k] = creds["base_url"] + urlsplit(v).path

    patch(ex.urls["api"])
    return ex


def _retrying(call: Any, time_scale: float, counts: dict[str, int]) -> Any:
    import ccxt

    while True:
        try:
            return call()
        except (ccxt.RateLimitExceeded, ccxt.DDoSProtection):
            counts["rate_limited"] += 1
            time.sleep(60 / time_scale)


def sync_with_ccxt(creds: dict[str, Any], *, floor_ms: int, now_ms: int, time_scale: float) -> dict[str, Any]:
    ex = make_exchange(creds, time_scale)
    counts = {"rate_limited": 0, "trades": 0, "deposits": 0, "withdrawals": 0, "markets": 0}
    started = time.monotonic()
    markets = _retrying(ex.load_markets, time_scale, counts)
    spot = sorted(s for s, m in markets.items() if m.get("spot"))
    counts["markets"] = len(spot)
    for symbol in spot:
        from_id = 0
        while True:
            page = _retrying(lambda s=symbol, f=from_id: ex.fetch_my_trades(s, None, 1000, {"fromId": f}),
                             time_scale, counts)
            counts["trades"] += len(page)
            if len(page) < 1000:
                break
            from_id = max(int(t["id"]) for t in page) + 1
    for kind, fetch in (("deposits", ex.fetch_deposits), ("withdrawals", ex.fetch_withdrawals)):
        start = floor_ms
        while start < now_ms:
            end = min(start + NINETY_DAYS_MS - 1, now_ms)
            offset = 0
            while True:
                rows = _retrying(lambda s=start, e=end, o=offset, f=fetch:
                                 f(None, s, 1000, {"endTime": e, "offset": o}), time_scale, counts)
                counts[kind] += len(rows)
                if len(rows) < 1000:
                    break
                offset += len(rows)
            start = end + 1
    duration = time.monotonic() - started
    return {"duration_s": duration, "binance_minutes": duration * time_scale / 60,
            "rate_limit_ms": ex.rateLimit, **counts}


def run_ccxt(account: Any, *, time_scale: float, floor_ms: int) -> dict[str, Any]:
    from binsync_local.cli.demo_cmd import Emulator

    with settled_heap(), \
            Emulator(account, account.profile, account.seed, time_scale, in_process=False) as emu:
        out = sync_with_ccxt(emu.credentials, floor_ms=floor_ms, now_ms=account.now_ms, time_scale=time_scale)
        out["emulator"] = emulator_totals(emu.credentials["base_url"])
    return out
