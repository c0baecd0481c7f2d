"""The bill: what a full sync, a weekly resync and a connection-year cost on AWS, from the local
cloud's own records, priced with bench.prices (us-east-1 list prices).

What is counted, during the bench's own full sync and weekly resync of one account:
- Lambda: every routed invocation (the router's log: function, duration), billed at the
  function's MemorySize from template.yaml. Locally every simulated Lambda shares this machine's
  2 cores, so durations are this machine's (an upper bound for CPU; pacing waits are real waits).
- Step Functions: state transitions = states entered in the execution history (every Map
  iteration's states included; retries are entered again, so they count, as AWS bills them).
- DynamoDB: request units computed from every DynamoDB call the process makes (botocore, so
  pynamodb and boto3 alike): writes ceil(item KB) per item and per GSI the item carries keys
  of, x2 in transactions; reads ceil(returned KB / 4), halved when eventually consistent.
  UpdateItem and DeleteItem are counted as 1 unit (+ GSIs): their stored size is not in the call.
- Secrets Manager and S3: API calls counted by operation.
- CloudWatch Logs: measured (bench.logbytes): the handlers' lines at INFO, as template.yaml sets,
  counted into a byte counter, plus Lambda's START/END/REPORT lines of every invocation.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import io
import math
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import fullsync, logbytes, prices

WEEKS_PER_YEAR = 52

TEMPLATE = Path(__file__).resolve().parents[1] / "template.yaml"


@dataclass(frozen=True)
class Index:
    """One GSI as template.yaml declares it: its keys and what it projects."""

    keys: tuple[str, ...]
    projection: str  # ALL | KEYS_ONLY | INCLUDE
    include: tuple[str, ...] = ()


@functools.lru_cache(maxsize=1)
def table_indexes() -> dict[str, tuple[tuple[str, ...], list[Index]]]:
    """Table kind (`transactions`, ...) -> (its key attributes, its GSIs), from template.yaml, so
    a projection changed there is priced as AWS bills it: an index item is the table's keys, the
    index's keys and the projected attributes, and costs write units at that size."""
    from binsync_local.cloud.template import load_template

    out: dict[str, tuple[tuple[str, ...], list[Index]]] = {}
    for res in load_template(TEMPLATE)["Resources"].values():
        if res.get("Type") != "AWS::DynamoDB::Table":
            continue
        props = res["Properties"]
        name = props["TableName"]
        kind = (name.get("Fn::Sub") if isinstance(name, dict) else str(name)).rsplit("-", 1)[-1]
        table_keys = tuple(k["AttributeName"] for k in props["KeySchema"])
        indexes = [Index(tuple(k["AttributeName"] for k in g["KeySchema"]), g["Projection"]["ProjectionType"],
                         tuple(g["Projection"].get("NonKeyAttributes", ())))
                   for g in props.get("GlobalSecondaryIndexes", [])]
        out[kind] = (table_keys, indexes)
    return out


def attribute_size(value: Any) -> int:
    """DynamoDB's item size rules, approximately: UTF-8 bytes of strings, bytes of binaries,
    about half the digits of numbers, 1 byte of booleans/nulls, 3 bytes per list/map."""
    if not isinstance(value, dict) or len(value) != 1:
        return 0
    kind, v = next(iter(value.items()))
    if kind == "S":
        return len(str(v).encode())
    if kind == "N":
        return len(str(v).lstrip("-").replace(".", "")) // 2 + 1
    if kind == "B":
        return len(v) if isinstance(v, bytes | bytearray) else len(base64.b64decode(v))
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "L":
        return 3 + sum(attribute_size(x) + 1 for x in v)
    if kind == "M":
        return 3 + sum(len(k.encode()) + attribute_size(x) + 1 for k, x in v.items())
    if kind in ("SS", "NS", "BS"):
        return sum(attribute_size({kind[0]: x}) for x in v)
    return 0


def item_size(item: dict[str, Any]) -> int:
    return sum(len(k.encode()) + attribute_size(v) for k, v in item.items())


def _table_kind(table: str) -> str:
    return table.rsplit("-", 1)[-1]


def _units(size: int) -> int:
    return max(1, math.ceil(size / 1024))


def _write_units(table: str, item: dict[str, Any]) -> int:
    """The table's write (1 unit per KB) and one per index the item carries keys of, at the size
    of the index item its projection makes."""
    table_keys, indexes = table_indexes().get(_table_kind(table), ((), []))
    units = _units(item_size(item))
    for index in indexes:
        if not all(k in item for k in index.keys):
            continue  # sparse: no index item
        if index.projection == "ALL":
            units += _units(item_size(item))
        else:
            kept = set(table_keys) | set(index.keys) | set(index.include)
            units += _units(item_size({k: v for k, v in item.items() if k in kept}))
    return units


def stored_bytes(kind: str, item: dict[str, Any]) -> int:
    """Bytes DynamoDB bills storage for: the item and each index item, + 100 bytes each."""
    table_keys, indexes = table_indexes().get(kind, ((), []))
    total = item_size(item) + 100
    for index in indexes:
        if not all(k in item for k in index.keys):
            continue
        if index.projection == "ALL":
            total += item_size(item) + 100
        else:
            kept = set(table_keys) | set(index.keys) | set(index.include)
            total += item_size({k: v for k, v in item.items() if k in kept}) + 100
    return total


def _read_units(items: list[dict[str, Any]], consistent: bool) -> float:
    units = max(1, math.ceil(sum(item_size(i) for i in items) / 4096))
    return units * (1.0 if consistent else 0.5)


@dataclass
class Meter:
    """AWS API calls of this process, with DynamoDB request units, time-stamped."""

    # t, service, operation, table kind, wru, rru
    calls: list[tuple[float, str, str, str, float, float]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    stored: dict[tuple[str, ...], int] = field(default_factory=dict)  # key -> item + index bytes
    item_bytes: dict[tuple[str, ...], int] = field(default_factory=dict)
    size_sum: dict[str, int] = field(default_factory=dict)  # table kind -> bytes of its items
    size_n: dict[str, int] = field(default_factory=dict)

    def record(self, service: str, op: str, params: dict[str, Any], response: dict[str, Any]) -> None:
        wru = rru = 0.0
        table = ""
        if service == "dynamodb":
            wru, rru = dynamodb_units(op, params, response)
            table = _table_kind(_table_of(params))
            if op in ("Query", "Scan") and _narrowed(params):
                rru = self._scanned_units(table, params, response)
        if service == "dynamodb":
            self._track_stored(op, params)
        with self.lock:
            self.calls.append((time.time(), service, op, table, wru, rru))

    def _track_stored(self, op: str, params: dict[str, Any]) -> None:
        """The stored size (table + index items) of every item this process put, per key: what
        DynamoDB bills per GB-month (each item and index item + 100 bytes of overhead)."""
        puts: list[tuple[str, dict[str, Any]]] = []
        if op == "PutItem":
            puts.append((params.get("TableName", ""), params.get("Item") or {}))
        elif op == "BatchWriteItem":
            puts += [(t, r["PutRequest"]["Item"]) for t, reqs in (params.get("RequestItems") or {}).items()
                     for r in reqs if "PutRequest" in r]
        elif op == "TransactWriteItems":
            puts += [(e["Put"]["TableName"], e["Put"]["Item"]) for e in params.get("TransactItems") or []
                     if "Put" in e]
        for tname, item in puts:
            kind = _table_kind(tname)
            table_keys, _ = table_indexes().get(kind, ((), []))
            key = (kind, *(str(item.get(k)) for k in table_keys))
            size = item_size(item)
            with self.lock:
                previous = self.item_bytes.get(key)
                if previous is None:
                    self.size_n[kind] = self.size_n.get(kind, 0) + 1
                self.size_sum[kind] = self.size_sum.get(kind, 0) + size - (previous or 0)
                self.item_bytes[key] = size
                self.stored[key] = stored_bytes(kind, item)

    def _scanned_units(self, kind: str, params: dict[str, Any], response: dict[str, Any]) -> float:
        """A filtered or projected Query/Scan is billed on the whole items it read (ScannedCount),
        not on what it returns: their mean stored size (the items this process wrote), or the
        returned size when larger (items written before the meter started)."""
        with self.lock:
            mean = self.size_sum.get(kind, 0) / self.size_n[kind] if self.size_n.get(kind) else 0.0
        index = params.get("IndexName")
        if index:
            names = _index_names(kind)
            if names.get(index, "ALL") != "ALL":
                mean = 0.0  # a narrow index item: what it returns is about what it holds
        scanned = int(response.get("ScannedCount", response.get("Count", 0)) or 0)
        returned = sum(item_size(i) for i in response.get("Items") or [])
        units = max(1, math.ceil(max(returned, scanned * mean) / 4096))
        return units * (1.0 if params.get("ConsistentRead") else 0.5)

    def stored_gb(self) -> dict[str, float]:
        by_kind: dict[str, float] = {}
        with self.lock:
            for key, size in self.stored.items():
                by_kind[key[0]] = by_kind.get(key[0], 0.0) + size / 1e9
        return by_kind

    def between(self, start: float, end: float) -> dict[str, Any]:
        ops: Counter[str] = Counter()
        wru = rru = 0.0
        by_table: dict[str, dict[str, float]] = {}
        by_operation: dict[str, dict[str, float]] = {}  # "transactions.BatchGetItem" -> units
        with self.lock:
            for t, svc, op, table, w, r in self.calls:
                if start <= t < end:
                    ops[f"{svc}.{op}"] += 1
                    wru += w
                    rru += r
                    if w or r:
                        units = by_table.setdefault(table, {"wru": 0.0, "rru": 0.0})
                        units["wru"] += w
                        units["rru"] += r
                        units = by_operation.setdefault(f"{table}.{op}", {"wru": 0.0, "rru": 0.0, "calls": 0})
                        units["wru"] += w
                        units["rru"] += r
                        units["calls"] += 1
        return {"ops": dict(ops), "wru": wru, "rru": rru, "by_table": by_table, "by_operation": by_operation}


def _narrowed(params: dict[str, Any]) -> bool:
    return any(params.get(k) for k in ("FilterExpression", "ProjectionExpression", "AttributesToGet",
                                        "QueryFilter", "ScanFilter"))


@functools.lru_cache(maxsize=16)
def _index_names(kind: str) -> dict[str, str]:
    from binsync_local.cloud.template import load_template

    for res in load_template(TEMPLATE)["Resources"].values():
        props = res.get("Properties") or {}
        name = props.get("TableName")
        if res.get("Type") == "AWS::DynamoDB::Table" and isinstance(name, dict) \
                and str(name.get("Fn::Sub", "")).endswith(f"-{kind}"):
            return {g["IndexName"]: g["Projection"]["ProjectionType"]
                    for g in props.get("GlobalSecondaryIndexes", [])}
    return {}


def _table_of(params: dict[str, Any]) -> str:
    """The table a DynamoDB request names (the first one of a batch or transaction)."""
    if params.get("TableName"):
        return str(params["TableName"])
    for name in params.get("RequestItems") or {}:
        return str(name)
    for entry in params.get("TransactItems") or []:
        for part in entry.values():
            if isinstance(part, dict) and part.get("TableName"):
                return str(part["TableName"])
    return ""


def dynamodb_units(op: str, params: dict[str, Any], response: dict[str, Any]) -> tuple[float, float]:
    consistent = bool(params.get("ConsistentRead"))
    table = params.get("TableName", "")
    if op == "PutItem":
        return _write_units(table, params.get("Item")), 0.0
    if op in ("UpdateItem", "DeleteItem"):
        return 1.0, 0.0
    if op == "BatchWriteItem":
        w = 0
        for tname, reqs in (params.get("RequestItems") or {}).items():
            for req in reqs:
                w += _write_units(tname, req["PutRequest"]["Item"]) if "PutRequest" in req else 1
        return float(w), 0.0
    if op == "TransactWriteItems":
        w = 0
        for entry in params.get("TransactItems") or []:
            put = entry.get("Put")
            w += 2 * (_write_units(put["TableName"], put["Item"]) if put else 1)
        return float(w), 0.0
    if op == "GetItem":  # an absent item still costs the minimum
        item = response.get("Item")
        return 0.0, _read_units([item] if item else [], consistent)
    if op == "BatchGetItem":  # each key is a GetItem of its own: rounded up to 4 KB per item
        rru = 0.0
        for tname, request in (params.get("RequestItems") or {}).items():
            rows = (response.get("Responses") or {}).get(tname, [])
            unprocessed = len(((response.get("UnprocessedKeys") or {}).get(tname) or {}).get("Keys") or [])
            factor = 1.0 if request.get("ConsistentRead") else 0.5
            absent = max(0, len(request.get("Keys") or []) - unprocessed - len(rows))
            rru += factor * (absent + sum(max(1, math.ceil(item_size(i) / 4096)) for i in rows))
        return 0.0, rru
    if op == "TransactGetItems":
        items = [r["Item"] for r in response.get("Responses") or [] if r.get("Item")]
        return 0.0, 2 * _read_units(items, True)
    if op in ("Query", "Scan"):
        return 0.0, _read_units(response.get("Items") or [], consistent)
    return 0.0, 0.0


@contextlib.contextmanager
def metering() -> Iterator[Meter]:
    """Count every botocore call of this process (the handlers run in it) while the block runs."""
    from botocore.client import BaseClient

    meter = Meter()
    original = BaseClient._make_api_call

    def counted(self: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
        response = original(self, operation_name, api_params)
        with contextlib.suppress(Exception):  # never let the meter break a call
            meter.record(self.meta.service_model.service_name, operation_name, api_params, response)
        return response

    BaseClient._make_api_call = counted  # type: ignore[method-assign]
    try:
        yield meter
    finally:
        BaseClient._make_api_call = original  # type: ignore[method-assign]


def state_transitions(history: list[dict[str, Any]]) -> int:
    return sum(1 for e in history if str(e.get("type", "")).endswith("StateEntered"))


def largest_state(history: list[dict[str, Any]]) -> int:
    """The largest state input or output of the execution, in bytes (Step Functions' limit: 256 KiB)."""
    best = 0
    for event in history:
        for details in event.values():
            if isinstance(details, dict):
                for key in ("input", "output"):
                    if isinstance(details.get(key), str):
                        best = max(best, len(details[key].encode()))
    return best


def price(records: dict[str, Any]) -> dict[str, float]:
    """Dollars per service for one scenario's records."""
    ops = records["aws_calls"]
    s3_put = sum(n for k, n in ops.items() if k.startswith("s3.") and k.split(".")[1] in
                 ("PutObject", "CopyObject", "ListObjectsV2", "ListObjects", "CreateMultipartUpload"))
    s3_get = sum(n for k, n in ops.items() if k.startswith("s3.")) - s3_put
    secrets = sum(n for k, n in ops.items() if k.startswith("secretsmanager."))
    out = {
        "lambda": (records["lambda_gb_s"] * prices.LAMBDA_ARM_GB_S
                   + records["lambda_invocations"] * prices.LAMBDA_REQUEST),
        "stepfunctions": (records["state_transitions"] * prices.SFN_STATE_TRANSITION
                          + records.get("express_requests", 0) * prices.SFN_EXPRESS_REQUEST
                          + records.get("express_gb_s", 0.0) * prices.SFN_EXPRESS_GB_S),
        "dynamodb": (records["wru"] * prices.DYNAMODB_WRITE_REQUEST_UNIT
                     + records["rru"] * prices.DYNAMODB_READ_REQUEST_UNIT),
        "secretsmanager": secrets * prices.SECRETS_API_CALL,
        "s3": s3_put * prices.S3_PUT + s3_get * prices.S3_GET,
        "logs": records["log_bytes"] / 1e9 * prices.LOGS_INGESTED_GB,
    }
    out["total"] = sum(out.values())
    return out


def _scenario(cloud: Any, meter: Meter, start: float, end: float,
              execution_arn: str | None, logs: logbytes.ByteCounter | None = None) -> dict[str, Any]:
    memory = {fn.short_name: fn.memory_mb for fn in cloud.functions.values()}
    invocations = [i for i in cloud.invocations if start <= i.started < end]
    by_fn: Counter[str] = Counter(i.function for i in invocations)
    gb_s = sum(i.duration_s * memory.get(i.function, 512) / 1024 for i in invocations)
    history = cloud.execution_history(execution_arn) if execution_arn else []
    calls = meter.between(start, end)
    # A Distributed Map's children are EXPRESS on AWS (MapChildExecutionType): the parent pays one
    # transition per child started, each child a request and its duration at 64 MB (rounded up to
    # 100 ms). Locally their states are not in the parent's history: one child per worker call.
    distributed = any((e.get("stateEnteredEventDetails") or {}).get("name") == "FetchDistributed"
                      for e in history)
    children = [i for i in invocations if i.function == "fetch_window"] if distributed else []
    records = {
        "lambda_invocations": len(invocations),
        "lambda_by_function": dict(by_fn),
        "lambda_gb_s": gb_s,
        "lambda_seconds_by_function": {f: round(sum(i.duration_s for i in invocations if i.function == f), 2)
                                       for f in by_fn},
        "state_transitions": state_transitions(history) + len(children),
        "express_requests": len(children),
        "express_gb_s": sum(math.ceil(i.duration_s * 10) / 10 for i in children) * 64 / 1024,
        "history_events": len(history),
        "largest_state_bytes": largest_state(history),
        "wru": calls["wru"],
        "rru": calls["rru"],
        "units_by_table": {k: {u: round(n, 1) for u, n in v.items()} for k, v in calls["by_table"].items()},
        "units_by_operation": {k: {u: round(n, 1) for u, n in v.items()}
                               for k, v in sorted(calls["by_operation"].items())},
        "aws_calls": calls["ops"],
        "log_bytes": (logs.between(start, end) if logs else 0)
        + sum(logbytes.platform_bytes(i.duration_s, memory.get(i.function, 512)) for i in invocations),
    }
    return {"records": records, "usd": price(records)}


def statement_file(account: Any, rows: int) -> bytes:
    """A statement of exactly `rows` data rows for `account`'s Binance uid: its own events first
    (they merge into the records the sync stored), then, if it has fewer, the events of the next
    seeds' accounts written as its own (statement-only rows), as bench.statement builds its file."""
    from binsync_local.emulator import generate_account, write_statement

    from bench.statement import _Merged

    accounts, total, seed = [account], sum(len(ev.rows) for ev in account.events), account.seed
    while total < rows:
        seed += 1
        extra = generate_account(account.profile, seed)
        accounts.append(extra)
        total += sum(len(ev.rows) for ev in extra.events)
    buffer = io.StringIO()
    write_statement(_Merged(accounts) if len(accounts) > 1 else account, buffer)  # type: ignore[arg-type]
    lines = buffer.getvalue().splitlines(keepends=True)
    return "".join(lines[:rows + 1]).encode("utf-8")  # header + rows


def import_statement(cloud: Any, account: Any, rows: int) -> dict[str, Any]:
    """The real upload path: POST /uploads, the S3 put, the notification to the parser Lambda,
    its DynamoDB writes and merges; polled through GET /uploads/{id} as a client would."""
    from binsync.storage.models import ConnectionModel
    from binsync_local.cli.demo_cmd import upload_file
    from binsync_local.cli.sync_cmd import DEFAULT_USER

    data = statement_file(account, rows)
    (conn,) = [c for c in ConnectionModel.scan() if c.user_id == DEFAULT_USER]
    out = upload_file(cloud, conn.connection_id, DEFAULT_USER, f"statement-{rows}.csv", data)
    cloud.wait_deliveries(600)
    reconciliation = out.get("reconciliation")
    if isinstance(reconciliation, dict):  # its per-asset results are ~200 KB: the counts suffice
        out["reconciliation"] = {k: v for k, v in reconciliation.items() if k != "results"}
    return out


def bench_cost(account: Any, *, time_scale: float, profile: str, ips: int = 32,
               statement_rows: int = 0) -> dict[str, Any]:
    """One full sync and one weekly resync of `account`, metered and priced; with
    `statement_rows`, then the import of a statement of that many rows through the upload path."""
    from binsync.storage.models import RunModel

    result: dict[str, Any] = {"profile": profile, "price_list": prices.PRICE_LIST_DATE,
                              "sources": prices.SOURCES, "time_scale": time_scale}

    def measure(cloud: Any, out: dict[str, Any]) -> None:
        full_run = _run_of(out, "full")
        resync_run = _run_of(out, "resync")
        upload_at = time.time()
        upload = import_statement(cloud, account, statement_rows) if statement_rows else None
        end = time.time()
        split = resync_run.started_at / 1000 if resync_run else upload_at
        full_arn = full_run.execution_arn if full_run else None
        result["full_sync"] = _scenario(cloud, meter, 0.0, split, full_arn, logs)
        result["full_sync"]["run"] = {k: out["full"].get(k) for k in ("status", "duration_s", "records")}
        if resync_run:
            result["weekly_resync"] = _scenario(cloud, meter, split, upload_at,
                                                resync_run.execution_arn, logs)
            result["weekly_resync"]["run"] = {k: (out.get("resync") or {}).get(k)
                                              for k in ("status", "duration_s", "records")}
        if upload is not None:
            result["statement_import"] = _scenario(cloud, meter, upload_at, end, None, logs)
            result["statement_import"]["upload"] = upload

    def _run_of(out: dict[str, Any], key: str) -> Any:
        if not out.get(key):
            return None
        runs = sorted(RunModel.scan(), key=lambda r: r.started_at)  # the full sync, then the resync
        index = 0 if key == "full" else 1
        return runs[index] if len(runs) > index else None

    with metering() as meter, logbytes.counting_logs() as logs:
        fullsync.sync_account(account, ips=ips, time_scale=time_scale, resync=True, on_cloud=measure)
    if "full_sync" in result:
        result["stored_gb"] = meter.stored_gb()
        result["connection_year"] = connection_year(result)
    return result


def connection_year(result: dict[str, Any]) -> dict[str, Any]:
    """One connection for a year once synced: 52 weekly resyncs, its secret for 12 months, and
    what it stores in DynamoDB (items + index items) for 12 months. The first year also pays the
    full sync (its own row)."""
    weekly = result.get("weekly_resync", {}).get("usd", {}).get("total", 0.0)
    stored_gb = sum((result.get("stored_gb") or {}).values())
    out = {"weekly_resyncs_usd": WEEKS_PER_YEAR * weekly, "secret_usd": 12 * prices.SECRET_MONTH,
           "storage_usd": 12 * stored_gb * prices.DYNAMODB_STORAGE_GB_MONTH, "stored_gb": stored_gb}
    parts = ("weekly_resyncs_usd", "secret_usd", "storage_usd")
    out["total_usd"] = sum(out[k] for k in parts)
    out["dominated_by"] = max(parts, key=lambda k: out[k])
    return out


def render(section: dict[str, Any]) -> list[str]:
    lines = ["", f"The bill ({section.get('profile')}; prices: {section.get('price_list')}):",
             "| scenario | Lambda | Step Functions | DynamoDB | Secrets Manager | S3 | Logs | total |",
             "|---|---|---|---|---|---|---|---|"]
    for key in ("full_sync", "weekly_resync", "statement_import"):
        usd = (section.get(key) or {}).get("usd")
        if usd:
            cells = ("lambda", "stepfunctions", "dynamodb", "secretsmanager", "s3", "logs", "total")
            lines.append(f"| {key} | " + " | ".join(f"${usd[k]:.5f}" for k in cells) + " |")
    year = section.get("connection_year")
    if year:
        lines.append(f"| connection-year | 52 resyncs ${year['weekly_resyncs_usd']:.4f} + secret "
                     f"${year['secret_usd']:.2f} + storage ${year.get('storage_usd', 0.0):.4f} "
                     f"| | | | | | ${year['total_usd']:.4f} |")
    return lines
