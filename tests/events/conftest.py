"""Fixtures for the EventBridge paths (weekly resync, disable-on-error) on plain moto.

`aws` brings up the binsync tables and a sync state machine on moto without the embedded cloud,
so the domain modules (binsync.events.*) and the two handlers are tested on their own; the
end-to-end tests through LocalCloud and the emulator live in test_cloud_paths.py.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from moto import mock_aws

REGION = "us-east-1"

# A state machine that ends like the real sync does on an auth error: FAILED with the error
# name and a JSON cause. Its input is the start_sync payload (ids only).
FAILING_ASL = {
    "StartAt": "Route",
    "States": {
        "Route": {"Type": "Choice", "Choices": [
            {"Variable": "$.fail_with", "IsPresent": True, "Next": "Fail"}], "Default": "Done"},
        "Fail": {"Type": "Fail", "ErrorPath": "$.fail_with", "CausePath": "$.cause"},
        "Done": {"Type": "Succeed"},
    },
}


@dataclass
class Aws:
    state_machine_arn: str
    sfn: Any

    def execution_names(self) -> list[str]:
        pages = self.sfn.get_paginator("list_executions").paginate(stateMachineArn=self.state_machine_arn)
        return [e["name"] for page in pages for e in page["executions"]]

    def run_to_end(self, payload: dict[str, Any], timeout: float = 10.0) -> dict[str, Any]:
        arn = self.sfn.start_execution(stateMachineArn=self.state_machine_arn, name=str(uuid.uuid4()),
                                       input=json.dumps(payload))["executionArn"]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            described = self.sfn.describe_execution(executionArn=arn)
            if described["status"] != "RUNNING":
                return described
            time.sleep(0.02)
        raise AssertionError(f"execution {arn} did not end")


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Aws]:
    for key, value in {
        "AWS_DEFAULT_REGION": REGION, "AWS_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
        "POWERTOOLS_SERVICE_NAME": "binsync-test", "POWERTOOLS_METRICS_NAMESPACE": "binsync-test",
        "POWERTOOLS_TRACE_DISABLED": "true", "RESYNC_SPREAD_SECONDS": "0",
        "IDEMPOTENCY_TABLE": "binsync-test-idempotency",
    }.items():
        monkeypatch.setenv(key, value)
    config = {"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}}
    with mock_aws(config=config):
        from binsync.storage.models import ALL_MODELS

        for model in ALL_MODELS:
            model.create_table(billing_mode="PAY_PER_REQUEST", wait=False)
        boto3.client("dynamodb").create_table(
            TableName="binsync-test-idempotency", BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}])
        role = boto3.client("iam").create_role(
            RoleName="sync-role", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
        sfn = boto3.client("stepfunctions")
        arn = sfn.create_state_machine(name="binsync-sync", definition=json.dumps(FAILING_ASL),
                                       roleArn=role)["stateMachineArn"]
        monkeypatch.setenv("SYNC_STATE_MACHINE_ARN", arn)
        yield Aws(arn, sfn)
