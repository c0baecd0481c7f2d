"""AWS quotas written into the template and the state machine (issue 19): Lambda throttles are
retried with backoff, the worker has reserved concurrency, and a plan too large for one
execution's state (256 KiB) or history (25,000 events) runs as a Distributed Map."""

from __future__ import annotations

from typing import Any

from binsync.sync import plan

from .conftest import asl_definition

THROTTLES = {"Lambda.TooManyRequestsException", "Lambda.SdkClientException",
             "Lambda.ServiceException", "Lambda.AWSLambdaException"}
ACCOUNT_CONCURRENCY = 1000  # Lambda's default per account and region
UNRESERVED_MINIMUM = 100    # Lambda refuses a reservation that leaves less unreserved


def _tasks(states: dict[str, Any]):
    for name, state in states.items():
        if state["Type"] == "Task":
            yield name, state
        if state["Type"] == "Map":
            yield from _tasks(state["ItemProcessor"]["States"])


def test_every_lambda_task_retries_throttles_with_backoff_and_jitter(sam_template):
    asl = asl_definition(sam_template)
    tasks = list(_tasks(asl["States"]))
    assert {name for name, _ in tasks} >= {"Plan", "FetchWindow", "Finish", "RecordFailure"}
    for name, task in tasks:
        retry = next(r for r in task["Retry"] if set(r["ErrorEquals"]) >= THROTTLES)
        assert retry["BackoffRate"] >= 2 and retry["MaxAttempts"] >= 5, name
        assert retry.get("JitterStrategy") == "FULL", name  # throttled workers must not retry in step


def test_the_worker_has_reserved_concurrency_within_the_account_quota(sam_template):
    params = sam_template["Parameters"]
    fetch = sam_template["Resources"]["FetchWindowFunction"]["Properties"]
    assert fetch["ReservedConcurrentExecutions"] == {"Ref": "FetchReservedConcurrency"}
    reserved = params["FetchReservedConcurrency"]
    assert reserved["MaxValue"] <= ACCOUNT_CONCURRENCY - UNRESERVED_MINIMUM
    # at least one sync at full fan-out fits in the reservation
    assert reserved["Default"] >= params["SyncMaxConcurrency"]["Default"]


def _ids(n: int, prefix: str = "spot.my_trades|BTCUSDT|") -> list[str]:
    return [f"{prefix}{i:06d}|1500000000000|1800000000000" for i in range(n)]


def test_a_plan_over_the_state_size_limit_goes_distributed_even_with_few_items():
    few_small = [_ids(25) for _ in range(60)]           # reference-like: 61 items of 25 markets
    assert not plan.runs_distributed(few_small)
    few_large = [_ids(25) for _ in range(200)]          # 5,000 task ids in 200 items: ~290 KB inline
    assert len(few_large) <= plan.INLINE_MAX_TASKS
    assert plan.runs_distributed(few_large)


def test_a_plan_over_the_item_cap_goes_distributed():
    many = [[task] for task in _ids(plan.INLINE_MAX_TASKS + 1)]
    assert plan.runs_distributed(many)
    # the cap keeps an inline Map's history far under Step Functions' 25,000 events: about
    # 7 events per item without retries (measured in bench/cost.py's records)
    assert plan.INLINE_MAX_TASKS * 7 * 2 < 25_000
