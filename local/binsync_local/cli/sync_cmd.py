"""`binsync sync`: sync one Binance account (emulated or real) on the embedded cloud, export it.

    binsync sync --base-url URL --api-key K --api-secret S [--key-type hmac|rsa|ed25519]
                 [--ips N] [--mode full|since_last|incremental] [--out FILE]
                 [--statement FILE [FILE ...]]

Brings up the embedded cloud (template.yaml on moto, real handlers), registers the key through
the real API handler (POST /connections, which validates it and starts the first sync), follows
the run through the real state machine with a progress bar on stderr, prints the run summary
as JSON on stdout and exports the stored transactions to FILE (JSON lines, or CSV for *.csv).
With `--statement`, each file goes through the API's upload flow after the sync (parsed, merged
with the API records); the summary then carries each file's report and the reconciliation of
every wallet after the last one, and its line `reconciliation: N/N assets balance in W wallets`
goes to stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

DEFAULT_USER = "local-user"
TERMINAL = ("succeeded", "failed")


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("sync", help="sync one account on the embedded cloud and export it")
    p.add_argument("--base-url", required=True, help="Binance (or emulator) REST base URL")
    p.add_argument("--api-key", required=True, help="the Binance API key (read-only is enough)")
    p.add_argument("--api-secret", required=True,
                   help="HMAC secret or PEM private key: @FILE reads it from FILE, env:NAME from the "
                        "environment variable NAME (prefer either: a command line shows in `ps`)")
    p.add_argument("--key-type", choices=("hmac", "rsa", "ed25519"), default="hmac",
                   help="how the key signs requests (default hmac)")
    p.add_argument("--ips", type=int, default=8, help="loopback egress addresses for the Map workers")
    p.add_argument("--mode", choices=("full", "since_last", "incremental"), default="full",
                   help="full: the whole history; since_last: from the last successful sync's end; "
                        "incremental: from there minus 2 days (late records)")
    p.add_argument("--out", help="export file: .csv for CSV, anything else for JSON lines")
    p.add_argument("--statement", nargs="+", metavar="FILE", default=[],
                   help="Binance statement files (Transaction History CSV, ZIP or XLSX) to upload after "
                        "the sync, in the same run: merged with the API records, then every wallet is "
                        "reconciled again")
    p.add_argument("--timeout", type=float, default=3600.0,
                   help="seconds to wait for the sync before giving up (default 3600)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    p.add_argument("--verbose", action="store_true",
                   help="show the functions' structured logs (on stderr; stdout keeps the JSON summary)")
    p.add_argument("--mining-account", action="append", default=[], metavar="USERNAME[:ALGO]",
                   help="a pool mining account to sync (repeatable; algo defaults to sha256)")
    p.set_defaults(func=run)


# ------------------------------------------------------------------ shared with `binsync demo`


@contextlib.contextmanager
def reuse_interpreter_lambda_clients() -> Iterator[None]:
    """Let moto's Step Functions interpreter reuse one Lambda client per region.

    It creates a fresh boto3 client for every Task state (moto 5.2.5,
    `lambda_eval_utils.boto_client_for`), which costs more CPU than the invocation itself and,
    with every handler sharing one interpreter lock, throttles the whole fan-out. Clients are
    thread-safe; the cache is keyed on whether moto intercepts calls (in-process) or not.
    """
    from moto.core.models import botocore_stubber
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils

    original = lambda_eval_utils.boto_client_for
    cache: dict[tuple[Any, ...], Any] = {}
    lock = threading.Lock()

    def cached(region: str, service: str, state_credentials: Any = None) -> Any:
        key = (region, service, botocore_stubber.enabled)
        with lock:
            if key not in cache:
                cache[key] = original(region, service, state_credentials)
            return cache[key]

    lambda_eval_utils.boto_client_for = cached
    try:
        yield
    finally:
        lambda_eval_utils.boto_client_for = original


def quiet_function_logs(level: str = "WARNING") -> None:
    """Keep the handlers' structured logs (INFO in template.yaml) off the terminal.

    Called after the cloud applied the template's environment and before any handler module is
    imported, so the handlers' loggers are created at this level."""
    os.environ["POWERTOOLS_LOG_LEVEL"] = level
    os.environ["POWERTOOLS_METRICS_DISABLED"] = "true"
    import logging

    logging.getLogger("moto").setLevel(logging.CRITICAL)


def allow_base_url(base_url: str) -> None:
    """Let the API accept this base URL (only Binance is accepted otherwise)."""
    allowed = [u for u in os.environ.get("BINSYNC_ALLOW_BASE_URLS", "").split(",") if u]
    url = base_url.rstrip("/")
    if url not in allowed:
        os.environ["BINSYNC_ALLOW_BASE_URLS"] = ",".join([*allowed, url])


def is_loopback(base_url: str) -> bool:
    host = urlsplit(base_url).hostname or ""
    return host == "localhost" or host.startswith("127.") or host == "::1"


def mining_accounts_of(values: list[str]) -> list[dict[str, str]]:
    """`USERNAME[:ALGO]` arguments -> the POST /connections `mining_accounts` list."""
    out = []
    for value in values:
        name, _, algo = value.partition(":")
        out.append({"userName": name, "algo": algo or "sha256"})
    return out


def register_key(cloud: Any, *, base_url: str, api_key: str, api_secret: str, key_type: str,
                 mode: str, user: str = DEFAULT_USER,
                 mining_accounts: list[dict[str, str]] | None = None) -> dict[str, Any]:
    """POST /connections through the real API handler; returns the connection view."""
    status, _headers, body = cloud.api_request("POST", "/connections", user=user, body={
        "api_key": api_key, "api_secret": api_secret, "key_type": key_type, "base_url": base_url,
        "sync_mode": mode, "label": "cli", "start_sync": True, "mining_accounts": mining_accounts or []})
    if status != 201:
        raise SystemExit(f"registration refused (HTTP {status}): {json.dumps(body, indent=2)}")
    return body


STALL_S = 3.0  # no new request for this long while running: say what the sync is waiting on


def waiting_hint(view: dict[str, Any], previous: dict[str, Any] | None, stalled_s: float) -> str:
    """Why the bar does not move, in words: Binance refusing (429/418), or the client pacing its
    requests to Binance's rate limits (which a larger --time-scale shortens on the emulator)."""
    if previous is None or view.get("status") != "running":
        return ""
    if (view.get("http_418") or 0) > (previous.get("http_418") or 0):
        return " | waiting: Binance banned an IP for a while (418)"
    if (view.get("http_429") or 0) > (previous.get("http_429") or 0):
        return " | waiting: Binance rate limit hit (429, Retry-After)"
    if stalled_s >= STALL_S:
        return (f" | no request for {stalled_s:.0f}s: pacing to Binance's rate limits "
                "(or a slow answer; locally --time-scale shortens the limits' minute)")
    return ""


class ProgressBar:
    def __init__(self, enabled: bool, width: int = 30):
        self.enabled = enabled
        self.width = width
        self.started = time.monotonic()
        self.previous: dict[str, Any] | None = None
        self.last_request_at = self.started

    def show(self, view: dict[str, Any]) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if self.previous is None or (view.get("requests") or 0) != (self.previous.get("requests") or 0):
            self.last_request_at = now
        hint = waiting_hint(view, self.previous, now - self.last_request_at)
        self.previous = dict(view)
        total, done = view.get("tasks_total") or 0, view.get("tasks_done") or 0
        frac = done / total if total else 0.0
        filled = int(self.width * frac)
        bar = "#" * filled + "-" * (self.width - filled)
        line = (f"\r[{bar}] {100 * frac:5.1f}% {view.get('status', ''):<9} tasks {done}/{total} "
                f"records {view.get('records', 0)} requests {view.get('requests', 0)} "
                f"weight {view.get('weight', 0)} 429s {view.get('http_429', 0)} "
                f"418s {view.get('http_418', 0)} "
                f"{time.monotonic() - self.started:5.0f}s{hint}")
        sys.stderr.write(line + "\x1b[K")  # clear what a longer previous line left
        sys.stderr.flush()

    def close(self) -> None:
        if self.enabled:
            sys.stderr.write("\n")
            sys.stderr.flush()


def follow_run(cloud: Any, connection_id: str, run_id: str, *, timeout: float,
               progress: ProgressBar) -> Any:
    """Poll the run (what GET /connections/{id} shows) until it ends and its execution stops."""
    from binsync.storage.models import RunModel
    from binsync.sync.progress import live_progress

    deadline = time.monotonic() + timeout
    while True:
        run = RunModel.get(connection_id, run_id)
        progress.show(live_progress(run, with_products=False))
        if run.status in TERMINAL:
            break
        if time.monotonic() > deadline:
            progress.close()
            raise SystemExit(f"sync still {run.status} after {timeout:.0f}s")
        time.sleep(0.25)
    progress.close()
    if run.execution_arn:
        cloud.wait_execution(run.execution_arn, timeout=max(5.0, deadline - time.monotonic()))
    return RunModel.get(connection_id, run_id)


def whole(value: Any) -> Any:
    """A run summary as stored, or its S3 copy when it outgrew the item (storage.documents)."""
    from binsync.storage import documents

    return documents.load(value)


def run_summary(run: Any, execution: dict[str, Any] | None = None) -> dict[str, Any]:
    from binsync.storage import documents  # summaries a heavy account keeps in S3
    duration = ((run.finished_at or 0) - run.started_at) / 1000 if run.finished_at else None
    out = {"run_id": run.run_id, "status": run.status, "mode": run.mode,
           "duration_s": duration, "tasks": int(run.tasks_total or 0),
           "tasks_done": int(run.tasks_done or 0), "records_new": int(run.records or 0),
           "requests": int(run.requests or 0), "weight": int(run.weight or 0),
           "http_429": int(run.http_429 or 0), "http_418": int(run.http_418 or 0),
           "counts": run.counts, "coverage": documents.load(run.coverage),
           "beyond_retention": documents.load(run.beyond_retention),
           "reconciliation": documents.load(run.reconciliation),
           "completeness": documents.load(run.completeness), "error": run.error,
           **(documents.load(run.near_duplicates) or {})}
    if execution is not None:
        out["execution"] = {"status": execution.get("status"), "error": execution.get("error"),
                            "cause": execution.get("cause")}
    return out


def stored_transactions(user_id: str) -> list[dict[str, Any]]:
    from binsync.storage.models import TransactionModel

    return [item.body for item in TransactionModel.query(user_id)]


def export(transactions: list[dict[str, Any]], path: str) -> int:
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.suffix.lower() == ".csv":
        # The schema of GET /exports/transactions.csv (binsync.transactions.export), cells escaped.
        from binsync.csv_safety import safe_row
        from binsync.model import Transaction
        from binsync.transactions.export import TRANSACTIONS_HEADER, Annotated, transaction_rows

        with target.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh, lineterminator="\r\n")
            writer.writerow(TRANSACTIONS_HEADER)
            items = (Annotated(Transaction.from_dict(tx)) for tx in transactions)
            writer.writerows(safe_row(row) for row in transaction_rows(items))
    else:
        with target.open("w", encoding="utf-8") as fh:
            for tx in transactions:
                fh.write(json.dumps(tx, sort_keys=True) + "\n")
    return len(transactions)


def sync_once(cloud: Any, *, base_url: str, api_key: str, api_secret: str, key_type: str, mode: str,
              timeout: float, progress: bool, user: str = DEFAULT_USER,
              mining_accounts: list[dict[str, str]] | None = None) -> tuple[dict[str, Any], Any]:
    """Register the key (which starts the sync) and follow the run to its end."""
    view = register_key(cloud, base_url=base_url, api_key=api_key, api_secret=api_secret,
                        key_type=key_type, mode=mode, user=user, mining_accounts=mining_accounts)
    run_view = view.get("current_run")
    if not run_view:
        raise SystemExit(f"the registration started no sync: {json.dumps(view, indent=2)}")
    run = follow_run(cloud, view["connection_id"], run_view["run_id"], timeout=timeout,
                     progress=ProgressBar(progress))
    return view, run


# ------------------------------------------------------------------ the command


def run(args: argparse.Namespace) -> int:
    from binsync_local.cloud import LocalCloud

    from .errors import read_secret

    api_secret = read_secret(args.api_secret)
    allow_base_url(args.base_url)
    # Everything but the summary goes to stderr: Powertools' loggers write to the sys.stdout they
    # find when the handlers are imported, which happens inside this block.
    with contextlib.redirect_stdout(sys.stderr), \
            LocalCloud(egress_ips=args.ips, fast_retries=is_loopback(args.base_url)) as cloud, \
            reuse_interpreter_lambda_clients():
        if not args.verbose:
            quiet_function_logs()
        view, run_ = sync_once(cloud, base_url=args.base_url, api_key=args.api_key,
                               api_secret=api_secret, key_type=args.key_type, mode=args.mode,
                               timeout=args.timeout, progress=not args.no_progress,
                               mining_accounts=mining_accounts_of(args.mining_account))
        execution = cloud.client("stepfunctions").describe_execution(executionArn=run_.execution_arn) \
            if run_.execution_arn else None
        summary = run_summary(run_, execution)
        summary["connection_id"] = view["connection_id"]
        summary["binance_uid"] = view["binance_uid"]
        if args.statement:
            summary["statements"] = upload_statement_files(cloud, view["connection_id"], args.statement)
            last = next((f["reconciliation"] for f in reversed(summary["statements"])
                         if f.get("reconciliation")), None)
            if last is not None:
                summary["reconciliation"] = last
        if args.out:
            summary["exported"] = {"file": args.out, "transactions": export(stored_transactions(DEFAULT_USER),
                                                                             args.out)}
    print(json.dumps(summary, indent=2, default=str))
    print(completeness_line(whole(run_.completeness)), file=sys.stderr)
    from binsync.sync.reconcile_wallets import summary_line

    if isinstance(summary.get("reconciliation"), dict) and "results" in summary["reconciliation"]:
        sys.stderr.write(summary_line(summary["reconciliation"]) + "\n")
    failed = [f for f in summary.get("statements", []) if f.get("status") != "done"]
    return 0 if run_.status == "succeeded" and not failed else 1


def completeness_line(completeness: dict[str, Any] | None) -> str:
    """The run's completeness state in words (binsync.sync.completeness), one gap per line."""
    if not completeness:
        return "completeness: not assessed (the run ended before its Finish step)"
    lines = [f"completeness: {completeness['words']}"]
    lines += [f"  gap: {gap['words']}" for gap in completeness.get("gaps", [])[:20]]
    if completeness.get("gaps_total", 0) > 20:
        lines.append(f"  ... and {completeness['gaps_total'] - 20} more gaps")
    return "\n".join(lines)


def upload_statement_files(cloud: Any, connection_id: str, paths: list[str]) -> list[dict[str, Any]]:
    """Each file through the API's upload flow, in order; a file that cannot be read is reported."""
    from binsync_local.cli.demo_cmd import upload_file

    out = []
    for name in paths:
        path = Path(name)
        try:
            data = path.read_bytes()
        except OSError as exc:
            out.append({"file": name, "status": "failed", "error": f"cannot read the file: {exc.strerror}"})
            continue
        out.append(upload_file(cloud, connection_id, DEFAULT_USER, path.name, data))
    return out
