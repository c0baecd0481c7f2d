"""Weight pacing (spec §3, §7.6): wait BEFORE a bucket would overflow, never after.

Each bucket is a sliding log of (time, weight) over its interval. A request waits until the log
has room for its weight, so no interval-long window (sliding or fixed, which is what servers use)
ever sees more than the limit. The server's `X-...-USED-...-WEIGHT-<n><unit>` header corrects the
local count upwards only (other processes on the same IP, requests we did not see); a lower
header value (a fixed window that just reset) is ignored, which stays on the safe side.

Keys are built by the client: IP buckets by (server, source IP, family or path), UID buckets by
(server, account, path). One `RateLimiter` may be shared by every client of a process; it is
thread-safe, and it also remembers per-server facts learned on the way: the time scale of a
time-compressed emulator and IP bans (418) that must not be retried before they end.
"""

from __future__ import annotations

import re
import threading
import time
from collections import deque
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field

_UNIT_S = {"S": 1, "M": 60, "H": 3600, "D": 86400}
_HEADER_RE = re.compile(
    r"^(x-mbx-used-weight|x-sapi-used-ip-weight|x-sapi-used-uid-weight)-(\d+)([smhd])$", re.I
)

# Local entries expire a little after the interval: the server stamps a request when it arrives,
# slightly after we stamp it, so expiring exactly at `interval` could overlap its window.
EXPIRY_MARGIN = 0.02


def parse_interval(suffix_num: str, unit: str) -> float:
    return int(suffix_num) * _UNIT_S[unit.upper()]


def weight_headers(headers: Mapping[str, str]) -> dict[str, list[tuple[float, int]]]:
    """{'x-mbx-used-weight' | 'x-sapi-used-ip-weight' | 'x-sapi-used-uid-weight': [(interval_s, used)]}."""
    out: dict[str, list[tuple[float, int]]] = {}
    for key, value in headers.items():
        m = _HEADER_RE.match(key)
        if not m:
            continue
        try:
            used = int(str(value).strip())
        except ValueError:
            continue
        out.setdefault(m.group(1).lower(), []).append((parse_interval(m.group(2), m.group(3)), used))
    return out


@dataclass
class _Bucket:
    limit: int
    interval: float
    log: deque[tuple[float, int]] = field(default_factory=deque)
    blocked_until: float = 0.0
    total: int = 0  # sum of the weights in `log`

    def _expire(self, now: float) -> None:
        horizon = now - self.interval * (1 + EXPIRY_MARGIN)
        while self.log and self.log[0][0] <= horizon:
            self.total -= self.log.popleft()[1]

    def add(self, now: float, weight: int) -> None:
        self.log.append((now, weight))
        self.total += weight

    def used(self, now: float) -> int:
        self._expire(now)
        return self.total

    def wait_for(self, weight: int, now: float) -> float:
        """Seconds until `weight` fits (0 if it fits now)."""
        if self.blocked_until > now:
            return self.blocked_until - now
        used = self.used(now)
        if used + weight <= self.limit or not self.log:
            return 0.0
        # Drop the oldest entries until the rest plus `weight` fits; wait for the last one dropped.
        need = used + weight - self.limit
        freed = 0
        for t, w in self.log:
            freed += w
            if freed >= need:
                return max(0.0, t + self.interval * (1 + EXPIRY_MARGIN) - now) + 1e-6
        return self.interval  # pragma: no cover - unreachable: the whole log frees everything


class RateLimiter:
    def __init__(self, clock: Callable[[], float] = time.time, sleep: Callable[[float], None] = time.sleep):
        self.clock = clock
        self.sleep = sleep
        self._lock = threading.Lock()
        self._buckets: dict[Hashable, _Bucket] = {}
        self._bans: dict[Hashable, float] = {}
        self._scales: dict[str, float] = {}
        self.waited_s = 0.0

    # --- per-server facts ---------------------------------------------------------------------
    def time_scale(self, server: str) -> float | None:
        return self._scales.get(server)

    def set_time_scale(self, server: str, scale: float) -> None:
        with self._lock:
            self._scales[server] = scale

    def ban(self, ip_key: Hashable, until: float) -> None:
        with self._lock:
            self._bans[ip_key] = max(until, self._bans.get(ip_key, 0.0))

    def banned_for(self, ip_key: Hashable) -> float:
        """Seconds left on a ban of this IP (0 when not banned)."""
        with self._lock:
            return max(0.0, self._bans.get(ip_key, 0.0) - self.clock())

    # --- buckets ------------------------------------------------------------------------------
    def _bucket(self, key: Hashable, limit: int, interval: float) -> _Bucket:
        b = self._buckets.get(key)
        if b is None:
            b = self._buckets[key] = _Bucket(limit, interval)
        else:
            b.limit, b.interval = limit, interval
        return b

    def acquire(self, key: Hashable, weight: int, limit: int, interval: float,
                max_wait: float | None = None) -> float:
        """Block until `weight` fits in the bucket, then record it. Returns the seconds waited.

        With `max_wait`, a wait that would go beyond it raises `WaitTooLong` instead (a worker
        about to reach its timeout hands the rest over rather than sleep through it).
        """
        waited = 0.0
        while True:
            with self._lock:
                now = self.clock()
                b = self._bucket(key, limit, interval)
                delay = b.wait_for(weight, now)
                if delay <= 0:
                    b.add(now, weight)
                    self.waited_s += waited
                    return waited
            if max_wait is not None and waited + delay > max_wait:
                self.waited_s += waited
                raise WaitTooLong(delay)
            self.sleep(delay)
            waited += delay

    def observe(self, key: Hashable, used: int, limit: int, interval: float) -> None:
        """Correct the local count with the server's used weight (upwards only)."""
        with self._lock:
            now = self.clock()
            b = self._bucket(key, limit, interval)
            local = b.used(now)
            if used > local:
                b.add(now, used - local)

    def block(self, key: Hashable, seconds: float, limit: int, interval: float) -> None:
        """A 429 told us to stay away from this bucket for `seconds`."""
        with self._lock:
            b = self._bucket(key, limit, interval)
            b.blocked_until = max(b.blocked_until, self.clock() + seconds)

    def used(self, key: Hashable) -> int:
        with self._lock:
            b = self._buckets.get(key)
            return b.used(self.clock()) if b else 0


class WaitTooLong(Exception):
    """The bucket opens again only after the caller's deadline."""

    def __init__(self, delay: float) -> None:
        super().__init__(f"the bucket opens in {delay:.1f} s, after the deadline")
        self.delay = delay


_DEFAULT: RateLimiter | None = None
_DEFAULT_LOCK = threading.Lock()


def default_limiter() -> RateLimiter:
    """The process-wide limiter (real clock) shared by clients that are not given one."""
    global _DEFAULT
    with _DEFAULT_LOCK:
        if _DEFAULT is None:
            _DEFAULT = RateLimiter()
        return _DEFAULT
