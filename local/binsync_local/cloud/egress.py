"""A pool of loopback source addresses standing in for the egress IPs of concurrent Lambdas.

On AWS each concurrently running Lambda environment leaves from its own address, so Binance
counts per-IP weight per environment. Locally the invoke router leases one address per running
invocation (127.0.0.2, 127.0.0.3, ...); the Binance client binds its sockets to it (see
`binsync.runtime.EGRESS_IP`) and the emulator sees as many IPs as there are concurrent workers.
Linux routes all of 127.0.0.0/8 to the loopback interface, so no setup is needed.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager


def loopback_addresses(count: int) -> list[str]:
    if not 0 <= count <= 250:
        raise ValueError(f"egress_ips must be between 0 and 250, got {count}")
    return [f"127.0.0.{i + 2}" for i in range(count)]


class EgressPool:
    """Leases distinct addresses to concurrently running invocations.

    A lease blocks while every address is held (N addresses = N Lambda environments). An
    invocation nested inside another one on the same thread (an S3 notification fired by a
    handler's put_object) must not wait for its own caller: when the pool is empty it shares the
    caller's address instead of deadlocking.
    """

    def __init__(self, count: int) -> None:
        self.addresses = loopback_addresses(count)
        self._free = list(self.addresses)
        self._cond = threading.Condition()
        self._held = threading.local()

    @property
    def size(self) -> int:
        return len(self.addresses)

    @contextmanager
    def lease(self) -> Iterator[str | None]:
        if not self.addresses:
            yield None
            return
        outer: str | None = getattr(self._held, "ip", None)
        with self._cond:
            if outer is not None and not self._free:
                ip, owned = outer, False
            else:
                while not self._free:
                    self._cond.wait()
                ip, owned = self._free.pop(0), True
        self._held.ip = ip
        try:
            yield ip
        finally:
            self._held.ip = outer
            if owned:
                with self._cond:
                    self._free.append(ip)
                    self._cond.notify()
