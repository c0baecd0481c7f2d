"""The embedded cloud: template.yaml on moto 5.2.5, in this process, with the real handlers.

    from binsync_local.cloud import LocalCloud

    with LocalCloud(egress_ips=8, fast_retries=True) as cloud:
        cloud.invoke("plan_sync", event)              # -> payload dict, or the runtime's error
                                                      #    envelope {errorMessage, errorType, ...}
        status, headers, body = cloud.api_request("POST", "/connections", body={...}, user="user-a")
        arn = cloud.start_execution({"...": "..."}, name="run-1")
        cloud.wait_execution(arn, timeout=60)         # -> DescribeExecution dict
        cloud.execution_history(arn)                  # -> list of history events
        cloud.put_upload("uploads/user-a/c1/statement.csv", data)   # async notification; waits for it
        cloud.fire_schedule(datetime(2026, 1, 5, 2, tzinfo=UTC))    # what EventBridge Scheduler sends
        cloud.fire_execution_status_change(arn)       # what the failed-sync EventBridge rule sends
        cloud.client("dynamodb"); cloud.env; cloud.resources["TransactionsTable"].name
        cloud.invocations                             # routed calls: function, egress ip, error type

What it does on `start()`:
- `mock_aws(config={"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker":
  False}})`, so moto runs the real ASL (LocalStack's interpreter) and never needs Docker;
- reads template.yaml (`samtranslator.yaml_helper.yaml_parse`), resolves Ref/GetAtt/Sub and the
  pseudo parameters for stack `binsync` (physical names are deterministic: table
  `binsync-transactions`, function `binsync-FetchWindowFunction`, ...), creates the tables with
  their GSIs and TTL, the bucket and its S3 -> Lambda notification, the DLQ, IAM roles, every
  function (Globals merged), the state machine (DefinitionSubstitutions applied,
  MapChildExecutionType=STANDARD because moto knows no EXPRESS children), the Scheduler schedule
  and the EventBridge rule with its target (stored: moto fires neither);
- sets every function's environment variables once in os.environ (process-wide; two functions
  may not disagree on a value) and puts the layer folder (layers/shared) on sys.path;
- installs the invoke router (router.py): every invocation of a template function, from Step
  Functions, S3 or boto3, runs the real `functions/<name>/app.py` handler in this process and
  returns the Lambda runtime's payload or error envelope (errorType = bare exception class name,
  so Retry/Catch match as on AWS). Each running invocation leases a distinct loopback egress
  address (127.0.0.2 ... 127.0.0.<N+1>) exposed as `binsync.runtime.EGRESS_IP`.

Concurrency: moto runs Map iterations on threads, so handlers run concurrently in one process
(like one warm container serving parallel calls): use boto3 clients, not resources, across
threads. Only one LocalCloud may run per process. `fast_retries=True` skips the real sleeps of
Retry intervals (tests); the default keeps them.

Server mode: `cloud.serve(port)` also exposes the same state over HTTP (moto's
ThreadedMotoServer): `aws --endpoint-url http://127.0.0.1:PORT stepfunctions list-executions
--state-machine-arn ...`; `binsync cloud serve` does that from the command line, and
`binsync cloud fire-schedule|fire-failure --endpoint-url ...` fire what AWS would fire.
"""

from .cloud import DEFAULT_TEMPLATE, REPO_ROOT, LocalCloud
from .egress import EgressPool
from .events import api_gateway_rest_event, execution_status_change_event, scheduler_input
from .router import Invocation, LocalFunction
from .template import load_asl, load_template

__all__ = [
    "DEFAULT_TEMPLATE",
    "REPO_ROOT",
    "EgressPool",
    "Invocation",
    "LocalCloud",
    "LocalFunction",
    "api_gateway_rest_event",
    "execution_status_change_event",
    "load_asl",
    "load_template",
    "scheduler_input",
]
