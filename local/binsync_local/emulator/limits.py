"""Binance's rate limits as the emulator enforces them (spec §3), with time compression.

Buckets come from the endpoint catalogue (`RateBucket`: kind ip/uid, limit, interval, shared or
per-endpoint scope, header). Windows are fixed and aligned on the wall clock like Binance's
("per minute"). With `time_scale = N` a Binance minute lasts 60/N real seconds: every bucket
interval, every Retry-After and every ban duration is divided by N, and the used-weight headers
carry the real interval (`X-MBX-USED-WEIGHT-1S` at N=60).

IP bans (HTTP 418) apply to /api only (spec §8 #2: /sapi always answers 429). Assumption (the
spec leaves the schedule undocumented beyond "from 2 minutes to 3 days"): an IP that sends more
than BAN_AFTER further requests to /api inside a window in which it already received a 429 is
banned for 2 minutes, doubling for each repeat offence, capped at 3 days (all scaled by 1/N).
"""

from __future__ import annotations

import math
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from binsync.binance.catalogue import RateBucket

BAN_AFTER = 5
BAN_FIRST_S = 120
BAN_MAX_S = 3 * 86_400
BAN_FAMILIES = frozenset({"api"})


def interval_suffix(real_s: float) -> str:
    """Header suffix for a real interval: 60 -> 1M, 1 -> 1S, 6 -> 6S (sub-second: 1S)."""
    if real_s >= 60 and real_s % 60 == 0:
        return f"{int(real_s // 60)}M"
    if real_s >= 1 and float(real_s).is_integer():
        return f"{int(real_s)}S"
    return "1S"


@dataclass
class Counters:
    requests: int = 0
    weight: int = 0
    http_429: int = 0
    http_418: int = 0
    errors: dict[int, int] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {
            "requests": self.requests,
            "weight": self.weight,
            "http_429": self.http_429,
            "http_418": self.http_418,
            "errors": {str(k): v for k, v in self.errors.items()},
        }


@dataclass
class _BanState:
    warned_window: int = -1
    violations: int = 0
    offences: int = 0
    banned_until: float = 0.0


class Limiter:
    def __init__(self, time_scale: float = 1.0, clock: Callable[[], float] = time.time):
        if time_scale <= 0 or 60 % time_scale:
            raise ValueError(f"time_scale must divide 60, got {time_scale}")
        self.scale = float(time_scale)
        self.clock = clock
        self.lock = threading.Lock()
        self._used: dict[tuple, list] = {}
        self._bans: dict[str, _BanState] = defaultdict(_BanState)
        self.ips: dict[str, Counters] = defaultdict(Counters)
        self.uids: dict[str, Counters] = defaultdict(Counters)

    # ---- time ------------------------------------------------------------------------------
    def real_interval(self, interval_s: float) -> float:
        return interval_s / self.scale

    def header_name(self, bucket: RateBucket) -> str:
        if self.scale == 1:
            return bucket.header
        return bucket.header_prefix + interval_suffix(self.real_interval(bucket.interval_s))

    def rate_limit_entry(self, bucket: RateBucket) -> dict:
        """exchangeInfo `rateLimits` entry for a REQUEST_WEIGHT bucket, scaled."""
        real = self.real_interval(bucket.interval_s)
        if real >= 60 and real % 60 == 0:
            interval, num = "MINUTE", int(real // 60)
        else:
            interval, num = "SECOND", max(1, int(real))
        return {
            "rateLimitType": "REQUEST_WEIGHT",
            "interval": interval,
            "intervalNum": num,
            "limit": bucket.limit,
        }

    # ---- buckets ---------------------------------------------------------------------------
    def charge(self, key: tuple, bucket: RateBucket, weight: int) -> tuple[bool, int, int]:
        """Add `weight` to the bucket unless it would exceed the limit.

        Returns (allowed, used weight after the call, Retry-After seconds when refused).
        """
        real = self.real_interval(bucket.interval_s)
        now = self.clock()
        idx = int(now // real)
        with self.lock:
            slot = self._used.get(key)
            if slot is None or slot[0] != idx:
                slot = [idx, 0]
                self._used[key] = slot
            if slot[1] + weight > bucket.limit:
                return False, slot[1], max(1, math.ceil((idx + 1) * real - now))
            slot[1] += weight
            return True, slot[1], 0

    def used(self, key: tuple, bucket: RateBucket) -> int:
        idx = int(self.clock() // self.real_interval(bucket.interval_s))
        with self.lock:
            slot = self._used.get(key)
            return slot[1] if slot and slot[0] == idx else 0

    def reset(self) -> None:
        with self.lock:
            self._used.clear()
            self._bans.clear()

    # ---- bans (/api only) -------------------------------------------------------------------
    def ban_remaining(self, ip: str) -> float:
        st = self._bans.get(ip)
        if st is None:
            return 0.0
        return max(0.0, st.banned_until - self.clock())

    def ban(self, ip: str, seconds: float) -> None:
        """Ban `ip` for `seconds` real seconds (a fault: Binance bans some of a pool's IPs)."""
        with self.lock:
            st = self._bans[ip]
            st.banned_until = max(st.banned_until, self.clock() + seconds)

    def note_429(self, ip: str, bucket: RateBucket) -> None:
        idx = int(self.clock() // self.real_interval(bucket.interval_s))
        with self.lock:
            st = self._bans[ip]
            if st.warned_window != idx:
                st.warned_window, st.violations = idx, 0

    def note_request(self, ip: str, bucket: RateBucket) -> float:
        """Count a request sent inside a window that already answered 429; ban repeat senders.

        Returns the ban duration in real seconds when this request triggers a ban, else 0.
        """
        idx = int(self.clock() // self.real_interval(bucket.interval_s))
        with self.lock:
            st = self._bans.get(ip)
            if st is None or st.warned_window != idx:
                return 0.0
            st.violations += 1
            if st.violations <= BAN_AFTER:
                return 0.0
            duration = min(BAN_FIRST_S * 2**st.offences, BAN_MAX_S) / self.scale
            st.offences += 1
            st.violations = 0
            st.warned_window = -1
            st.banned_until = self.clock() + duration
            return duration

    def counters(self) -> dict:
        with self.lock:
            return {
                "ips": {ip: c.as_dict() for ip, c in self.ips.items()},
                "uids": {uid: c.as_dict() for uid, c in self.uids.items()},
            }
