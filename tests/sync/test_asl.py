"""Static properties of statemachine/sync.asl.json that the local run cannot show.

(The inline and distributed paths themselves run in test_state_machine.py.)
"""

from __future__ import annotations

import json
from pathlib import Path

ASL = Path(__file__).resolve().parents[2] / "statemachine" / "sync.asl.json"
LAMBDA_ERRORS = {"Lambda.ServiceException", "Lambda.AWSLambdaException", "Lambda.SdkClientException",
                 "Lambda.TooManyRequestsException"}


def _load() -> dict:
    text = ASL.read_text()
    assert "${MapChildExecutionType}" in text and "${MaxConcurrency}" in text
    text = text.replace("${MaxConcurrency}", "40")
    return json.loads(text)


def _tasks(states: dict):
    for name, state in states.items():
        if state["Type"] == "Task":
            yield name, state
        if state["Type"] == "Map":
            yield from _tasks(state["ItemProcessor"]["States"])


def test_jsonpath_only_and_no_item_batcher():
    text = ASL.read_text()
    assert "JSONata" not in text and "ItemBatcher" not in text


def test_every_task_retries_lambda_service_errors_and_fetch_retries_binance_errors():
    asl = _load()
    for name, task in _tasks(asl["States"]):
        errors = {e for r in task.get("Retry", []) for e in r["ErrorEquals"]}
        assert errors >= LAMBDA_ERRORS, name
    fetch = dict(_tasks(asl["States"]))["FetchWindow"]
    retries = {e: r for r in fetch["Retry"] for e in r["ErrorEquals"]}
    for error in ("RateLimited", "IpBanned", "TransientError", "ClockSkew"):
        assert error in retries
    assert retries["IpBanned"]["IntervalSeconds"] > retries["RateLimited"]["IntervalSeconds"]
    # An asynchronous export Binance is still building waits far longer than a rate limit
    # (its sample avgCostTimestampOfLast30d is ~2 hours): over 2 hours of retries in all.
    pending = retries["ExportPending"]
    waits = [min(pending["IntervalSeconds"] * pending["BackoffRate"] ** i, pending["MaxDelaySeconds"])
             for i in range(pending["MaxAttempts"])]
    assert sum(waits) > 2 * 3600
    caught = [c["ErrorEquals"] for c in fetch["Catch"]]
    assert caught[0] == ["CredentialsInvalid", "PermissionMissing"] and caught[-1] == ["States.ALL"]


def test_both_map_branches_carry_ids_only_and_discard_results():
    states = _load()["States"]
    assert states["InlineOrDistributed"]["Type"] == "Choice"
    inline, distributed = states["FetchInline"], states["FetchDistributed"]
    for m in (inline, distributed):
        assert m["ResultPath"] is None
        assert set(m["ItemSelector"]) == {"user_id.$", "connection_id.$", "run_id.$", "task_ids.$"}
        assert m["MaxConcurrency"] == 40
    assert distributed["ItemReader"]["Resource"] == "arn:aws:states:::s3:getObject"
    assert distributed["ItemProcessor"]["ProcessorConfig"] == {"Mode": "DISTRIBUTED",
                                                               "ExecutionType": "${MapChildExecutionType}"}
    assert inline["ItemProcessor"]["ProcessorConfig"] == {"Mode": "INLINE"}


def test_failures_end_in_a_fail_state_naming_the_error():
    states = _load()["States"]
    assert states["Failed"] == {**states["Failed"], "Type": "Fail", "ErrorPath": "$.finish.error",
                                "CausePath": "$.finish.cause"}
    assert states["Plan"]["Catch"][0]["Next"] == "RecordFailure"
    assert states["Outcome"]["Choices"][0]["Next"] == "Failed"
