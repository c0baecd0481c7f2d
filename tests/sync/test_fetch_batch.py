"""fetch.run_batch: what an item reports when its tasks fail in different ways (issue 17)."""

from __future__ import annotations

from typing import Any

import pytest
from binsync.sync import fetch


class RateLimited(Exception):
    """Named like the client's error: run_batch matches error names, as the state machine does."""


def _batch(monkeypatch: Any, outcomes: dict[str, BaseException | None]) -> list[str]:
    ran: list[str] = []

    def run_task(user_id: str, connection_id: str, run_id: str, task_id: str, **kwargs: Any) -> dict:
        ran.append(task_id)
        error = outcomes[task_id]
        if error is not None:
            raise error
        return {"task_id": task_id, "status": "done", "records": 1}

    monkeypatch.setattr(fetch, "run_task", run_task)
    monkeypatch.setattr(fetch.TaskModel, "batch_get", classmethod(lambda cls, keys: []))
    monkeypatch.setattr(fetch, "add", lambda *args, **kwargs: None)
    return ran


def test_a_retryable_error_after_a_failed_task_gives_the_item_up_with_that_failure(monkeypatch: Any) -> None:
    """The flaky test_faults_and_a_killed_task_then_a_rerun_give_the_fault_free_data: task 1 was
    killed (RuntimeError), task 2 then met a 429; the item was retried for the 429 and the
    retry ran task 1 again, which succeeded: the run ended SUCCEEDED although a task had failed."""
    killed = RuntimeError("worker killed mid-task")
    ran = _batch(monkeypatch, {"t1": killed, "t2": RateLimited("429"), "t3": None})
    with pytest.raises(RuntimeError) as raised:
        fetch.run_batch("u", "c", "r", ["t1", "t2", "t3"], client=object())
    assert raised.value is killed
    assert ran == ["t1", "t2"]


def test_a_retryable_error_alone_is_retried(monkeypatch: Any) -> None:
    _batch(monkeypatch, {"t1": None, "t2": RateLimited("429")})
    with pytest.raises(RateLimited):
        fetch.run_batch("u", "c", "r", ["t1", "t2"], client=object())


def test_a_failed_task_does_not_stop_the_rest_of_the_batch(monkeypatch: Any) -> None:
    ran = _batch(monkeypatch, {"t1": ValueError("bad"), "t2": None})
    with pytest.raises(ValueError):
        fetch.run_batch("u", "c", "r", ["t1", "t2"], client=object())
    assert ran == ["t1", "t2"]


class IpBanned(Exception):
    """Named like the client's error."""


class _Stats:
    requests = 0
    weight = 0
    http_429 = 0
    http_418 = 0


class _Client:
    stats = _Stats()


def test_a_ban_remembered_by_the_client_is_not_counted_as_a_418() -> None:
    """The client raises IpBanned without sending while a ban it learned lasts: the run's 418
    counter counts only what Binance answered (89 were reported for 2 sent)."""
    before = fetch.binance_io.client_stats(_Client())
    out = fetch._unreported(_Client(), before, {"records": 0, "requests": 0, "weight": 0}, 0,
                            IpBanned("IP banned (remembered from an earlier 418)"))
    assert out["http_418"] == 0
