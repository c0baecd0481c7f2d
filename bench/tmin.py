"""T_min, the lower bound of DESIGN.md §6, from the requests a run actually made.

    T_min = max( sum of IP weight / (K * L)  per IP bucket,
                 max over UID buckets b of weight_b / U_b,
                 longest chain of dependent requests * round-trip time )

Weights and limits come from the endpoint catalogue only. Per-IP buckets: /api, /fapi, /dapi,
/eapi share one counter per IP per family; every /sapi endpoint has its own per-IP counter
(spec §3.2), so each is its own term. UID buckets are per account: K does not help them.
The rate terms are in Binance seconds (divide by the time scale N for emulator seconds); the chain
term is in real seconds (a round trip does not compress).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from binsync.binance import catalogue


@dataclass(frozen=True)
class TaskRow:
    """What T_min needs of a TaskModel row."""

    endpoint: str
    requests: int


def bucket_key(ep: catalogue.Endpoint) -> tuple[str, str]:
    """(kind, name) of the counter an endpoint draws on: shared per family, or its own."""
    b = ep.bucket
    if b.scope == "shared":
        return b.kind, ep.family
    return b.kind, ep.name


BucketWeights = dict[tuple[str, str], tuple[int, catalogue.RateBucket]]


def bucket_weights(requests_by_endpoint: Mapping[str, int]) -> BucketWeights:
    """(kind, name) of each counter drawn on -> (total weight, its bucket)."""
    out: BucketWeights = {}
    for name, n in requests_by_endpoint.items():
        ep = catalogue.endpoint(name)
        key = bucket_key(ep)
        out[key] = (out.get(key, (0, ep.bucket))[0] + n * ep.weight, ep.bucket)
    return out


def rate_terms(requests_by_endpoint: Mapping[str, int], ips: int) -> dict[str, float]:
    """Binance seconds each bucket needs at its limit: {"ip:api": s, "uid:fiat.orders": s, ...}."""
    out = {}
    for (kind, name), (w, b) in bucket_weights(requests_by_endpoint).items():
        per_s = b.limit / b.interval_s * (ips if kind == "ip" else 1)
        out[f"{kind}:{name}"] = w / per_s
    return out


def window_floor(requests_by_endpoint: Mapping[str, int], ips: int) -> float:
    """Binance seconds of the binding bucket when counters reset on fixed windows, as Binance's
    do (X-MBX-USED-WEIGHT-1M counts the current minute): W weight on a limit L per interval
    needs ceil(W / L) windows, and the first and last need not be waited out, so
    (ceil(W / L) - 1) intervals. Up to one interval under the continuous T_min."""
    best = 0.0
    for (kind, _), (w, b) in bucket_weights(requests_by_endpoint).items():
        per_counter = w / (ips if kind == "ip" else 1)
        best = max(best, max(0, math.ceil(per_counter / b.limit) - 1) * b.interval_s)
    return best


def t_min(tasks: Iterable[TaskRow], *, ips: int, time_scale: float, rtt_s: float,
          extra_chain: int = 0) -> dict[str, Any]:
    """The bound in emulator (real) seconds, with its terms.

    `extra_chain`: sequential requests outside the Map (plan, finish) that every task waits for.
    """
    tasks = list(tasks)
    by_endpoint: Counter[str] = Counter()
    for t in tasks:
        by_endpoint[t.endpoint] += t.requests
    terms = rate_terms(by_endpoint, ips)
    ip_terms = {k: v for k, v in terms.items() if k.startswith("ip:")}
    uid_terms = {k: v for k, v in terms.items() if k.startswith("uid:")}
    longest = max((t.requests for t in tasks), default=0)
    chain = (longest + extra_chain) * rtt_s
    ip_s = max(ip_terms.values(), default=0.0) / time_scale
    uid_s = max(uid_terms.values(), default=0.0) / time_scale
    bound = max(ip_s, uid_s, chain)
    binding = ("ip" if bound == ip_s else "uid" if bound == uid_s else "chain") if bound else "none"
    top = max(terms, key=lambda k: terms[k]) if terms else None
    return {
        "t_min_s": bound,
        # the same bound with fixed-window counters (a measured time may fall this low)
        "window_floor_s": max(window_floor(by_endpoint, ips) / time_scale, chain),
        "binding": binding,
        "ip_s": ip_s,
        "uid_s": uid_s,
        "chain_s": chain,
        "chain_requests": longest + extra_chain,
        "rtt_s": rtt_s,
        "top_bucket": top,
        "weight": sum(n * catalogue.endpoint(e).weight for e, n in by_endpoint.items()),
        "requests": sum(by_endpoint.values()),
        "terms_binance_s": {k: round(v, 3) for k, v in sorted(terms.items(), key=lambda kv: -kv[1])[:8]},
    }
