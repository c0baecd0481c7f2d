"""The emulator's own capacity (binsync_local.emulator.capacity) and the time scale chosen from it.

A time scale N makes one Binance minute last 60/N seconds, so one IP may send N times Binance's
request rate. N is the largest divisor of 60 at which one IP's /api budget at Binance's limit
(6000 weight/min of 20-weight myTrades pages = 5 requests/s) times N stays under half of the
emulator's measured capacity: the limits, not the emulator, set the pace of a one-IP client.
With K IPs the allowed rate is K times higher; when K * 5 * N exceeds the capacity the run is
machine-bound and the report says so (`machine_bound`).
"""

from __future__ import annotations

from typing import Any

from binsync.binance import catalogue

DIVISORS_OF_60 = (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60)


def per_ip_requests_per_s() -> float:
    ep = catalogue.endpoint("spot.my_trades")
    return ep.bucket.limit / ep.bucket.interval_s / ep.weight


def choose_time_scale(capacity_rps: float, headroom: float = 0.5) -> int:
    ok = [n for n in DIVISORS_OF_60 if n * per_ip_requests_per_s() <= capacity_rps * headroom]
    return max(ok) if ok else 1


def measure_capacity(seconds: float = 3.0, threads: tuple[int, ...] = (1, 4, 8)) -> dict[str, Any]:
    from binsync_local.emulator.capacity import measure

    out = measure(seconds, threads)
    out["chosen_time_scale"] = choose_time_scale(out["max_requests_per_s"])
    return out


def machine_bound(ips: int, time_scale: float, capacity_rps: float) -> bool:
    return ips * per_ip_requests_per_s() * time_scale > capacity_rps
