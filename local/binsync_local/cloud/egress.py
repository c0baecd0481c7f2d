"""A pool of loopback source addresses standing in for the egress IPs of concurrent Lambdas.

On AWS each concurrently running Lambda environment leaves from its own address, so Binance
counts per-IP weight per environment. Locally the invoke router leases one address per running
invocation (127.0.0.2, 127.0.0.3, ...); the Binance client binds its sockets to it (see
`binsync.runtime.EGRESS_IP`) and the emulator sees as many IPs as there are concurrent workers.
Linux routes all of 127.0.0.0/8 to the loopback interface, so no setup is needed.

AWS does not promise distinct addresses (Lambdas outside a VPC leave from a shared pool), so the
pool can also lease more concurrent workers than it has addresses (`workers`): leases then share
addresses round-robin, and each lease is a slot of its own (`Lease.slot`, one simulated execution
environment with its own rate limiter, as separate Lambdas have).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass


def loopback_addresses(count: int) -> list[str]:
    if not 0 <= count <= 250:
        raise ValueError(f"egress_ips must be between 0 and 250, got {count}")
    return [f"127.0.0.{i + 2}" for i in range(count)]


@dataclass(frozen=True)
class Lease:
    ip: str | None
    slot: int | None  # which concurrent worker (execution environment) holds it


class EgressPool:
    """Leases distinct addresses to concurrently running invocations.

    A lease blocks while every address is held (N addresses = N Lambda environments). An
    invocation nested inside another one on the same thread (an S3 notification fired by a
    handler's put_object) must not wait for its own caller: when the pool is empty it shares the
    caller's address instead of deadlocking.
    """

    def __init__(self, count: int, workers: int | None = None) -> None:
        self.addresses = loopback_addresses(count)
        self.workers = max(count, workers or count)
        # One entry per worker slot: N addresses dealt round-robin over `workers` slots.
        self._free = [(self.addresses[i % count], i) for i in range(self.workers)] if count else []
        self._cond = threading.Condition()
        self._held = threading.local()

    @property
    def size(self) -> int:
        return len(self.addresses)

    @property
    def shared(self) -> bool:
        """More concurrent workers than addresses: some workers share an address."""
        return self.workers > len(self.addresses)

    @contextmanager
    def lease(self) -> Iterator[str | None]:
        with self.lease_slot() as held:
            yield held.ip

    @contextmanager
    def lease_slot(self) -> Iterator[Lease]:
        if not self.addresses:
            yield Lease(None, None)
            return
        outer: tuple[str, int] | None = getattr(self._held, "slot", None)
        with self._cond:
            if outer is not None and not self._free:
                held, owned = outer, False
            else:
                while not self._free:
                    self._cond.wait()
                held, owned = self._free.pop(0), True
        self._held.slot = held
        try:
            yield Lease(*held)
        finally:
            self._held.slot = outer
            if owned:
                with self._cond:
                    self._free.append(held)
                    self._cond.notify()
