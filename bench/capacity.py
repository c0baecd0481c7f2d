"""The emulator's own capacity (binsync_local.emulator.capacity) and the time scale chosen from it
and from this machine's own pace running the sync (`choose_pipeline_time_scale`).

A time scale N makes one Binance minute last 60/N seconds, so one IP may send N times Binance's
request rate. N is the largest divisor of 60 at which one IP's /api budget at Binance's limit
(6000 weight/min of 20-weight myTrades pages = 5 requests/s) times N stays under half of the
emulator's measured capacity: the limits, not the emulator, set the pace of a one-IP client.
That N is an upper bound: the time scale actually used also fits this machine's own pace running
the whole sync (`choose_pipeline_time_scale`), which is far below the emulator's.
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


def choose_pipeline_time_scale(machine_s: float, t_min_binance_s: float, emulator_n: int,
                               share: float = 0.6) -> int:
    """Largest N (a divisor of 60, at most the emulator's own choice) at which this machine's
    time for the whole sync fits in `share` of T_min.

    `machine_s` is a full sync timed at N = 60, where Binance's limits allow far more than the
    machine does (T_min a few seconds): its duration is the machine's (the in-process cloud: moto,
    Step Functions and every Lambda on one interpreter). Below that N the limits set the pace:
    the machine's work runs inside the UID-bound critical path instead of after it.
    """
    ok = [n for n in DIVISORS_OF_60 if n <= emulator_n and machine_s <= share * t_min_binance_s / n]
    return max(ok) if ok else 1


def measure_capacity(seconds: float = 3.0, threads: tuple[int, ...] = (1, 4, 8)) -> dict[str, Any]:
    from binsync_local.emulator.capacity import measure

    out = measure(seconds, threads)
    out["chosen_time_scale"] = choose_time_scale(out["max_requests_per_s"])
    return out
