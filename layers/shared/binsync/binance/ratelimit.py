"""Weight pacing (spec §3, §7.6): wait BEFORE a bucket would overflow, never after.

Each bucket is a sliding log of (time, weight) over its interval. A request waits until the log
has room for its weight, so no interval-long window (sliding or fixed, which is what servers use)
ever sees more than the limit. The server's `X-...-USED-...-WEIGHT-<n><unit>` header corrects the
local count upwards only (other processes on the same IP, requests we did not see); a lower
header value (a fixed window that just reset) is ignored, which stays on the safe side.

Shared addresses (AWS does not promise each Lambda its own egress IP): when the header shows
weight we did not send, other workers draw on the same bucket. They decide on the same kind of
stale view, so several may send into the last room of a window at once. A bucket that has seen
others' weight in the last interval therefore keeps a reserve for them: (estimated peers) x (this
request's weight), peers estimated as others' weight / ours (workers of one sync behave alike)
but never fewer than `SHARED_PEERS_MIN`, capped at `SHARED_RESERVE_MAX` of the limit: each
worker whose view is stale sends at most one request before an answer shows it the bucket full,
so the reserve must cover every worker on the address. The view itself never falls below the
server's last header plus our own requests since, until that window may have reset: a sliding
log corrected at an answer drops below the server's fixed-window count as our entries from
before that window expire. On `/api` a window that answered one 429 bans the address if it keeps
receiving requests, and workers learn of a neighbour's 429 only from their own answers, so the
pacing must keep the window from overflowing at all. And each worker keeps its own spending to
its fair share, limit / (peers + 1), peers as estimated. A bucket nobody else drew on keeps the
whole limit.

Keys are built by the client: IP buckets by (server, source IP, family or path), UID buckets by
(server, account, path). One `RateLimiter` may be shared by every client of a process; it is
thread-safe, and it also remembers per-server facts learned on the way: the time scale of a
time-compressed emulator and IP bans (418) that must not be retried before they end.
"""

from __future__ import annotations

import os
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
# At most this share of a shared bucket's limit is kept back for the other workers' requests
# in flight (32 workers x weight 20 = 640 of /api's 6000: about 11 %).
SHARED_RESERVE_MAX = 0.2
# A shared bucket's reserve counts at least this many peers. The weight-ratio estimate alone
# (others' weight / ours) is low exactly for the workers that spend most: a worker that had sent
# 1,500 of /api's 6,000 counted 3 peers where 31 ran, kept back 60 instead of 620, and with the
# others on the same stale view the window overflowed, 429'd, and the sends that followed in the
# window drew a 418. Every worker with a stale view sends at most one more request before its
# answer shows the bucket full, so the reserve must cover all of them: every other worker a sync
# may run at once, SyncMaxConcurrency - 1 (the template passes it as SYNC_MAX_CONCURRENCY; 31 is
# a 32-worker sync, the figure measured in bench/shared_ips.py). Other syncs sharing the address
# raise the ratio estimate above this floor.
SHARED_PEERS_MIN = 31


def shared_peers_min() -> int:
    """The reserve's floor of peers: the sync's other workers (SYNC_MAX_CONCURRENCY - 1)."""
    value = os.environ.get("SYNC_MAX_CONCURRENCY", "")
    return max(1, int(value) - 1) if value.isdigit() else SHARED_PEERS_MIN


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
    others: deque[tuple[float, int]] = field(default_factory=deque)  # header corrections
    others_total: int = 0  # sum of the weights in `others` (also counted in `log`)
    mine: deque[tuple[float, int]] = field(default_factory=deque)  # our own requests
    mine_total: int = 0
    # The server's last used-weight header for the bucket and when it came: its window counted
    # at least that much then, and our requests since come on top until it may have reset.
    seen_at: float = 0.0
    seen_used: int = 0

    def _expire(self, now: float) -> None:
        horizon = now - self.interval * (1 + EXPIRY_MARGIN)
        while self.log and self.log[0][0] <= horizon:
            self.total -= self.log.popleft()[1]
        while self.others and self.others[0][0] <= horizon:
            self.others_total -= self.others.popleft()[1]
        while self.mine and self.mine[0][0] <= horizon:
            self.mine_total -= self.mine.popleft()[1]

    def add_mine(self, now: float, weight: int) -> None:
        self.add(now, weight)
        self.mine.append((now, weight))
        self.mine_total += weight

    def add_others(self, now: float, weight: int) -> None:
        self.add(now, weight)
        self.others.append((now, weight))
        self.others_total += weight

    def peers(self, weight: int) -> int:
        """Other workers on this bucket, estimated as their weight / ours (0: nobody else)."""
        if self.others_total <= 0:
            return 0
        return -(-self.others_total // max(self.mine_total, weight))  # ceil

    def reserve(self, weight: int) -> int:
        """Weight kept back for other workers' requests in flight (0 when nobody else drew on it)."""
        peers = self.peers(weight)
        if peers == 0:
            return 0
        peers = max(peers, shared_peers_min())
        # Whole requests only: a bucket whose one request exceeds the cap (fiat orders: 90,000 of
        # 180,000) keeps no reserve, the 429's Retry-After covers that rare race.
        return min(int(self.limit * SHARED_RESERVE_MAX) // weight, peers) * weight

    def _wait_for_own_share(self, weight: int, now: float) -> float:
        peers = self.peers(weight)
        if peers == 0:
            return 0.0
        share = max(weight, self.limit // (peers + 1))
        need = self.mine_total + weight - share
        if need <= 0:
            return 0.0
        freed = 0
        for t, w in self.mine:
            freed += w
            if freed >= need:
                return max(0.0, t + self.interval * (1 + EXPIRY_MARGIN) - now) + 1e-6
        return 0.0

    def add(self, now: float, weight: int) -> None:
        self.log.append((now, weight))
        self.total += weight

    def used(self, now: float) -> int:
        self._expire(now)
        return self.total

    def _seen_expiry(self) -> float:
        return self.seen_at + self.interval * (1 + EXPIRY_MARGIN)

    def floor(self, now: float) -> int:
        """The least the server's window holds now by what it last told us (0 once it may have
        reset). The sliding log alone falls below it between answers: the correction made at an
        answer was net of our entries from before the server's window began, and those expire."""
        if self.seen_used <= 0 or now >= self._seen_expiry():
            return 0
        return self.seen_used + sum(w for t, w in self.mine if t > self.seen_at)

    def saw(self, now: float, used: int) -> None:
        self.seen_at, self.seen_used = now, used

    def wait_for(self, weight: int, now: float) -> float:
        """Seconds until `weight` fits (0 if it fits now)."""
        if self.blocked_until > now:
            return self.blocked_until - now
        used = self.used(now)
        reserve = self.reserve(weight)
        floor = self.floor(now)
        if floor + weight + reserve > self.limit and floor > used and self.log:
            return self._seen_expiry() - now + 1e-6
        if used + weight + reserve <= self.limit or not self.log:
            return self._wait_for_own_share(weight, now)
        # Drop the oldest entries until the rest plus `weight` fits; wait for the last one dropped.
        need = used + weight + reserve - self.limit
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
                    b.add_mine(now, weight)
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
                b.add_others(now, used - local)
            b.saw(now, used)

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
_BY_ENVIRONMENT: dict[str, RateLimiter] = {}
_DEFAULT_LOCK = threading.Lock()


def default_limiter() -> RateLimiter:
    """The limiter (real clock) shared by clients that are not given one: process-wide, i.e. one
    per Lambda execution environment; per `runtime.ENVIRONMENT` where several share a process."""
    global _DEFAULT
    from .. import runtime

    env = runtime.environment()
    with _DEFAULT_LOCK:
        if env is not None:
            limiter = _BY_ENVIRONMENT.get(env)
            if limiter is None:
                limiter = _BY_ENVIRONMENT[env] = RateLimiter()
            return limiter
        if _DEFAULT is None:
            _DEFAULT = RateLimiter()
        return _DEFAULT
