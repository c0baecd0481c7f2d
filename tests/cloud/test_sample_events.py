"""events/: one real-shape sample per trigger, consistent with the template and the builders."""

from __future__ import annotations

import copy
import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent, EventBridgeEvent, S3Event
from binsync_local.cloud import DEFAULT_TEMPLATE, api_gateway_rest_event, load_template, scheduler_input
from binsync_local.cloud.events import pattern_matches
from binsync_local.cloud.template import StackContext

EVENTS = Path(__file__).resolve().parents[2] / "events"


def sample(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / name).read_text())


def shape(value: Any) -> Any:
    """Keys and value types, recursively: what must not drift between samples and builders."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    return type(value).__name__


@pytest.fixture(scope="module")
def stack() -> StackContext:
    return StackContext(load_template(DEFAULT_TEMPLATE))


def test_every_sample_is_json_with_a_known_trigger() -> None:
    names = sorted(p.name for p in EVENTS.glob("*.json"))
    assert {n.split("_")[0] for n in names} >= {"api", "s3", "scheduler", "sfn"}
    for name in names:
        assert isinstance(sample(name), dict), name


@pytest.mark.parametrize("name", sorted(p.name for p in EVENTS.glob("api_*.json")))
def test_api_samples_are_cognito_proxy_events_like_the_builder_makes(name: str) -> None:
    event = sample(name)
    built = api_gateway_rest_event(
        event["httpMethod"], event["path"], body=json.loads(event["body"] or "null"),
        user=event["requestContext"]["authorizer"]["claims"]["sub"],
        query=event["multiValueQueryStringParameters"])
    if event["body"] is None:
        built.pop("body"), event.pop("body")
    assert shape(built) == shape(event)
    parsed = APIGatewayProxyEvent(event)
    assert parsed.request_context.authorizer.claims["sub"] == "7f3c2a9e-1b4d-4c8e-9a51-2f6d8e0b3c71"
    assert parsed.resource == "/{proxy+}" and parsed.path_parameters == {"proxy": event["path"][1:]}


def test_s3_sample_is_an_upload_the_template_routes_to_parse_statement(stack: StackContext) -> None:
    event = S3Event(sample("s3_statement_put.json"))
    assert event.bucket_name == stack.physical("UploadsBucket").name
    user, connection = "7f3c2a9e-1b4d-4c8e-9a51-2f6d8e0b3c71", "c-01HZX3K9"
    assert event.object_key == f"uploads/{user}/{connection}/Binance Transaction History 2021.csv"
    rule, = stack.resources["ParseStatementFunction"]["Properties"]["Events"]["Upload"]["Properties"][
        "Filter"]["S3Key"]["Rules"]
    assert event.object_key.startswith(rule["Value"])


def test_scheduler_sample_is_the_template_input_as_delivered(stack: StackContext) -> None:
    event = sample("scheduler_weekly_resync.json")
    weekly = stack.resources["ScheduleResyncFunction"]["Properties"]["Events"]["Hourly"]
    template_input = weekly["Properties"]["Input"]
    when = datetime.fromisoformat(event["scheduled_time"].replace("Z", "+00:00"))
    assert scheduler_input(template_input, when, execution_id=event["execution_id"],
                           attempt=int(event["attempt"])) == event


def test_sfn_failed_sample_matches_the_failure_rule_and_success_does_not(stack: StackContext) -> None:
    event = sample("sfn_execution_failed.json")
    pattern = stack.resolve(stack.resources["OnSyncFailedFunction"]["Properties"]["Events"]["SyncFailed"][
        "Properties"]["Pattern"])
    assert pattern_matches(pattern, event)
    parsed = EventBridgeEvent(event)
    assert parsed.detail_type == "Step Functions Execution Status Change" and parsed.source == "aws.states"
    assert json.loads(parsed.detail["cause"])["errorType"] == parsed.detail["error"] == "CredentialsInvalid"
    succeeded = copy.deepcopy(event)
    succeeded["detail"]["status"] = "SUCCEEDED"
    assert not pattern_matches(pattern, succeeded)
    other = copy.deepcopy(event)
    other["detail"]["stateMachineArn"] = "arn:aws:states:us-east-1:123456789012:stateMachine:someone-else"
    assert not pattern_matches(pattern, other)
