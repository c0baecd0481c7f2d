"""Route moto's Lambda invocations to the real handlers, in-process.

moto (with `lambda.use_docker: False`) would echo the payload instead of running code. Two of
its internals are patched while a LocalCloud runs:
- `LambdaSimpleBackend.invoke`: boto3 `lambda.invoke` and Step Functions Task states;
- `LambdaFunction.invoke`: S3 notifications call the function object directly.
Functions the router does not know (created by hand in a test) keep moto's behaviour.

Each invocation runs like the Lambda Python runtime would: a context object, the handler's return
value serialised to JSON, and on an exception the runtime's error envelope
`{"errorMessage", "errorType": type(exc).__name__, "requestId", "stackTrace"}` with the
`x-amz-function-error: Unhandled` header, so Step Functions Retry/Catch match the bare class name
exactly as on AWS. Each invocation also holds one egress address from the pool and exposes it as
`binsync.runtime.EGRESS_IP`.

`kill_invocation` plays the Lambda service killing a sandbox mid-task (its timeout reached, the
process gone): the invocation ends at once with the runtime's error (`Sandbox.Timedout`,
`Runtime.ExitError`) and its code runs no further, not even its `finally` blocks. Functions named in
`InvokeRouter.killable` run in a thread of their own so that the caller can be answered while the
killed code stays frozen.
"""

from __future__ import annotations

import contextvars
import decimal
import importlib.util
import json
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from binsync import runtime

from .async_delivery import AsyncDelivery
from .egress import EgressPool


@dataclass
class LambdaContext:
    """The attributes of the Lambda Python runtime's context object that handlers use."""

    function_name: str
    invoked_function_arn: str
    memory_limit_in_mb: int
    aws_request_id: str
    deadline_ms: float
    function_version: str = "$LATEST"

    @property
    def log_group_name(self) -> str:
        return f"/aws/lambda/{self.function_name}"

    @property
    def log_stream_name(self) -> str:
        return f"local/[$LATEST]{self.aws_request_id.replace('-', '')}"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int(self.deadline_ms - time.time() * 1000))


@dataclass
class LocalFunction:
    """One function of the stack: where its code is and how the runtime would call it."""

    logical_id: str
    short_name: str  # the CodeUri folder name, e.g. "fetch_window"
    name: str  # physical FunctionName
    arn: str
    code_dir: Path
    handler: str = "app.lambda_handler"
    timeout_s: int = 3
    memory_mb: int = 128
    environment: dict[str, str] = field(default_factory=dict)
    dead_letter_arn: str | None = None  # DeadLetterQueue of asynchronous invocations
    async_retries: int = 2  # Lambda retries a failed asynchronous invocation twice
    _module: ModuleType | None = None

    def load(self) -> Callable[[Any, Any], Any]:
        module_file, func_name = self.handler.rsplit(".", 1)
        if self._module is None:
            with _LOAD_LOCK:
                if self._module is None:
                    self._module = _import_file(self.code_dir / f"{module_file}.py",
                                                f"binsync_fn_{self.short_name}")
        return getattr(self._module, func_name)


_LOAD_LOCK = threading.RLock()


def _import_file(path: Path, module_name: str) -> ModuleType:
    """Import a handler file under a unique module name (every function has an app.py).

    The function's folder is on sys.path while it loads, as /var/task is on AWS, so a handler
    may import a sibling module; give such modules distinct names across functions.
    """
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load handler file {path}")
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(path.parent))
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(module_name, None)
        raise
    finally:
        sys.path.remove(str(path.parent))
    return module


def _discard_disabled_metrics(module: ModuleType | None) -> None:
    """With POWERTOOLS_METRICS_DISABLED (the CLI's quiet mode), Powertools neither prints nor clears
    a flushed metric set: it grows with every invocation until a metric holds 100 values, which
    `add_metric` then prints to stdout regardless, and the next flush warns "No application metrics
    to publish". On AWS every invocation's flush empties the set; discard it the same way here."""
    if module is None:
        return
    from aws_lambda_powertools.metrics.functions import is_metrics_disabled
    from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import AmazonCloudWatchEMFProvider

    if not is_metrics_disabled():
        return
    for value in vars(module).values():
        provider = getattr(value, "provider", value)
        if isinstance(provider, AmazonCloudWatchEMFProvider):
            provider.clear_metrics()


class _RuntimeEncoder(json.JSONEncoder):
    """The Lambda Python runtime serialises Decimal as a JSON number."""

    def default(self, o: Any) -> Any:
        if isinstance(o, decimal.Decimal):
            return int(o) if o == o.to_integral_value() else float(o)
        return super().default(o)


def error_envelope(exc: BaseException, request_id: str, error_type: str | None = None) -> dict[str, Any]:
    return {
        "errorMessage": str(exc),
        "errorType": error_type or type(exc).__name__,
        "requestId": request_id,
        "stackTrace": traceback.format_list(traceback.extract_tb(exc.__traceback__)),
    }


@dataclass
class Invocation:
    """One routed invocation, for tests and progress displays."""

    function: str  # short name
    request_id: str
    egress_ip: str | None
    started: float
    duration_s: float = 0.0
    error_type: str | None = None


@dataclass
class _Kill:
    """Set by kill_invocation in the handler's thread, read by the router's."""

    event: threading.Event = field(default_factory=threading.Event)
    error_type: str = ""
    message: str = ""


_KILL: contextvars.ContextVar[_Kill | None] = contextvars.ContextVar("binsync_local_kill", default=None)
_FROZEN = threading.Event()  # never set: a killed invocation's thread waits on it for ever


def kill_invocation(error_type: str, message: str) -> None:
    """Kill the running invocation (call from handler code, e.g. a fault hook): the caller gets
    the runtime's error envelope and this thread never runs again. Needs the function to be in
    `InvokeRouter.killable`."""
    kill = _KILL.get()
    if kill is None:
        raise RuntimeError("kill_invocation outside a killable invocation")
    kill.error_type, kill.message = error_type, message
    kill.event.set()
    _FROZEN.wait()


def _run_killable(call: Callable[[], Any]) -> tuple[Any, BaseException | None, _Kill | None]:
    """Run `call` in a daemon thread (context copied); returns (result, error, kill)."""
    kill = _Kill()
    box: dict[str, Any] = {}
    done = threading.Event()
    ctx = contextvars.copy_context()
    ctx.run(_KILL.set, kill)

    def target() -> None:
        try:
            box["result"] = ctx.run(call)
        except BaseException as exc:  # handed to the router's thread as the handler's error
            box["error"] = exc
        finally:
            done.set()

    threading.Thread(target=target, name="lambda-sandbox", daemon=True).start()
    while not done.wait(0.01):
        if kill.event.is_set():
            return None, None, kill
    return box.get("result"), box.get("error"), None


class InvokeRouter:
    def __init__(self, egress: EgressPool, *, keep_log: int = 10_000,
                 dead_letter: Callable[[LocalFunction, Any, dict[str, Any]], None] | None = None) -> None:
        self.egress = egress
        self.dead_letter = dead_letter
        self.deliveries = AsyncDelivery()  # Lambda's async queue for S3 notifications
        self.functions: dict[str, LocalFunction] = {}  # by physical name
        self.invocations: list[Invocation] = []
        self._keep_log = keep_log
        self._log_lock = threading.Lock()
        self._originals: dict[str, Callable[..., Any]] = {}
        self.killable: set[str] = set()  # short names whose invocations kill_invocation may end
        # Seconds before each retry of a failed asynchronous invocation. Lambda waits about 1 and
        # then 2 minutes; locally none by default (tests), (1, 2) at the suite's time scale of 60.
        self.async_retry_delays_s: tuple[float, ...] = ()

    def register(self, fn: LocalFunction) -> None:
        self.functions[fn.name] = fn

    # ------------------------------------------------------------------ running a handler
    def run(self, fn: LocalFunction, body: Any) -> tuple[bytes, bool]:
        """Invoke `fn` with a raw payload; returns (JSON payload bytes, errored)."""
        request_id = str(uuid.uuid4())
        with self.egress.lease_slot() as lease:
            ip = lease.ip
            record = Invocation(fn.short_name, request_id, ip, time.time())
            token = runtime.EGRESS_IP.set(ip)
            # Workers sharing an address are separate Lambdas: each keeps its own rate limiter.
            env_token = runtime.ENVIRONMENT.set(
                f"worker-{lease.slot}" if self.egress.shared and lease.slot is not None else None)
            try:
                event = _decode_event(body)
                context = LambdaContext(fn.name, fn.arn, fn.memory_mb, request_id,
                                        time.time() * 1000 + fn.timeout_s * 1000)
                try:
                    handler = fn.load()
                except Exception as exc:  # what the runtime reports for a broken module
                    envelope = error_envelope(exc, request_id, "Runtime.ImportModuleError")
                    module = fn.handler.rsplit(".", 1)[0]
                    envelope["errorMessage"] = f"Unable to import module '{module}': {exc}"
                    return self._finish(record, envelope)
                if fn.short_name in self.killable:
                    result, error, kill = _run_killable(lambda: handler(event, context))
                    if kill is not None:
                        envelope = {"errorMessage": f"RequestId: {request_id} Error: {kill.message}",
                                    "errorType": kill.error_type, "requestId": request_id,
                                    "stackTrace": []}
                        return self._finish(record, envelope)
                    if isinstance(error, Exception):
                        return self._finish(record, error_envelope(error, request_id))
                    if error is not None:
                        raise error
                else:
                    try:
                        result = handler(event, context)
                    except Exception as exc:
                        return self._finish(record, error_envelope(exc, request_id))
                try:
                    payload = json.dumps(result, cls=_RuntimeEncoder).encode()
                except (TypeError, ValueError) as exc:
                    return self._finish(record, error_envelope(exc, request_id, "Runtime.MarshalError"))
                return self._finish(record, None, payload)
            finally:
                runtime.EGRESS_IP.reset(token)
                runtime.ENVIRONMENT.reset(env_token)
                _discard_disabled_metrics(fn._module)

    def run_async(self, fn: LocalFunction, body: Any) -> tuple[bytes, bool]:
        """An asynchronous invocation (S3 notifications, InvocationType=Event): Lambda retries a
        failure `async_retries` times, then sends the event to the function's dead-letter queue.
        Locally the retries follow after `async_retry_delays_s` (none by default; S3
        notifications run it on the `deliveries` worker)."""
        for attempt in range(1 + fn.async_retries):
            if attempt and attempt <= len(self.async_retry_delays_s):
                time.sleep(self.async_retry_delays_s[attempt - 1])
            payload, errored = self.run(fn, body)
            if not errored:
                return payload, False
        if self.dead_letter is not None:
            self.dead_letter(fn, _decode_event(body), json.loads(payload))
        return payload, True

    def _finish(self, record: Invocation, envelope: dict[str, Any] | None,
                payload: bytes | None = None) -> tuple[bytes, bool]:
        record.duration_s = time.time() - record.started
        if envelope is not None:
            record.error_type = envelope["errorType"]
            payload = json.dumps(envelope).encode()
        with self._log_lock:
            self.invocations.append(record)
            if len(self.invocations) > self._keep_log:
                del self.invocations[: len(self.invocations) - self._keep_log]
        assert payload is not None
        return payload, envelope is not None

    # ------------------------------------------------------------------ moto patches
    def install(self) -> None:
        from moto.awslambda.models import LambdaFunction
        from moto.awslambda_simple.models import LambdaSimpleBackend

        router = self
        original_backend_invoke = LambdaSimpleBackend.invoke
        original_function_invoke = LambdaFunction.invoke

        def backend_invoke(backend: Any, function_name: str, qualifier: str | None, body: Any,
                           headers: Any, response_headers: Any) -> Any:
            name = backend.get_function(function_name, qualifier).function_name
            fn = router.functions.get(name)
            if fn is None:
                return original_backend_invoke(backend, function_name, qualifier, body, headers,
                                               response_headers)
            invocation_type = (headers or {}).get("X-Amz-Invocation-Type", "RequestResponse")
            run = router.run_async if invocation_type == "Event" else router.run
            payload, errored = run(fn, body)
            if errored:
                response_headers["x-amz-function-error"] = "Unhandled"
            response_headers["Content-Length"] = str(len(payload))
            return payload

        def function_invoke(function: Any, body: Any, request_headers: Any, response_headers: Any) -> Any:
            fn = router.functions.get(function.function_name)
            if fn is None:
                return original_function_invoke(function, body, request_headers, response_headers)
            # moto calls this for S3 notifications, which AWS delivers asynchronously: queue the
            # event (retries and DLQ in run_async) and let the PUT return, as S3 does.
            router.deliveries.submit(lambda: router.run_async(fn, body))
            return b""

        self._originals = {"backend": original_backend_invoke, "function": original_function_invoke}
        LambdaSimpleBackend.invoke = backend_invoke  # type: ignore[method-assign]
        LambdaFunction.invoke = function_invoke  # type: ignore[method-assign]

    def uninstall(self) -> None:
        if not self._originals:
            return
        from moto.awslambda.models import LambdaFunction
        from moto.awslambda_simple.models import LambdaSimpleBackend

        LambdaSimpleBackend.invoke = self._originals["backend"]  # type: ignore[method-assign]
        LambdaFunction.invoke = self._originals["function"]  # type: ignore[method-assign]
        self._originals = {}


def _decode_event(body: Any) -> Any:
    if body is None or body in (b"", ""):
        return {}
    if isinstance(body, bytes | bytearray):
        body = body.decode()
    if isinstance(body, str):
        return json.loads(body)
    return body
