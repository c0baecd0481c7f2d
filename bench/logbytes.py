"""CloudWatch Logs bytes, measured: the handlers' log lines at the template's level, counted.

During a metered run the Powertools loggers (and the EMF metrics lines printed to stdout) write
into `ByteCounter`, which keeps (time, bytes) per write and discards the text; Lambda's own
START/END/REPORT lines are formatted per invocation from its real duration and memory.
"""

from __future__ import annotations

import contextlib
import io
import logging
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any


class ByteCounter(io.TextIOBase):
    """A text stream that counts UTF-8 bytes written, time-stamped, and keeps nothing else."""

    def __init__(self) -> None:
        self.writes: list[tuple[float, int]] = []
        self._lock = threading.Lock()

    def writable(self) -> bool:
        return True

    def write(self, s: str) -> int:
        with self._lock:
            self.writes.append((time.time(), len(s.encode("utf-8"))))
        return len(s)

    def between(self, start: float, end: float) -> int:
        with self._lock:
            return sum(n for t, n in self.writes if start <= t < end)


def platform_bytes(duration_s: float, memory_mb: int) -> int:
    """Bytes of Lambda's START, END and REPORT lines for one invocation (their AWS format)."""
    rid = "00000000-0000-0000-0000-000000000000"
    ms = duration_s * 1000
    lines = (f"START RequestId: {rid} Version: $LATEST\n", f"END RequestId: {rid}\n",
             f"REPORT RequestId: {rid}\tDuration: {ms:.2f} ms\tBilled Duration: {int(ms) + 1} ms\t"
             f"Memory Size: {memory_mb} MB\tMax Memory Used: {memory_mb // 4} MB\t\n")
    return sum(len(line.encode()) for line in lines)


@contextlib.contextmanager
def counting_logs(level: str = "INFO", service: str = "binsync") -> Iterator[ByteCounter]:
    """Send the handlers' logs, at `level` (template.yaml: INFO), and stdout into a ByteCounter."""
    counter = ByteCounter()
    logger = logging.getLogger(service)
    saved_level = logger.level
    swapped: list[tuple[Any, Any]] = []
    for h in logger.handlers:
        if isinstance(h, logging.StreamHandler):
            swapped.append((h, h.stream))
            h.setStream(counter)
    logger.setLevel(level)
    saved_stdout, sys.stdout = sys.stdout, counter  # type: ignore[assignment]
    try:
        yield counter
    finally:
        sys.stdout = saved_stdout
        logger.setLevel(saved_level)
        for h, stream in swapped:
            h.setStream(stream)
