"""The local cloud served over HTTP: what the aws CLI and `binsync cloud fire-*` talk to."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
from binsync_local.cli import main

HANDLERS = Path(__file__).parent / "handlers"


def remote(url: str, service: str) -> Any:
    return boto3.client(service, endpoint_url=url, region_name="us-east-1",
                        aws_access_key_id="local", aws_secret_access_key="local")


def test_served_cloud_shares_state_and_routes_invocations(cloud: Any) -> None:
    url = cloud.serve(port=0)
    assert url.startswith("http://127.0.0.1:")
    assert "binsync-transactions" in remote(url, "dynamodb").list_tables()["TableNames"]

    cloud.add_function("worker", HANDLERS, handler="worker.lambda_handler")
    lam = remote(url, "lambda")
    ok = lam.invoke(FunctionName="binsync-worker", Payload=json.dumps({"id": "ok-1", "run": "http"}))
    assert "FunctionError" not in ok and json.loads(ok["Payload"].read())["attempts"] == 1
    bad = lam.invoke(FunctionName="binsync-worker", Payload=json.dumps({"id": "perm-1", "run": "http"}))
    assert bad["FunctionError"] == "Unhandled"
    assert json.loads(bad["Payload"].read())["errorType"] == "PermanentError"
    # the item the handler wrote in-process is visible over HTTP
    item = remote(url, "dynamodb").get_item(TableName="binsync-tasks",
                                            Key={"run_id": {"S": "http"}, "task_id": {"S": "ok-1"}})
    assert item["Item"]["attempts"] == {"N": "1"}


def test_cli_fires_the_schedule_and_the_failure_rule_against_a_served_cloud(cloud: Any, capsys: Any) -> None:
    url = cloud.serve(port=0)
    received: list[dict[str, Any]] = []
    for short in ("schedule_resync", "on_sync_failed"):
        cloud.function(short)._module = type("Spy", (), {"lambda_handler": staticmethod(
            lambda event, context: received.append(event) or {"ok": True})})

    assert main(["cloud", "fire-schedule", "--endpoint-url", url, "--time", "2026-01-12T02:00:00Z"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["result"] == {"ok": True}
    assert received.pop()["scheduled_time"] == "2026-01-12T02:00:00Z"

    # A failed execution, delivered to a rule of the same shape as the template's failure rule.
    worker = cloud.add_function("worker", HANDLERS, handler="worker.lambda_handler")
    role = cloud.client("iam").create_role(RoleName="sfn", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    work = {"Type": "Task", "Resource": worker.arn, "End": True}  # legacy Lambda ARN resource
    definition = {"StartAt": "Work", "States": {"Work": work}}
    machine = cloud.client("stepfunctions").create_state_machine(
        name="one", roleArn=role, definition=json.dumps(definition))["stateMachineArn"]
    events = cloud.client("events")
    events.put_rule(Name="cli-failed", EventPattern=json.dumps({
        "source": ["aws.states"], "detail": {"status": ["FAILED"], "stateMachineArn": [machine]}}))
    events.put_targets(Rule="cli-failed", Targets=[{"Id": "1", "Arn": cloud.function("on_sync_failed").arn}])
    arn = cloud.start_execution({"id": "locked-7", "run": "r"}, name="locked-7", state_machine_arn=machine)
    assert cloud.wait_execution(arn)["status"] == "FAILED"

    argv = ["cloud", "fire-failure", "--endpoint-url", url, "--execution-arn", arn, "--rule", "cli-failed"]
    assert main(argv) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["matched"] is True and out["results"] == [{"ok": True}]
    detail = received.pop()["detail"]
    assert (detail["executionArn"], detail["status"], detail["error"]) == (arn, "FAILED", "AccountLocked")
