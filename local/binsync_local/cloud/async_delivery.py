"""Asynchronous event delivery, as Lambda's async invocation queue does it for S3 notifications.

On AWS the PUT returns before the function runs: S3 hands the event to Lambda's queue, Lambda
invokes the function, retries a failure twice (`MaximumRetryAttempts`, default 2), then sends the
event to the dead-letter queue (`DeadLetterQueue` in template.yaml). Locally one worker thread
plays the queue (`InvokeRouter.run_async` does the retries and the DLQ), so the PUT returns at
once and `waiting`/`parsing` are visible. `wait()` is for tests and the in-process CLI; a client
of the API polls `GET /uploads/{id}` instead, as it would on AWS.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)


class AsyncDelivery:
    """One worker thread running submitted deliveries in order; `wait` until none is pending."""

    def __init__(self) -> None:
        self._queue: queue.Queue[Callable[[], object] | None] = queue.Queue()
        self._pending = 0
        self._idle = threading.Condition()
        self._thread: threading.Thread | None = None

    def submit(self, delivery: Callable[[], object]) -> None:
        with self._idle:
            self._pending += 1
            if self._thread is None:
                self._thread = threading.Thread(target=self._work, name="lambda-async-queue", daemon=True)
                self._thread.start()
        self._queue.put(delivery)

    def wait(self, timeout: float | None = None) -> bool:
        """True once every submitted delivery has finished (retries and DLQ included)."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout)

    @property
    def pending(self) -> int:
        return self._pending

    def stop(self, timeout: float | None = None) -> None:
        """Finish what is queued, then end the worker."""
        self.wait(timeout)
        thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(None)
            thread.join(timeout)

    def _work(self) -> None:
        while (delivery := self._queue.get()) is not None:
            try:
                delivery()
            except Exception:  # the router turns handler errors into envelopes; this is a bug
                log.exception("asynchronous delivery failed")
            finally:
                with self._idle:
                    self._pending -= 1
                    self._idle.notify_all()
