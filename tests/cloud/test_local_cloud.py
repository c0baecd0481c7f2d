"""The embedded cloud: template.yaml on moto, real handlers behind every Lambda invocation."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus

import pytest
from binsync.storage import models

HANDLERS = Path(__file__).parent / "handlers"
EXAMPLE_EVENTS = Path(__file__).resolve().parents[2] / "events"


def map_machine(worker_arn: str, max_concurrency: int = 4) -> dict[str, Any]:
    """Map over Lambda tasks with Retry on a transient error and Catch on a permanent one."""
    return {
        "StartAt": "Fan",
        "States": {"Fan": {
            "Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": max_concurrency,
            "ItemSelector": {"run.$": "$.run", "id.$": "$$.Map.Item.Value.id",
                             "fail_times.$": "$$.Map.Item.Value.fail_times"},
            "ItemProcessor": {
                "ProcessorConfig": {"Mode": "INLINE"},
                "StartAt": "Work",
                "States": {
                    "Work": {
                        "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                        "Parameters": {"FunctionName": worker_arn, "Payload.$": "$"},
                        "OutputPath": "$.Payload",
                        # 5 s, then 10 s on AWS: the fast_retries fixture skips the sleeps.
                        "Retry": [{"ErrorEquals": ["TransientError"], "IntervalSeconds": 5,
                                   "MaxAttempts": 3, "BackoffRate": 2}],
                        "Catch": [{"ErrorEquals": ["PermanentError"], "ResultPath": "$.error",
                                   "Next": "Recorded"}],
                        "End": True,
                    },
                    "Recorded": {"Type": "Pass", "End": True, "Parameters": {
                        "id.$": "$.id", "failed.$": "$.error.Error",
                        "cause.$": "States.StringToJson($.error.Cause)"}},
                },
            },
            "End": True,
        }},
    }


@pytest.fixture
def worker_machine(cloud: Any) -> str:
    worker = cloud.add_function("worker", HANDLERS, handler="worker.lambda_handler")
    role = cloud.client("iam").create_role(RoleName="test-sfn", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    return cloud.client("stepfunctions").create_state_machine(
        name="test-map", definition=json.dumps(map_machine(worker.arn)), roleArn=role,
    )["stateMachineArn"]


def items(*specs: tuple[str, int]) -> list[dict[str, Any]]:
    return [{"id": item_id, "fail_times": fails} for item_id, fails in specs]


# ---------------------------------------------------------------------------- bring-up
def test_template_is_brought_up_with_its_real_shape(cloud: Any) -> None:
    ddb = cloud.client("dynamodb")
    for model in models.ALL_MODELS:  # the tables the handlers' pynamodb models expect
        table = ddb.describe_table(TableName=model.Meta.table_name)["Table"]
        expected = {g["index_name"] for g in model._get_schema()["global_secondary_indexes"]}
        assert {g["IndexName"] for g in table.get("GlobalSecondaryIndexes", [])} == expected
    ttl = ddb.describe_time_to_live(TableName="binsync-idempotency")["TimeToLiveDescription"]
    assert ttl["AttributeName"] == "expiration"
    assert set(ddb.list_tables()["TableNames"]) == {
        f"binsync-{s}" for s in ("connections", "runs", "tasks", "transactions", "annotations", "uploads",
                                 "idempotency", "coverage")}

    notification = cloud.client("s3").get_bucket_notification_configuration(Bucket=cloud.uploads_bucket)
    config, = notification["LambdaFunctionConfigurations"]
    assert config["LambdaFunctionArn"] == cloud.function("parse_statement").arn
    rule, = config["Filter"]["Key"]["FilterRules"]  # AWS answers "Prefix", moto echoes "prefix"
    assert (rule["Name"].lower(), rule["Value"]) == ("prefix", "uploads/")

    definition = cloud.client("stepfunctions").describe_state_machine(
        stateMachineArn=cloud.state_machine_arn)["definition"]
    for short in ("plan_sync", "fetch_window", "finish_sync"):
        assert cloud.function(short).arn in definition
    assert "${" not in definition and "EXPRESS" not in definition  # all substituted, STANDARD locally

    schedule_name = cloud.resources["ScheduleResyncFunctionHourly"].name
    schedule = cloud.client("scheduler").get_schedule(Name=schedule_name)
    assert schedule["ScheduleExpressionTimezone"] == "UTC"  # hour-of-week slots are UTC
    assert "<aws.scheduler.scheduled-time>" in schedule["Target"]["Input"]
    rule = cloud.client("events").describe_rule(Name=cloud.resources["OnSyncFailedFunctionSyncFailed"].name)
    assert json.loads(rule["EventPattern"])["detail"]["stateMachineArn"] == [cloud.state_machine_arn]

    for short in ("api", "fetch_window", "on_sync_failed"):
        env = cloud.client("lambda").get_function_configuration(
            FunctionName=cloud.function(short).name)["Environment"]["Variables"]
        assert env["TRANSACTIONS_TABLE"] == "binsync-transactions"
        assert env["SECRETS_PREFIX"] == "binsync/dev"
    assert cloud.env["SYNC_STATE_MACHINE_ARN"] == cloud.state_machine_arn


def test_stack_parameters_and_name_flow_into_every_name(cloud_factory: Any) -> None:
    cloud = cloud_factory(stack_name="other", parameters={"Stage": "prod"})
    assert cloud.resources["RunsTable"].name == "other-runs"
    assert cloud.uploads_bucket == "binsync-prod-uploads-123456789012-us-east-1"
    assert cloud.env["SECRETS_PREFIX"] == "binsync/prod"
    assert cloud.state_machine_arn.endswith(":stateMachine:other-sync")


# ---------------------------------------------------------------------------- Step Functions
def test_map_over_lambda_tasks_runs_the_real_handlers_with_retry_and_catch(
        cloud: Any, worker_machine: str) -> None:
    arn = cloud.start_execution(
        {"run": "run-1", "items": items(("ok-1", 0), ("flaky-2", 2), ("perm-3", 0), ("ok-4", 0))},
        name="run-1", state_machine_arn=worker_machine)
    describe = cloud.wait_execution(arn, timeout=30)
    assert describe["status"] == "SUCCEEDED"
    results = {r["id"]: r for r in json.loads(describe["output"])}
    assert results["ok-1"]["attempts"] == 1
    assert results["flaky-2"]["attempts"] == 3  # failed twice, retried, succeeded
    assert results["perm-3"]["failed"] == "PermanentError"
    assert results["perm-3"]["cause"]["errorType"] == "PermanentError"
    assert results["perm-3"]["cause"]["errorMessage"] == "bad item perm-3"

    failures = sorted(e["taskFailedEventDetails"]["error"]
                      for e in cloud.execution_history(arn) if e["type"] == "TaskFailed")
    assert failures == ["PermanentError", "TransientError", "TransientError"]

    stored = cloud.client("dynamodb").query(
        TableName="binsync-tasks", KeyConditionExpression="run_id = :r",
        ExpressionAttributeValues={":r": {"S": "run-1"}})["Items"]
    assert sorted(i["task_id"]["S"] for i in stored) == ["flaky-2", "ok-1", "ok-4"]


def test_an_uncaught_handler_exception_fails_the_execution_with_its_class_name(
        cloud: Any, worker_machine: str) -> None:
    arn = cloud.start_execution({"run": "run-2", "items": items(("locked-1", 0))}, name="run-2",
                                state_machine_arn=worker_machine)
    describe = cloud.wait_execution(arn, timeout=30)
    assert describe["status"] == "FAILED"
    assert describe["error"] == "AccountLocked"
    cause = json.loads(describe["cause"])
    assert cause["errorType"] == "AccountLocked" and cause["errorMessage"] == "account of locked-1 is locked"
    failed = [e for e in cloud.execution_history(arn) if e["type"] == "TaskFailed"]
    assert [e["taskFailedEventDetails"]["error"] for e in failed] == ["AccountLocked"]


def test_failed_execution_fires_the_status_change_rule_like_eventbridge(
        cloud: Any, worker_machine: str) -> None:
    recorder = cloud.add_function("recorder", HANDLERS, handler="probe.lambda_handler")
    received: list[dict[str, Any]] = []
    recorder.load()  # swap the handler for a spy that keeps the event
    recorder._module.lambda_handler = lambda event, context: received.append(event) or {"ok": True}
    events = cloud.client("events")
    events.put_rule(Name="test-failed", EventPattern=json.dumps({
        "source": ["aws.states"], "detail-type": ["Step Functions Execution Status Change"],
        "detail": {"status": ["FAILED", "TIMED_OUT", "ABORTED"], "stateMachineArn": [worker_machine]}}))
    events.put_targets(Rule="test-failed", Targets=[{"Id": "recorder", "Arn": recorder.arn}])

    ok = cloud.start_execution({"run": "r-ok", "items": items(("ok-1", 0))}, state_machine_arn=worker_machine)
    cloud.wait_execution(ok)
    assert cloud.fire_execution_status_change(ok, rule="test-failed") == []  # SUCCEEDED: no match

    bad = cloud.start_execution({"run": "r-bad", "items": items(("locked-9", 0))}, name="r-bad",
                                state_machine_arn=worker_machine)
    cloud.wait_execution(bad)
    assert cloud.fire_execution_status_change(bad, rule="test-failed") == [{"ok": True}]
    event, = received
    assert event["source"] == "aws.states"
    assert event["detail-type"] == "Step Functions Execution Status Change"
    assert event["resources"] == [bad]
    detail = event["detail"]
    assert (detail["status"], detail["name"], detail["error"]) == ("FAILED", "r-bad", "AccountLocked")
    assert json.loads(detail["input"])["run"] == "r-bad"
    assert detail["stopDate"] >= detail["startDate"] > 1_600_000_000_000


# ---------------------------------------------------------------------------- other triggers
def test_s3_put_under_uploads_invokes_parse_statement_with_the_s3_event(cloud: Any) -> None:
    fn = cloud.function("parse_statement")
    received: list[dict[str, Any]] = []
    fn._module = type("Spy", (), {"lambda_handler": staticmethod(
        lambda event, context: received.append(event) or {"ok": True})})
    cloud.put_upload("uploads/user-a/conn-1/My statement.csv", b"UTC_Time,Account\n")
    cloud.put_upload("plans/run-1/tasks.json", b"[]")  # not under uploads/: no notification
    record, = (e["Records"][0] for e in received)
    assert record["eventSource"] == "aws:s3" and record["eventName"].startswith("ObjectCreated:")
    assert record["s3"]["bucket"]["name"] == cloud.uploads_bucket
    assert unquote_plus(record["s3"]["object"]["key"]) == "uploads/user-a/conn-1/My statement.csv"
    assert [i.function for i in cloud.invocations] == ["parse_statement"]


def test_the_s3_notification_is_delivered_after_the_put_has_returned(cloud: Any) -> None:
    """As on AWS, the PUT returns before the function runs (Lambda's async queue): the handler
    starts only once the PUT has returned; `wait_deliveries` then sees it done."""
    import threading

    fn = cloud.function("parse_statement")
    put_returned = threading.Event()
    seen: list[bool] = []

    def handler(event: dict[str, Any], context: Any) -> dict[str, bool]:
        seen.append(put_returned.wait(60))  # False if the PUT is still waiting for us (synchronous)
        return {"ok": True}

    fn._module = type("Spy", (), {"lambda_handler": staticmethod(handler)})
    cloud.put_upload("uploads/user-a/conn-1/statement.csv", b"x", wait=False)
    put_returned.set()
    assert cloud.wait_deliveries(120)
    assert seen == [True]
    assert [i.function for i in cloud.invocations] == ["parse_statement"]


def test_fire_schedule_sends_the_template_input_with_the_scheduled_time(cloud: Any) -> None:
    fn = cloud.function("schedule_resync")
    received: list[dict[str, Any]] = []
    fn._module = type("Spy", (), {"lambda_handler": staticmethod(
        lambda event, context: received.append(event) or {"ok": True})})
    assert cloud.fire_schedule(datetime(2026, 1, 5, 2, 0, tzinfo=UTC), attempt=2) == {"ok": True}
    event, = received
    sample = json.loads((EXAMPLE_EVENTS / "scheduler_weekly_resync.json").read_text())
    assert set(event) == set(sample)
    assert event["scheduled_time"] == "2026-01-05T02:00:00Z"
    assert event["attempt"] == "2" and event["mode"] == "incremental"
    assert len(event["execution_id"]) == 32


def test_api_request_builds_a_cognito_proxy_event_and_maps_the_response(cloud: Any) -> None:
    fn = cloud.function("api")
    received: list[dict[str, Any]] = []

    def spy(event: dict[str, Any], context: Any) -> dict[str, Any]:
        received.append(event)
        return {"statusCode": 201, "headers": {"Content-Type": "application/json"},
                "body": json.dumps({"created": True})}

    fn._module = type("Spy", (), {"lambda_handler": staticmethod(spy)})
    status, headers, body = cloud.api_request("POST", "/connections?dry_run=1", body={"label": "main"},
                                              user="user-b", query={"tag": ["a", "b"]})
    assert (status, headers["Content-Type"], body) == (201, "application/json", {"created": True})
    event, = received
    assert event["requestContext"]["authorizer"]["claims"]["sub"] == "user-b"
    assert (event["resource"], event["pathParameters"]) == ("/{proxy+}", {"proxy": "connections"})
    assert event["httpMethod"] == "POST" and json.loads(event["body"]) == {"label": "main"}
    assert event["multiValueQueryStringParameters"] == {"dry_run": ["1"], "tag": ["a", "b"]}
    assert event["requestContext"]["stage"] == "dev"

    assert cloud.api_request("GET", "/connections", user=None)[0] == 401
    assert len(received) == 1  # API Gateway refused the anonymous call; the function never ran

    fn._module = type("Boom", (), {"lambda_handler": staticmethod(lambda e, c: 1 / 0)})
    assert cloud.api_request("GET", "/connections") == (
        502, {"Content-Type": "application/json"}, {"message": "Internal server error"})


# ---------------------------------------------------------------------------- runtime fidelity
def test_invoke_returns_the_lambda_runtime_error_envelope(cloud: Any, tmp_path: Path) -> None:
    worker = cloud.add_function("worker", HANDLERS, handler="worker.lambda_handler")
    payload, error = cloud.invoke_raw(worker.short_name, {"id": "perm-1", "run": "r"})
    assert error == "Unhandled"
    assert payload["errorType"] == "PermanentError" and payload["errorMessage"] == "bad item perm-1"
    assert any("worker.py" in line for line in payload["stackTrace"])
    assert cloud.invoke("worker", {"id": "ok-1", "run": "r"})["attempts"] == 1

    cloud.add_function("broken", HANDLERS, handler="broken.lambda_handler")
    broken = cloud.invoke("broken", {})
    assert broken["errorType"] == "Runtime.ImportModuleError"
    assert broken["errorMessage"].startswith("Unable to import module 'broken'")


def test_concurrent_invocations_leave_from_distinct_egress_ips(cloud_factory: Any) -> None:
    cloud = cloud_factory(egress_ips=6)
    probe = cloud.add_function("probe", HANDLERS, handler="probe.lambda_handler")
    probe.load()
    probe._module.barrier = threading.Barrier(6)
    with ThreadPoolExecutor(max_workers=6) as pool:
        ips = list(pool.map(lambda _: cloud.invoke("probe", {})["egress_ip"], range(6)))
    assert sorted(ips) == sorted(f"127.0.0.{i}" for i in range(2, 8))


def test_map_iterations_hold_distinct_egress_ips(cloud_factory: Any) -> None:
    cloud = cloud_factory(egress_ips=4)
    worker = cloud.add_function("worker", HANDLERS, handler="worker.lambda_handler")
    role = cloud.client("iam").create_role(RoleName="sfn", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    machine = cloud.client("stepfunctions").create_state_machine(
        name="fan", definition=json.dumps(map_machine(worker.arn, max_concurrency=4)), roleArn=role,
    )["stateMachineArn"]
    arn = cloud.start_execution({"run": "r", "items": items(*((f"ok-{i}", 0) for i in range(12)))},
                                state_machine_arn=machine)
    output = json.loads(cloud.wait_execution(arn, timeout=30)["output"])
    used = {r["egress_ip"] for r in output}
    assert used <= {f"127.0.0.{i}" for i in range(2, 6)} and len(used) >= 1
    # No two invocations that overlapped in time shared an address.
    calls = [c for c in cloud.invocations if c.function == "worker"]
    for a in calls:
        for b in calls:
            overlap = a.started < b.started + b.duration_s and b.started < a.started + a.duration_s
            assert a is b or not overlap or a.egress_ip != b.egress_ip


def test_concurrent_dynamodb_updates_are_atomic_as_on_aws(cloud: Any) -> None:
    """moto alone loses concurrent `ADD` updates; Map workers on threads rely on atomicity."""
    ddb = cloud.client("dynamodb")
    key = {"connection_id": {"S": "c"}, "run_id": {"S": "r"}}

    def add_many(_: int) -> None:
        for _ in range(50):
            ddb.update_item(TableName="binsync-runs", Key=key, UpdateExpression="ADD tasks_done :one",
                            ExpressionAttributeValues={":one": {"N": "1"}})

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(add_many, range(8)))
    item = ddb.get_item(TableName="binsync-runs", Key=key)["Item"]
    assert item["tasks_done"] == {"N": "400"}


def test_a_cancelled_transaction_leaves_every_item_as_it_was(cloud: Any) -> None:
    """TransactWriteItems is all-or-nothing (the local cloud rolls back items, not tables)."""
    ddb = cloud.client("dynamodb")
    table = "binsync-tasks"

    def key(task: str) -> dict[str, Any]:
        return {"run_id": {"S": "tx"}, "task_id": {"S": task}}

    ddb.put_item(TableName=table, Item={**key("kept"), "records": {"N": "1"}})
    ddb.put_item(TableName=table, Item={**key("guard"), "records": {"N": "0"}})
    with pytest.raises(ddb.exceptions.TransactionCanceledException):
        ddb.transact_write_items(TransactItems=[
            {"Put": {"TableName": table, "Item": {**key("new"), "records": {"N": "5"}}}},
            {"Update": {"TableName": table, "Key": key("kept"), "UpdateExpression": "SET records = :n",
                        "ExpressionAttributeValues": {":n": {"N": "9"}}}},
            {"Delete": {"TableName": table, "Key": key("guard"), "ConditionExpression": "records = :one",
                        "ExpressionAttributeValues": {":one": {"N": "1"}}}},
        ])
    assert "Item" not in ddb.get_item(TableName=table, Key=key("new"))
    assert ddb.get_item(TableName=table, Key=key("kept"))["Item"]["records"] == {"N": "1"}
    assert ddb.get_item(TableName=table, Key=key("guard"))["Item"]["records"] == {"N": "0"}
    ddb.transact_write_items(TransactItems=[
        {"Put": {"TableName": table, "Item": {**key("new"), "records": {"N": "5"}}}},
        {"Delete": {"TableName": table, "Key": key("guard")}},
    ])
    assert ddb.get_item(TableName=table, Key=key("new"))["Item"]["records"] == {"N": "5"}
    assert "Item" not in ddb.get_item(TableName=table, Key=key("guard"))


def test_failed_async_invocations_are_retried_twice_then_dead_lettered(cloud: Any) -> None:
    """S3 invokes parse_statement asynchronously: 3 attempts, then the event goes to the DLQ."""
    fn = cloud.function("parse_statement")

    def broken(event: dict[str, Any], context: Any) -> None:
        raise RuntimeError("disk full")

    fn._module = type("Broken", (), {"lambda_handler": staticmethod(broken)})
    cloud.put_upload("uploads/user-a/conn-1/statement.csv", b"x")
    attempts = [i for i in cloud.invocations if i.function == "parse_statement"]
    assert [i.error_type for i in attempts] == ["RuntimeError"] * 3

    sqs = cloud.client("sqs")
    queue = cloud.resources["FailedEventsQueue"].name  # Ref of a queue: its URL
    message, = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10,
                                   MessageAttributeNames=["All"])["Messages"]
    assert message["MessageAttributes"]["ErrorMessage"]["StringValue"] == "disk full"
    record, = json.loads(message["Body"])["Records"]
    assert unquote_plus(record["s3"]["object"]["key"]) == "uploads/user-a/conn-1/statement.csv"


def test_disabled_metrics_are_discarded_after_each_invocation(cloud: Any, monkeypatch: pytest.MonkeyPatch,
                                                              capsys: Any) -> None:
    """The CLI's quiet mode disables metrics. Powertools then keeps every flushed value, prints the
    set to stdout once a metric holds 100 values (into the demo's report) and warns "No application
    metrics to publish" on the next flush. Each invocation must leave nothing behind, as on AWS."""
    import warnings

    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
    cloud.add_function("metered", HANDLERS, handler="metered.lambda_handler")
    capsys.readouterr()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(150):
            assert cloud.invoke("metered", {}) == {"ok": True}
    assert '"_aws"' not in capsys.readouterr().out
    assert not [w for w in caught if "No application metrics" in str(w.message)]
