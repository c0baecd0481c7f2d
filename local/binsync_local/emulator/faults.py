"""Fault injection, configurable per run (constructor `faults=` and CLI flags).

Random faults are drawn from a seeded generator, so a run with the same request sequence sees the
same faults. Counts are per server (every request, admin calls excluded).
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Faults:
    error_rate: float = 0.0  # fraction of requests answered 5xx (500 -1000 / 503 -1008)
    latency_ms: int = 0  # added to every request
    timeout_rate: float = 0.0  # fraction of requests that hang `hang_s` before answering 503
    hang_s: float = 30.0
    storm_rate: float = 0.0  # fraction of requests answered 429 whatever the buckets say
    storm_after: int | None = None  # a 429 storm starting at this request number...
    storm_requests: int = 0  # ...lasting this many requests
    revoke_after: int | None = None  # revoke the primary key after this many requests
    revoke_at_ms: int | None = None  # ...or at this server time (epoch ms)
    permissions_after: int | None = None  # apply `permissions` to the primary key after N requests
    permissions_at_ms: int | None = None
    permissions: dict[str, Any] = field(default_factory=dict)
    clock_skew_ms: int = 0  # server clock = real clock + skew
    ban_ips: tuple[str, ...] = ()  # these source IPs are banned (418 on /api) once request...
    ban_after: int | None = None  # ...number `ban_after` is passed, for `ban_s` real seconds
    ban_s: float = 2.0
    seed: int = 0

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)
        self._lock = threading.Lock()
        self.count = 0

    def tick(self) -> tuple[int, float, float, float]:
        """Count one request; returns (number, u_error, u_timeout, u_storm) uniform draws."""
        with self._lock:
            self.count += 1
            return self.count, self._rng.random(), self._rng.random(), self._rng.random()

    @classmethod
    def from_args(cls, args: Any) -> Faults:
        perms = {}
        for item in getattr(args, "fault_permissions", None) or []:
            k, _, v = item.partition("=")
            perms[k] = v.lower() in ("1", "true", "yes")
        return cls(
            error_rate=args.fault_5xx_rate,
            latency_ms=args.fault_latency_ms,
            timeout_rate=args.fault_timeout_rate,
            hang_s=args.fault_hang_s,
            storm_rate=args.fault_429_rate,
            storm_after=args.fault_429_storm_after,
            storm_requests=args.fault_429_storm_requests,
            revoke_after=args.fault_revoke_after,
            revoke_at_ms=args.fault_revoke_at_ms,
            permissions_after=args.fault_permissions_after,
            permissions_at_ms=args.fault_permissions_at_ms,
            permissions=perms,
            clock_skew_ms=args.fault_clock_skew_ms,
            seed=args.seed,
        )
