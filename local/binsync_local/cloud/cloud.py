"""LocalCloud: template.yaml brought up on moto, with the real handlers behind every Lambda."""

from __future__ import annotations

import io
import json
import os
import sys
import threading
import time
import types
import uuid
import zipfile
from datetime import datetime
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from . import events as shapes
from . import moto_dynamodb, passthrough
from .dynamodb_service import DynamoDBService
from .egress import EgressPool
from .router import Invocation, InvokeRouter, LocalFunction
from .template import Physical, StackContext, load_asl, load_template

REPO_ROOT = Path(__file__).resolve().parents[3]
DEFAULT_TEMPLATE = REPO_ROOT / "template.yaml"
MOTO_CONFIG = {"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}}
_ACTIVE_LOCK = threading.Lock()
_CLIENTS: dict[tuple[str, str, str | None], Any] = {}
_CLIENTS_LOCK = threading.Lock()
_LAMBDA_TRUST = json.dumps({
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                   "Action": "sts:AssumeRole"}],
})
_STATES_TRUST = _LAMBDA_TRUST.replace("lambda.amazonaws.com", "states.amazonaws.com")
_SCHEDULER_TRUST = _LAMBDA_TRUST.replace("lambda.amazonaws.com", "scheduler.amazonaws.com")


class LocalCloud:
    """The stack of template.yaml on moto in this process. See the package docstring."""

    def __init__(
        self,
        template_path: str | Path | None = None,
        *,
        stack_name: str = "binsync",
        parameters: dict[str, str] | None = None,
        region: str = "us-east-1",
        egress_ips: int = 8,
        egress_workers: int | None = None,
        fast_retries: bool = False,
        map_child_execution_type: str = "STANDARD",
        dynamodb_process: bool = False,
        execute_state_machine: bool = True,
    ) -> None:
        self.template_path = Path(template_path or DEFAULT_TEMPLATE).resolve()
        self.root = self.template_path.parent
        self.stack = StackContext(load_template(self.template_path), stack_name=stack_name,
                                  region=region, parameter_overrides=dict(parameters or {}))
        self.region = region
        self.fast_retries = fast_retries
        self.map_child_execution_type = map_child_execution_type
        # DynamoDB served from a child process (dynamodb_service): the fan-out keeps this
        # interpreter to itself, as Lambdas do not share DynamoDB's machines on AWS.
        self.dynamodb_process = dynamodb_process
        self._unpass: Any = None
        # False: StartExecution is recorded (names unique, RUNNING) but the workflow does not run;
        # for load tests of what starts executions (the weekly resync over 10,000 connections).
        self.execute_state_machine = execute_state_machine
        self._dynamodb: Any = None
        # egress_workers > egress_ips: concurrent workers share addresses (as Lambdas may on AWS)
        self.egress = EgressPool(egress_ips, workers=egress_workers)
        self.router = InvokeRouter(self.egress, dead_letter=self._send_dead_letter)
        self.env: dict[str, str] = {}
        self.resources: dict[str, Physical] = {}
        self.functions: dict[str, LocalFunction] = {}  # by short name and by logical id
        self.endpoint_url: str | None = None
        self._mock: Any = None
        self._server: Any = None
        self._saved_env: dict[str, str | None] = {}
        self._saved_sleep: Any = None
        self._sys_path_added: list[str] = []
        self._started = False

    # ------------------------------------------------------------------ lifecycle
    def __enter__(self) -> LocalCloud:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> LocalCloud:
        from moto import mock_aws

        if not _ACTIVE_LOCK.acquire(blocking=False):
            raise RuntimeError("another LocalCloud is running in this process (moto is process-wide)")
        try:
            config = {**MOTO_CONFIG, "stepfunctions": {"execute_state_machine": self.execute_state_machine}}
            self._mock = mock_aws(config=config)
            self._mock.start()
            self.router.install()
            self._unpass = passthrough.install()
            moto_dynamodb.adjust(True)
            if self.dynamodb_process:
                self._dynamodb = DynamoDBService().start()
                self._set_env("AWS_ENDPOINT_URL_DYNAMODB", self._dynamodb.url)
                _forget_pynamodb_connections()
            self._patch_retry_sleep()
            self._add_layers_to_path()
            self._compute_functions()
            self._apply_env()
            self._create_resources()
            self._started = True
        except BaseException:
            self._teardown()
            raise
        return self

    def stop(self) -> None:
        if self._started:
            self._started = False
            self._teardown()

    def _teardown(self) -> None:
        self.router.deliveries.stop(timeout=600)  # queued S3 events finish against this cloud
        if self._server is not None:
            self._server.stop()
            self._server = None
            self.endpoint_url = None
        self.router.uninstall()
        if self._unpass is not None:
            self._unpass()
            self._unpass = None
        moto_dynamodb.adjust(False)
        self._restore_retry_sleep()
        for key, value in self._saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        self._saved_env = {}
        if self._dynamodb is not None:
            self._dynamodb.stop()
            self._dynamodb = None
            _forget_pynamodb_connections()
        for entry in self._sys_path_added:
            if entry in sys.path:
                sys.path.remove(entry)
        self._sys_path_added = []
        if self._mock is not None:
            self._mock.stop()
            self._mock = None
        if _ACTIVE_LOCK.locked():
            _ACTIVE_LOCK.release()

    def serve(self, port: int = 0, host: str = "127.0.0.1") -> str:
        """Also expose the cloud over HTTP (moto's server, same state): returns the endpoint URL
        for `aws --endpoint-url` and any boto3 client. Handlers still run in this process."""
        from binsync_local.cloud.s3_presign import CheckedMotoServer

        if not self._started:
            raise RuntimeError("start the LocalCloud before serving it")
        if self._dynamodb is not None:  # moto's server would serve an empty in-process DynamoDB
            raise RuntimeError(f"DynamoDB runs in its own process here: {self._dynamodb.url}")
        # presigned S3 URLs are checked as S3 checks them (signed size and type, expiry)
        self._server = CheckedMotoServer(ip_address=host, port=port, verbose=False)
        self._server.start()
        bound_host, bound_port = self._server.get_host_and_port()
        # The interpreter's own Lambda client goes to localhost:$MOTO_PORT when it is not
        # intercepted in-process; keep it pointing here.
        self._set_env("MOTO_PORT", str(bound_port))
        self.endpoint_url = f"http://{bound_host}:{bound_port}"
        return self.endpoint_url

    # ------------------------------------------------------------------ bring-up
    def _patch_retry_sleep(self) -> None:
        if not self.fast_retries:
            return
        from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl

        self._saved_sleep = retrier_decl.time
        retrier_decl.time = types.SimpleNamespace(sleep=lambda seconds: None)  # type: ignore[assignment]

    def _restore_retry_sleep(self) -> None:
        if self._saved_sleep is not None:
            from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl

            retrier_decl.time = self._saved_sleep
            self._saved_sleep = None

    def _add_layers_to_path(self) -> None:
        for logical_id in self.stack.of_type("AWS::Serverless::LayerVersion"):
            content = self.stack.resources[logical_id]["Properties"]["ContentUri"]
            path = str((self.root / content).resolve())
            if path not in sys.path:
                sys.path.insert(0, path)
                self._sys_path_added.append(path)

    def _compute_functions(self) -> None:
        for logical_id in self.stack.of_type("AWS::Serverless::Function"):
            props = self.stack.function_properties(logical_id)
            code_dir = (self.root / props["CodeUri"]).resolve()
            phys = self.stack.physical(logical_id)
            env = {k: str(v) for k, v in self.stack.resolve(props["Environment"]["Variables"]).items()}
            fn = LocalFunction(
                logical_id=logical_id, short_name=code_dir.name, name=phys.name, arn=phys.arn or "",
                code_dir=code_dir, handler=props.get("Handler", "app.lambda_handler"),
                timeout_s=int(props.get("Timeout", 3)), memory_mb=int(props.get("MemorySize", 128)),
                environment=env,
                dead_letter_arn=self.stack.resolve(props.get("DeadLetterQueue", {}).get("TargetArn")),
                async_retries=int(props.get("EventInvokeConfig", {}).get("MaximumRetryAttempts", 2)),
            )
            self._register(fn)

    def _register(self, fn: LocalFunction) -> None:
        self.functions[fn.short_name] = fn
        self.functions[fn.logical_id] = fn
        self.router.register(fn)

    def _apply_env(self) -> None:
        """os.environ is process-wide: every function's variables are set once, so two functions
        must never give one variable different values."""
        merged: dict[str, str] = {"AWS_REGION": self.region, "AWS_DEFAULT_REGION": self.region}
        owners: dict[str, str] = {}
        for fn in {id(f): f for f in self.functions.values()}.values():
            for key, value in fn.environment.items():
                if key in owners and merged[key] != value:
                    raise ValueError(f"env var {key} differs between {owners[key]} and {fn.logical_id}; "
                                     "the local cloud runs all functions in one process")
                merged[key], owners[key] = value, fn.logical_id
        # moto enforces no IAM, so the per-tenant assume-role step (binsync.connections.
        # tenant_scope) is off locally; tests/template checks the tenant role's policy instead.
        merged["TENANT_ROLE_ARN"] = ""
        self.env = merged
        for key, value in merged.items():
            self._set_env(key, value)

    def _set_env(self, key: str, value: str) -> None:
        if key not in self._saved_env:
            self._saved_env[key] = os.environ.get(key)
        os.environ[key] = value

    def _create_resources(self) -> None:
        st = self.stack
        for logical_id in st.resources:
            self.resources[logical_id] = st.physical(logical_id)
        for logical_id in st.of_type("AWS::DynamoDB::Table"):
            self._create_table(logical_id)
        for logical_id in st.of_type("AWS::SQS::Queue"):
            self.client("sqs").create_queue(QueueName=self.resources[logical_id].arn.rsplit(":", 1)[1])
        for logical_id in st.of_type("AWS::S3::Bucket"):
            self._create_bucket(logical_id)
        iam = self.client("iam")
        lambda_role = iam.create_role(RoleName=f"{st.stack_name}-lambda",
                                      AssumeRolePolicyDocument=_LAMBDA_TRUST)["Role"]["Arn"]
        for fn in self._unique_functions():
            self._create_function(fn, lambda_role)
        for logical_id in st.of_type("AWS::Serverless::StateMachine"):
            self._create_state_machine(logical_id)
        self._create_function_events()

    def _unique_functions(self) -> list[LocalFunction]:
        return list({id(f): f for f in self.functions.values()}.values())

    def _create_table(self, logical_id: str) -> None:
        props = self.stack.resolve(self.stack.resources[logical_id]["Properties"])
        args = {k: props[k] for k in ("TableName", "AttributeDefinitions", "KeySchema",
                                      "GlobalSecondaryIndexes", "LocalSecondaryIndexes") if k in props}
        ddb = self.client("dynamodb")
        ddb.create_table(BillingMode=props.get("BillingMode", "PAY_PER_REQUEST"), **args)
        ttl = props.get("TimeToLiveSpecification")
        if ttl:
            ddb.update_time_to_live(TableName=props["TableName"], TimeToLiveSpecification=ttl)

    def _create_bucket(self, logical_id: str) -> None:
        name = self.resources[logical_id].name
        s3 = self.client("s3")
        if self.region == "us-east-1":
            s3.create_bucket(Bucket=name)
        else:
            s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": self.region})
        props = self.stack.resources[logical_id].get("Properties", {})
        if props.get("VersioningConfiguration"):
            s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
        if props.get("PublicAccessBlockConfiguration"):
            s3.put_public_access_block(Bucket=name,
                                       PublicAccessBlockConfiguration=props["PublicAccessBlockConfiguration"])

    def _create_function(self, fn: LocalFunction, role_arn: str) -> None:
        self.client("lambda").create_function(
            FunctionName=fn.name, Runtime="python3.12", Role=role_arn, Handler=fn.handler,
            Code={"ZipFile": _zip_dir_stub(fn)}, Timeout=fn.timeout_s, MemorySize=fn.memory_mb,
            Environment={"Variables": fn.environment},
        )

    def _create_state_machine(self, logical_id: str) -> None:
        st = self.stack
        props = st.resources[logical_id]["Properties"]
        subs = {k: str(v) for k, v in st.resolve(props.get("DefinitionSubstitutions", {})).items()}
        if "MapChildExecutionType" in subs:
            subs["MapChildExecutionType"] = self.map_child_execution_type
        if "DefinitionUri" in props:
            text = (self.root / props["DefinitionUri"]).read_text()
        else:
            text = json.dumps(props["Definition"])
        definition = load_asl(text, subs)
        role = self.client("iam").create_role(RoleName=f"{st.stack_name}-{logical_id}-role",
                                              AssumeRolePolicyDocument=_STATES_TRUST)["Role"]["Arn"]
        self.client("stepfunctions").create_state_machine(
            name=st.state_machine_name(logical_id), definition=json.dumps(definition), roleArn=role,
            type=props.get("Type", "STANDARD"),
        )

    def _create_function_events(self) -> None:
        """S3 notifications (moto fires them), the Scheduler schedule and the EventBridge rule
        (stored so that `fire_*` and the CLI find them; moto never fires those by itself)."""
        st = self.stack
        notifications: dict[str, list[dict[str, Any]]] = {}
        scheduler_role = None
        for fn in self._unique_functions():
            events_spec = st.resources[fn.logical_id].get("Properties", {}).get("Events", {})
            for event_name, spec in events_spec.items():
                kind, props = spec["Type"], spec.get("Properties", {})
                if kind == "S3":
                    bucket = st.resolve(props["Bucket"])
                    config: dict[str, Any] = {
                        "Id": f"{fn.logical_id}{event_name}", "LambdaFunctionArn": fn.arn,
                        "Events": props["Events"] if isinstance(props["Events"], list) else [props["Events"]],
                    }
                    rules = props.get("Filter", {}).get("S3Key", {}).get("Rules")
                    if rules:
                        config["Filter"] = {"Key": {"FilterRules": st.resolve(rules)}}
                    notifications.setdefault(bucket, []).append(config)
                elif kind == "ScheduleV2":
                    if scheduler_role is None:
                        scheduler_role = self.client("iam").create_role(
                            RoleName=f"{st.stack_name}-scheduler", AssumeRolePolicyDocument=_SCHEDULER_TRUST,
                        )["Role"]["Arn"]
                    self._create_schedule(fn, event_name, st.resolve(props), scheduler_role)
                elif kind == "EventBridgeRule":
                    name = f"{st.stack_name}-{fn.logical_id}{event_name}"
                    ev = self.client("events")
                    ev.put_rule(Name=name, EventPattern=json.dumps(st.resolve(props["Pattern"])),
                                State="ENABLED")
                    ev.put_targets(Rule=name, Targets=[{"Id": fn.logical_id, "Arn": fn.arn}])
                    rule_arn = f"arn:aws:events:{self.region}:{st.account_id}:rule/{name}"
                    self.resources[f"{fn.logical_id}{event_name}"] = Physical(
                        "AWS::Events::Rule", name, rule_arn)
        for bucket, configs in notifications.items():
            self.client("s3").put_bucket_notification_configuration(
                Bucket=bucket, NotificationConfiguration={"LambdaFunctionConfigurations": configs})

    def _create_schedule(self, fn: LocalFunction, event_name: str, props: dict[str, Any], role: str) -> None:
        name = f"{self.stack.stack_name}-{fn.logical_id}{event_name}"
        target: dict[str, Any] = {"Arn": fn.arn, "RoleArn": role}
        if "Input" in props:
            target["Input"] = props["Input"]
        if "RetryPolicy" in props:
            target["RetryPolicy"] = props["RetryPolicy"]
        args: dict[str, Any] = {
            "Name": name, "ScheduleExpression": props["ScheduleExpression"], "Target": target,
            "FlexibleTimeWindow": props.get("FlexibleTimeWindow", {"Mode": "OFF"}),
        }
        if "ScheduleExpressionTimezone" in props:
            args["ScheduleExpressionTimezone"] = props["ScheduleExpressionTimezone"]
        arn = self.client("scheduler").create_schedule(**args)["ScheduleArn"]
        self.resources[f"{fn.logical_id}{event_name}"] = Physical("AWS::Scheduler::Schedule", name, arn)

    def _send_dead_letter(self, fn: LocalFunction, event: Any, envelope: dict[str, Any]) -> None:
        """What Lambda does after the last failed asynchronous attempt (the event is kept, with
        the error in message attributes); without a DLQ the event is dropped, loudly."""
        if not fn.dead_letter_arn:
            print(f"binsync local cloud: {fn.short_name} failed an asynchronous event and has no "
                  f"DeadLetterQueue: {envelope['errorType']}: {envelope['errorMessage']}", file=sys.stderr)
            return
        sqs = self.client("sqs")
        queue_url = sqs.get_queue_url(QueueName=fn.dead_letter_arn.rsplit(":", 1)[1])["QueueUrl"]
        sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps(event), MessageAttributes={
            "RequestID": {"DataType": "String", "StringValue": envelope.get("requestId", "")},
            "ErrorCode": {"DataType": "Number", "StringValue": "200"},
            "ErrorMessage": {"DataType": "String", "StringValue": envelope["errorMessage"][:1024] or "-"},
        })

    # ------------------------------------------------------------------ test/extra functions
    def add_function(self, short_name: str, code_dir: str | Path, *, handler: str = "app.lambda_handler",
                     timeout_s: int = 60) -> LocalFunction:
        """Create one more routed function (tests): code in `code_dir/<module>.py`, the stack's
        environment, the same router, egress pool and error envelope as the template's ones."""
        name = f"{self.stack.stack_name}-{short_name}"
        arn = f"arn:aws:lambda:{self.region}:{self.stack.account_id}:function:{name}"
        fn = LocalFunction(logical_id=short_name, short_name=short_name, name=name, arn=arn,
                           code_dir=Path(code_dir).resolve(), handler=handler, timeout_s=timeout_s,
                           environment={})
        self._register(fn)
        role = self.client("iam").get_role(RoleName=f"{self.stack.stack_name}-lambda")["Role"]["Arn"]
        self._create_function(fn, role)
        return fn

    # ------------------------------------------------------------------ API
    def client(self, service: str) -> Any:
        """A boto3 client on this cloud (boto3 clients are thread-safe, resources are not).

        Clients are shared by every LocalCloud of the process: moto intercepts them whichever
        mock is active, and building one costs ~70 ms of model loading each time moto resets
        the default boto3 session.
        """
        key = (service, self.region, os.environ.get(f"AWS_ENDPOINT_URL_{service.upper()}"))
        with _CLIENTS_LOCK:
            if key not in _CLIENTS:
                _CLIENTS[key] = boto3.client(
                    service, region_name=self.region, aws_access_key_id="local",
                    aws_secret_access_key="local",
                    config=Config(retries={"max_attempts": 1}, read_timeout=900),
                )
            return _CLIENTS[key]

    def function(self, name: str) -> LocalFunction:
        """A function by short name (`fetch_window`), logical id or physical name."""
        if name in self.functions:
            return self.functions[name]
        for fn in self._unique_functions():
            if fn.name == name:
                return fn
        raise KeyError(f"no function {name!r}; known: {sorted(self.functions)}")

    def invoke(self, name: str, event: Any) -> Any:
        """Invoke like `aws lambda invoke` (RequestResponse). Returns the decoded payload; a
        handler exception comes back as the runtime's error envelope, never raised here."""
        response = self.client("lambda").invoke(FunctionName=self.function(name).name,
                                                Payload=json.dumps(event).encode())
        return json.loads(response["Payload"].read() or b"null")

    def invoke_raw(self, name: str, event: Any) -> tuple[Any, str | None]:
        """Like `invoke`, plus the FunctionError header (None when the handler returned)."""
        response = self.client("lambda").invoke(FunctionName=self.function(name).name,
                                                Payload=json.dumps(event).encode())
        return json.loads(response["Payload"].read() or b"null"), response.get("FunctionError")

    def api_request(self, method: str, path: str, body: Any = None, user: str | None = "user-a",
                    headers: dict[str, str] | None = None,
                    query: dict[str, Any] | None = None) -> tuple[int, dict[str, str], Any]:
        """One request through API Gateway (REST, Cognito authorizer) to the api function.

        `user` is the Cognito `sub`; None means no token, which API Gateway rejects with 401
        before the function runs. Returns (status, headers, body) with a JSON body parsed.
        """
        if user is None:
            return 401, {"Content-Type": "application/json"}, {"message": "Unauthorized"}
        event = shapes.api_gateway_rest_event(
            method, path, body=body, user=user, headers=headers, query=query,
            stage=self.stack.parameters.get("Stage", "dev"), account_id=self.stack.account_id,
            region=self.region,
        )
        payload, error = self.invoke_raw(self._api_function().short_name, event)
        return shapes.api_gateway_response(payload, error is not None)

    def _api_function(self) -> LocalFunction:
        for fn in self._unique_functions():
            events_spec = self.stack.resources[fn.logical_id].get("Properties", {}).get("Events", {})
            if any(e.get("Type") == "Api" for e in events_spec.values()):
                return fn
        raise KeyError("no function behind the REST API in the template")

    @property
    def state_machine_arn(self) -> str:
        machines = self.stack.of_type("AWS::Serverless::StateMachine")
        return self.resources[machines[0]].arn  # type: ignore[return-value]

    def start_execution(self, input: dict[str, Any], name: str | None = None,
                        state_machine_arn: str | None = None) -> str:
        """Start the (first) state machine; always named (moto needs it, AWS likes it)."""
        return self.client("stepfunctions").start_execution(
            stateMachineArn=state_machine_arn or self.state_machine_arn,
            name=name or f"local-{uuid.uuid4()}", input=json.dumps(input),
        )["executionArn"]

    def wait_execution(self, arn: str, timeout: float = 60.0, poll_s: float = 0.02) -> dict[str, Any]:
        """Wait until the execution leaves RUNNING; returns DescribeExecution."""
        sfn = self.client("stepfunctions")
        deadline = time.monotonic() + timeout
        while True:
            describe = sfn.describe_execution(executionArn=arn)
            if describe["status"] != "RUNNING":
                return describe
            if time.monotonic() > deadline:
                raise TimeoutError(f"execution {arn} still RUNNING after {timeout}s")
            time.sleep(poll_s)

    def execution_history(self, arn: str) -> list[dict[str, Any]]:
        sfn = self.client("stepfunctions")
        events: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {"executionArn": arn, "maxResults": 1000}
        while True:
            page = sfn.get_execution_history(**kwargs)
            events.extend(page["events"])
            if not page.get("nextToken"):
                return events
            kwargs["nextToken"] = page["nextToken"]

    @property
    def uploads_bucket(self) -> str:
        buckets = self.stack.of_type("AWS::S3::Bucket")
        return self.resources[buckets[0]].name

    def put_upload(self, key: str, data: bytes, bucket: str | None = None,
                   wait: bool = True) -> dict[str, Any]:
        """Put an object. Its S3 notification is delivered asynchronously, as on AWS (the PUT
        returns first); with `wait` (tests) this returns once the delivery has finished, its
        retries and dead-lettering included. A client of the API polls `GET /uploads/{id}`."""
        response = self.client("s3").put_object(Bucket=bucket or self.uploads_bucket, Key=key, Body=data)
        if wait:
            self.wait_deliveries()
        return response

    def wait_deliveries(self, timeout: float | None = None) -> bool:
        """Wait until every queued asynchronous event (S3 notifications) has been delivered."""
        return self.router.deliveries.wait(timeout)

    def _event_resource(self, kind: str, name: str | None) -> Physical:
        found = [p for p in self.resources.values() if p.type == kind and (name is None or p.name == name)]
        if len(found) != 1:
            raise KeyError(f"{len(found)} resources of type {kind} in the stack; name the one to fire")
        return found[0]

    def fire_schedule(self, scheduled_time: datetime, *, name: str | None = None, attempt: int = 1) -> Any:
        """Do what EventBridge Scheduler does at `scheduled_time`: invoke the target with its
        Input, placeholders substituted. Returns the function's payload (or error envelope)."""
        from .triggers import fire_schedule

        schedule = name or self._event_resource("AWS::Scheduler::Schedule", None).name
        return fire_schedule(self.client("scheduler"), self.client("lambda"), schedule,
                             scheduled_time, attempt=attempt)

    def fire_execution_status_change(self, execution_arn: str, *, rule: str | None = None) -> list[Any]:
        """Do what EventBridge does when an execution ends: if the rule's pattern matches the
        "Step Functions Execution Status Change" event, invoke its targets. Returns their
        payloads ([] when the rule does not match, e.g. a SUCCEEDED execution)."""
        from .triggers import fire_execution_status_change

        rule = rule or self._event_resource("AWS::Events::Rule", None).name
        return fire_execution_status_change(
            self.client("events"), self.client("stepfunctions"), self.client("lambda"), rule,
            execution_arn, account_id=self.stack.account_id, region=self.region)

    @property
    def invocations(self) -> list[Invocation]:
        return list(self.router.invocations)


def _forget_pynamodb_connections() -> None:
    """pynamodb keeps one connection (and its endpoint) per model class: drop them when the
    DynamoDB endpoint changes, so the next call connects where DynamoDB now is."""
    from pynamodb.models import Model

    pending = list(Model.__subclasses__())
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        cls._connection = None


def _zip_dir_stub(fn: LocalFunction) -> bytes:
    """A tiny deployment package for moto's CreateFunction (the router runs the real code)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr(f"{fn.handler.rsplit('.', 1)[0]}.py", f"# routed locally to {fn.code_dir}\n")
    return buffer.getvalue()
