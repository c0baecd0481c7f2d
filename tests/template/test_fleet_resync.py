"""The weekly resync by hourly slot in template.yaml (issue 19 item 3): index, schedule, IAM."""

from __future__ import annotations

from typing import Any

from .test_template import statements

CONNECTIONS_TABLE = ("arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}"
                     ":table/ConnectionsTable")


def test_connections_have_a_slot_index_with_what_the_resync_decides_on(sam_template: dict[str, Any]) -> None:
    props = sam_template["Resources"]["ConnectionsTable"]["Properties"]
    (index,) = (g for g in props["GlobalSecondaryIndexes"] if g["IndexName"] == "by_resync_slot")
    assert index["KeySchema"] == [{"AttributeName": "resync_slot", "KeyType": "HASH"}]
    assert set(index["Projection"]["NonKeyAttributes"]) == {"status", "resync_tick"}
    assert {"AttributeName": "resync_slot", "AttributeType": "N"} in props["AttributeDefinitions"]


def test_the_schedule_fires_every_hour_on_the_hour_in_utc(cfn: dict[str, Any]) -> None:
    props = cfn["Resources"]["ScheduleResyncFunctionHourly"]["Properties"]
    assert props["ScheduleExpression"] == "cron(0 * * * ? *)"
    assert props["ScheduleExpressionTimezone"] == "UTC"  # 168 hours every week, no DST gap
    assert props["FlexibleTimeWindow"] == {"Mode": "OFF"}
    assert "<aws.scheduler.scheduled-time>" in props["Target"]["Input"]


def test_the_schedule_function_may_claim_and_query_its_slot_but_never_create_or_delete(
        cfn: dict[str, Any]) -> None:
    granted: dict[str, set[str]] = {}
    for actions, resources in statements(cfn, "ScheduleResyncFunctionRole"):
        for resource in resources:
            if resource.startswith(CONNECTIONS_TABLE):
                granted.setdefault(resource.removeprefix(CONNECTIONS_TABLE), set()).update(actions)
    # start_sync claims the connection (last_run_id) and the resync claims the week: UpdateItem.
    assert {"dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:Scan"} <= granted[""]
    assert "dynamodb:Query" in granted["/index/by_resync_slot"]
    for actions in granted.values():
        assert not actions & {"dynamodb:PutItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"}
