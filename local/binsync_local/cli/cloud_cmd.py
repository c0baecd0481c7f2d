"""`binsync cloud ...`: the embedded cloud from the command line.

- `binsync cloud serve --port P`: template.yaml on moto with the real handlers, served over HTTP
  (moto's server, same state) for the aws CLI and any SDK; prints one JSON line describing the
  stack, then serves until interrupted.
- `binsync cloud fire-schedule --endpoint-url URL [--time ISO]`: what EventBridge Scheduler does
  at that time: invoke the schedule's target with its Input (placeholders substituted).
- `binsync cloud fire-failure --endpoint-url URL --execution-arn ARN`: what EventBridge does when
  an execution ends: if the failed-sync rule matches the "Step Functions Execution Status
  Change" event, invoke its targets with it.
Schedules and rules never fire inside moto, hence these two commands.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from datetime import UTC, datetime
from typing import Any

DEFAULT_PORT = 5000


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("cloud", help="the embedded cloud (template.yaml on moto)")
    sub = parser.add_subparsers(dest="cloud_command", required=True)

    serve = sub.add_parser("serve", help="serve the local cloud over HTTP for the aws CLI")
    serve.add_argument("--port", type=int, default=DEFAULT_PORT)
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--egress-ips", type=int, default=8, help="loopback egress addresses (127.0.0.2...)")
    serve.add_argument("--stack-name", default="binsync")
    serve.add_argument("--stage", default="dev")
    serve.set_defaults(func=_serve)

    fire = sub.add_parser("fire-schedule", help="fire the weekly resync schedule as Scheduler would")
    _endpoint_args(fire)
    fire.add_argument("--time", help="scheduled time, ISO 8601 (default: now, UTC, to the minute)")
    fire.add_argument("--name", help="schedule name (default: the stack's only schedule)")
    fire.add_argument("--attempt", type=int, default=1)
    fire.set_defaults(func=_fire_schedule)

    failure = sub.add_parser("fire-failure", help="deliver an execution's status change to the failure rule")
    _endpoint_args(failure)
    failure.add_argument("--execution-arn", required=True)
    failure.add_argument("--rule", help="rule name (default: the stack's only rule)")
    failure.set_defaults(func=_fire_failure)


def _endpoint_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--endpoint-url", default=f"http://127.0.0.1:{DEFAULT_PORT}",
                        help="a served local cloud (binsync cloud serve)")
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--stack-name", default="binsync")


def _serve(args: argparse.Namespace) -> int:
    from binsync_local.cloud import LocalCloud

    cloud = LocalCloud(stack_name=args.stack_name, parameters={"Stage": args.stage},
                       egress_ips=args.egress_ips).start()
    try:
        url = cloud.serve(port=args.port, host=args.host)
        print(json.dumps({
            "endpoint_url": url,
            "region": cloud.region,
            "stack": args.stack_name,
            "state_machine_arn": cloud.state_machine_arn,
            "uploads_bucket": cloud.uploads_bucket,
            "functions": {fn.short_name: fn.name for fn in cloud.functions.values()},
            "tables": {lid: p.name for lid, p in cloud.resources.items() if p.type == "AWS::DynamoDB::Table"},
        }), flush=True)
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        stop.wait()
    finally:
        cloud.stop()
    return 0


def _clients(args: argparse.Namespace) -> dict[str, Any]:
    import boto3

    def client(service: str) -> Any:
        return boto3.client(service, endpoint_url=args.endpoint_url, region_name=args.region,
                            aws_access_key_id="local", aws_secret_access_key="local")

    return {name: client(name) for name in ("scheduler", "events", "stepfunctions", "lambda")}


def _only(names: list[str], kind: str) -> str:
    if len(names) != 1:
        raise SystemExit(f"{len(names)} {kind}s in the stack ({names}); choose one with --name/--rule")
    return names[0]


def _fire_schedule(args: argparse.Namespace) -> int:
    from binsync_local.cloud.triggers import fire_schedule

    clients = _clients(args)
    if args.time:
        when = datetime.fromisoformat(args.time.replace("Z", "+00:00"))
        when = when if when.tzinfo else when.replace(tzinfo=UTC)
    else:
        when = datetime.now(UTC).replace(second=0, microsecond=0)
    name = args.name or _only([s["Name"] for s in clients["scheduler"].list_schedules()["Schedules"]
                               if s["Name"].startswith(f"{args.stack_name}-")], "schedule")
    payload = fire_schedule(clients["scheduler"], clients["lambda"], name, when, attempt=args.attempt)
    print(json.dumps({"schedule": name, "scheduled_time": when.isoformat(), "result": payload}, default=str))
    return 1 if isinstance(payload, dict) and "errorType" in payload else 0


def _fire_failure(args: argparse.Namespace) -> int:
    from binsync_local.cloud.triggers import fire_execution_status_change

    clients = _clients(args)
    rule = args.rule or _only([r["Name"] for r in clients["events"].list_rules(
        NamePrefix=f"{args.stack_name}-")["Rules"]], "rule")
    account_id = args.execution_arn.split(":")[4]
    payloads = fire_execution_status_change(
        clients["events"], clients["stepfunctions"], clients["lambda"], rule, args.execution_arn,
        account_id=account_id, region=args.region)
    print(json.dumps({"rule": rule, "matched": bool(payloads), "results": payloads}, default=str))
    return 1 if any(isinstance(p, dict) and "errorType" in p for p in payloads) else 0


if __name__ == "__main__":
    from binsync_local.cli import main

    sys.exit(main(["cloud", *sys.argv[1:]]))
