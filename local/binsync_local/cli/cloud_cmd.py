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

from .errors import CliError

DEFAULT_PORT = 5000


def scheduled_time(value: str) -> datetime:
    """`--time`: an ISO 8601 time (UTC when it names no zone), e.g. 2026-01-05T02:00:00Z."""
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an ISO 8601 time such as 2026-01-05T02:00:00Z, "
                                         f"got {value!r}") from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("cloud", help="the embedded cloud (template.yaml on moto)")
    sub = parser.add_subparsers(dest="cloud_command", required=True)

    serve = sub.add_parser("serve", help="serve the local cloud over HTTP for the aws CLI")
    serve.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})")
    serve.add_argument("--host", default="127.0.0.1", help="bind address (default loopback only)")
    serve.add_argument("--egress-ips", type=int, default=8, help="loopback egress addresses (127.0.0.2...)")
    serve.add_argument("--stack-name", default="binsync", help="names resources as `sam deploy` would")
    serve.add_argument("--stage", default="dev", help="the template's Stage parameter")
    serve.add_argument("--allow-base-url", action="append", default=[], metavar="URL",
                       help="let POST /connections accept this Binance base URL (e.g. an emulator's); "
                            "repeatable; same as BINSYNC_ALLOW_BASE_URLS=URL,URL")
    serve.set_defaults(func=_serve)

    fire = sub.add_parser("fire-schedule", help="fire the weekly resync schedule as Scheduler would")
    _endpoint_args(fire)
    fire.add_argument("--time", type=scheduled_time,
                      help="scheduled time, ISO 8601 (default: now, UTC, to the minute)")
    fire.add_argument("--name", help="schedule name (default: the stack's only schedule)")
    fire.add_argument("--attempt", type=int, default=1,
                      help="Scheduler's delivery attempt number put in the event (retries are 2, 3...)")
    fire.set_defaults(func=_fire_schedule)

    failure = sub.add_parser("fire-failure", help="deliver an execution's status change to the failure rule")
    _endpoint_args(failure)
    failure.add_argument("--execution-arn", required=True, help="the ended execution (stepfunctions ARN)")
    failure.add_argument("--rule", help="rule name (default: the stack's only rule)")
    failure.set_defaults(func=_fire_failure)


def _endpoint_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--endpoint-url", default=f"http://127.0.0.1:{DEFAULT_PORT}",
                        help="a served local cloud (binsync cloud serve)")
    parser.add_argument("--region", default="us-east-1", help="the served cloud's region (default us-east-1)")
    parser.add_argument("--stack-name", default="binsync", help="the served stack's name (default binsync)")


def _serve(args: argparse.Namespace) -> int:
    from binsync_local.cloud import LocalCloud

    from .sync_cmd import allow_base_url

    for url in args.allow_base_url:
        allow_base_url(url)
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
    from botocore.config import Config

    # A local server answers at once or is not there: no retries, a short connect timeout.
    config = Config(connect_timeout=5, retries={"total_max_attempts": 1})

    def client(service: str) -> Any:
        return boto3.client(service, endpoint_url=args.endpoint_url, region_name=args.region,
                            aws_access_key_id="local", aws_secret_access_key="local", config=config)

    return {name: client(name) for name in ("scheduler", "events", "stepfunctions", "lambda")}


def _only(names: list[str], kind: str) -> str:
    if len(names) != 1:
        raise CliError(f"{len(names)} {kind}s in the stack ({names}); choose one with --name/--rule")
    return names[0]


def _aws_errors_in_words(command: Any) -> Any:
    """The served cloud's answers and absence as one line (`binsync cloud serve` not running...)."""
    def wrapped(args: argparse.Namespace) -> int:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return command(args)
        except ClientError as exc:
            error = exc.response.get("Error", {})
            raise CliError(f"{error.get('Code', 'error')}: {error.get('Message') or exc}") from None
        except BotoCoreError as exc:
            raise CliError(f"no local cloud answers at {args.endpoint_url} ({exc}); start one with "
                           "`binsync cloud serve` or pass --endpoint-url") from None
    return wrapped


@_aws_errors_in_words
def _fire_schedule(args: argparse.Namespace) -> int:
    from binsync_local.cloud.triggers import fire_schedule

    clients = _clients(args)
    when = args.time or datetime.now(UTC).replace(second=0, microsecond=0)
    name = args.name or _only([s["Name"] for s in clients["scheduler"].list_schedules()["Schedules"]
                               if s["Name"].startswith(f"{args.stack_name}-")], "schedule")
    payload = fire_schedule(clients["scheduler"], clients["lambda"], name, when, attempt=args.attempt)
    print(json.dumps({"schedule": name, "scheduled_time": when.isoformat(), "result": payload}, default=str))
    return 1 if isinstance(payload, dict) and "errorType" in payload else 0


@_aws_errors_in_words
def _fire_failure(args: argparse.Namespace) -> int:
    from binsync_local.cloud.triggers import fire_execution_status_change

    parts = args.execution_arn.split(":")
    if len(parts) < 8 or parts[:3] != ["arn", "aws", "states"] or parts[5] != "execution":
        raise CliError(f"{args.execution_arn!r} is not an execution ARN "
                       "(arn:aws:states:REGION:ACCOUNT:execution:STATE_MACHINE:NAME)")
    clients = _clients(args)
    rule = args.rule or _only([r["Name"] for r in clients["events"].list_rules(
        NamePrefix=f"{args.stack_name}-")["Rules"]], "rule")
    try:
        payloads = fire_execution_status_change(
            clients["events"], clients["stepfunctions"], clients["lambda"], rule, args.execution_arn,
            account_id=parts[4], region=args.region)
    except ValueError as exc:  # still running
        raise CliError(str(exc)) from None
    print(json.dumps({"rule": rule, "matched": bool(payloads), "results": payloads}, default=str))
    return 1 if any(isinstance(p, dict) and "errorType" in p for p in payloads) else 0


if __name__ == "__main__":
    from binsync_local.cli import main

    sys.exit(main(["cloud", *sys.argv[1:]]))
