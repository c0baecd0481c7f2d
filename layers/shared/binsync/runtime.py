"""Per-invocation runtime facts that are not business data.

`EGRESS_IP` is the local source address outgoing Binance requests should bind to. On AWS it is
never set (each Lambda leaves from its own address). Locally, the embedded cloud's invoke router
sets it per invocation from a pool of loopback addresses (127.0.0.2, 127.0.0.3, ...) so the
emulator sees the Map fan-out as many IPs, exactly as Binance sees many Lambdas.

`ENVIRONMENT` names the execution environment an invocation runs in, where several share one
process. On AWS it is never set: one process is one environment (process-wide state such as the
rate limiter is per Lambda). Locally, when more workers than addresses run (shared egress IPs),
the router sets it per worker slot so each simulated Lambda keeps its own rate limiter and learns
what its neighbours on the same address spent only from Binance's used-weight headers.
"""

from __future__ import annotations

from contextvars import ContextVar

EGRESS_IP: ContextVar[str | None] = ContextVar("binsync_egress_ip", default=None)


def egress_ip() -> str | None:
    return EGRESS_IP.get()


ENVIRONMENT: ContextVar[str | None] = ContextVar("binsync_environment", default=None)


def environment() -> str | None:
    return ENVIRONMENT.get()
