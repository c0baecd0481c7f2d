"""Fire what moto never fires, exactly as AWS would: Scheduler schedules and EventBridge rules.

These work on any boto3 clients: in-process (LocalCloud) or against a served cloud
(`binsync cloud fire-schedule --endpoint-url ...`). The schedule's and the rule's definitions are
read back from the cloud itself, so what fires is what template.yaml declared.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from .events import execution_status_change_event, pattern_matches, scheduler_input


def _invoke(lambda_client: Any, arn: str, event: Any) -> Any:
    response = lambda_client.invoke(FunctionName=arn, Payload=json.dumps(event).encode())
    return json.loads(response["Payload"].read() or b"null")


def fire_schedule(scheduler: Any, lambda_client: Any, name: str, scheduled_time: datetime, *,
                  group: str = "default", attempt: int = 1) -> Any:
    schedule = scheduler.get_schedule(Name=name, GroupName=group)
    target = schedule["Target"]
    if "Input" in target:
        event = scheduler_input(target["Input"], scheduled_time, schedule_arn=schedule["Arn"],
                                attempt=attempt)
    else:  # no Input: Scheduler sends its own envelope (detail is the string "{}")
        event = {"version": "0", "detail-type": "Scheduled Event", "source": "aws.scheduler",
                 "resources": [schedule["Arn"]], "detail": "{}",
                 "time": scheduled_time.strftime("%Y-%m-%dT%H:%M:%SZ")}
    # Scheduler invokes asynchronously; locally the call returns the payload for display.
    return _invoke(lambda_client, target["Arn"], event)


def fire_execution_status_change(events: Any, sfn: Any, lambda_client: Any, rule: str, execution_arn: str,
                                 *, account_id: str, region: str) -> list[Any]:
    describe = sfn.describe_execution(executionArn=execution_arn)
    if describe["status"] == "RUNNING":
        raise ValueError(f"{execution_arn} is still RUNNING; Step Functions emits the event at the end")
    event = execution_status_change_event(describe, account_id=account_id, region=region)
    pattern = json.loads(events.describe_rule(Name=rule)["EventPattern"])
    if not pattern_matches(pattern, event):
        return []
    targets = events.list_targets_by_rule(Rule=rule)["Targets"]
    return [_invoke(lambda_client, t["Arn"], event) for t in targets if ":lambda:" in t["Arn"]]
