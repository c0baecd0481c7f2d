"""`binsync demo` (what `make demo` runs): the whole pipeline, locally, checked against truth.

1. generates a seeded account (`reference` profile: multi-year, ~1500 markets) and serves it
   with the Binance emulator, time-compressed (a Binance minute lasts 1/time-scale of a minute);
2. brings up the embedded cloud (template.yaml on moto, real handlers);
3. registers the emulator's key through the real API handler (POST /connections), which starts
   the full sync through the real state machine, fanned out over several loopback IPs, with a
   progress bar on stderr;
4. uploads the account's statement through the API's upload flow (parse_statement runs and
   merges it with the API records); by default the last 3 days of it, which overlap the API
   records (merged, not duplicated) and hold statement-only events, because moto's DynamoDB
   queries scan a user's whole partition and make a multi-year merge take very long locally;
5. prints a report: per product, what was stored against the emulator's ground truth (every
   spot fill, deposit, withdrawal, fiat record, convert and dust conversion the API can return
   must be stored exactly once), requests, weight, 429s/418s, duration, beyond-retention
   periods, reconciliation and the statement's import report.

Exit status 0 only when the ground-truth check passes.

The emulator runs in a forked child process by default (same code, same seeded account): the
embedded cloud, the handlers and moto already share one interpreter lock, and an emulator
competing for it would make the demo several times slower. `--in-process-emulator` keeps it in
this process.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import multiprocessing
import sys
import time
from collections import Counter, defaultdict
from typing import Any

from binsync_local.cli.errors import DEFAULT_TIME_SCALE, TIME_SCALE_HELP, time_scale
from binsync_local.cli.sync_cmd import (
    DEFAULT_USER,
    allow_base_url,
    export,
    quiet_function_logs,
    reuse_interpreter_lambda_clients,
    run_summary,
    stored_transactions,
)

# The products issue 5 guarantees: every record of these endpoints the API can return, stored once.
CHECKED_ENDPOINTS: tuple[str, ...] = ("spot.my_trades", "wallet.deposits", "wallet.withdrawals",
                                      "fiat.orders", "fiat.payments", "convert.trade_flow", "wallet.dust")


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("demo", help="full local pipeline against the emulator, with a report")
    p.add_argument("--profile", default="reference", choices=("small", "reference", "heavy"),
                   help="account size: small (seconds), reference (multi-year, ~1500 markets; default), "
                        "heavy (a very active trader)")
    p.add_argument("--seed", type=int, default=42,
                   help="random seed: the same profile and seed always give the same account")
    p.add_argument("--time-scale", type=time_scale, default=DEFAULT_TIME_SCALE, help=TIME_SCALE_HELP)
    p.add_argument("--ips", type=int, default=8, help="loopback egress addresses for the Map workers")
    p.add_argument("--timeout", type=float, default=1800.0,
                   help="seconds to wait for the sync before giving up (default 1800)")
    p.add_argument("--out", help="also export the transactions (JSON lines, or CSV for *.csv)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    p.add_argument("--no-statement", action="store_true", help="skip the statement upload")
    p.add_argument("--statement-days", type=int, default=3,
                   help="upload the statement of the last N days (0: the whole history; slow on moto, "
                        "whose queries scan a user's whole partition)")
    p.add_argument("--in-process-emulator", action="store_true",
                   help="run the emulator in this process instead of a child (slower; for debugging)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--verbose", action="store_true", help="show the functions' structured logs")
    p.set_defaults(func=run)


# ------------------------------------------------------------------ the emulator


def _serve_child(profile: str, seed: int, now_ms: int, time_scale: float, conn: Any) -> None:
    import os
    import threading

    from binsync_local.emulator.generator import generate_account
    from binsync_local.emulator.server import EmulatorServer

    parent = os.getppid()

    def orphan_watch() -> None:  # the demo was killed: do not outlive it
        while os.getppid() == parent:
            time.sleep(1)
        os._exit(0)

    threading.Thread(target=orphan_watch, daemon=True).start()
    server = EmulatorServer(generate_account(profile, seed, now_ms=now_ms), time_scale=time_scale).start()
    conn.send(server.credentials)
    conn.recv()  # the parent says stop
    server.stop()


class Emulator:
    """The emulator serving `account`, in this process or in a forked child."""

    def __init__(self, account: Any, profile: str, seed: int, time_scale: float, in_process: bool):
        self.account, self.profile, self.seed, self.time_scale = account, profile, seed, time_scale
        self.in_process = in_process
        self.server: Any = None
        self.process: Any = None
        self.conn: Any = None
        self.credentials: dict[str, Any] = {}

    def __enter__(self) -> Emulator:
        if self.in_process:
            from binsync_local.emulator.server import EmulatorServer

            self.server = EmulatorServer(self.account, time_scale=self.time_scale).start()
            self.credentials = self.server.credentials
            return self
        ctx = multiprocessing.get_context("fork")
        parent, child = ctx.Pipe()
        self.process = ctx.Process(target=_serve_child, daemon=True,
                                   args=(self.profile, self.seed, self.account.now_ms, self.time_scale,
                                         child))
        self.process.start()
        child.close()  # so that a child that dies is seen at once (EOF), not after the timeout
        self.conn = parent
        try:
            if not parent.poll(120):
                raise SystemExit("the emulator did not start within 120 s")
            self.credentials = parent.recv()
        except EOFError:
            raise SystemExit("the emulator stopped before serving (see its error above)") from None
        return self

    def __exit__(self, *exc: object) -> None:
        if self.server is not None:
            self.server.stop()
        if self.process is not None:
            with contextlib.suppress(BrokenPipeError, OSError):
                self.conn.send("stop")
            self.process.join(5)
            if self.process.is_alive():
                self.process.terminate()


# ------------------------------------------------------------------ checks


def ground_truth(account: Any, user_id: str) -> dict[str, Any]:
    """Stored API transactions per endpoint against what the emulator's API can return."""
    from binsync.storage.models import TransactionModel, account_key

    expected = account.truth().api_ids()
    stored: dict[str, list[str]] = defaultdict(list)
    all_ids: Counter[str] = Counter()
    sources: Counter[str] = Counter()
    for item in TransactionModel.by_account.query(account_key(user_id, str(account.uid)),
                                                  attributes_to_get=["tx_id", "source_kind", "source_ref"]):
        all_ids[item.tx_id] += 1
        sources[item.source_kind] += 1
        if item.source_kind == "api":
            stored[item.source_ref].append(item.tx_id)
    rows = []
    for name in sorted(set(expected) | set(stored)):
        want, got = expected.get(name, set()), stored.get(name, [])
        got_set = set(got)
        rows.append({"endpoint": name, "checked": name in CHECKED_ENDPOINTS, "expected": len(want),
                     "stored": len(got_set), "missing": len(want - got_set),
                     "unexpected": len(got_set - want),
                     "duplicates": len(got) - len(got_set)})
    duplicates = sum(n - 1 for n in all_ids.values() if n > 1)
    ok = duplicates == 0 and all(r["missing"] == 0 and r["unexpected"] == 0 and r["duplicates"] == 0
                                 for r in rows if r["checked"])
    return {"ok": ok, "endpoints": rows, "duplicate_ids": duplicates, "items_by_source": dict(sources)}


def upload_statement(cloud: Any, account: Any, connection_id: str, user_id: str,
                     days: int = 0) -> dict[str, Any]:
    """The API's upload flow: ask for an upload, put the file, read the parse report."""
    from binsync.storage.models import UploadModel

    from binsync_local.emulator.statement import write_statement

    buffer = io.StringIO()
    start_ms = account.now_ms - days * 86_400_000 if days else None
    write_statement(account, buffer, start_ms=start_ms)
    data = buffer.getvalue().encode("utf-8")
    status, _, ticket = cloud.api_request("POST", "/uploads", user=user_id, body={
        "connection_id": connection_id, "file_name": "statement.csv", "format": "statement",
        "size": len(data), "content_type": "text/csv"})
    if status != 201:
        return {"error": f"upload refused (HTTP {status})", "body": ticket}
    upload = UploadModel.get(user_id, ticket["upload_id"])
    cloud.put_upload(upload.s3_key, data)  # the S3 notification runs parse_statement now
    status, _, body = cloud.api_request("GET", f"/uploads/{ticket['upload_id']}", user=user_id)
    report = (body or {}).get("report") or {}
    return {"upload_id": ticket["upload_id"], "status": (body or {}).get("status"), "bytes": len(data),
            "period": f"last {days} days" if days else "whole history",
            **{k: report.get(k) for k in ("rows", "imported", "merged_as_duplicate", "rejected_count",
                                          "already_present", "error") if k in report}}


# ------------------------------------------------------------------ report


def _ms(ms: int | None) -> str:
    if not ms:
        return "-"
    return time.strftime("%Y-%m-%d", time.gmtime(ms / 1000))


def print_report(report: dict[str, Any], out: Any = sys.stdout) -> None:
    w = out.write
    s = report["sync"]
    w(f"\nbinsync demo: profile {report['profile']} seed {report['seed']} uid {report['uid']} "
      f"(time scale x{report['time_scale']:g}, {report['ips']} egress IPs)\n")
    w(f"sync {s['status']} in {s['duration_s']:.1f} s: {s['tasks']} tasks, "
      f"{s['records_new']} records stored, "
      f"{s['requests']} requests, weight {s['weight']}, 429s {s['http_429']}, 418s {s['http_418']}\n\n")
    w(f"{'endpoint':<32}{'truth':>8}{'stored':>8}{'missing':>9}{'extra':>7}{'dups':>6}  check\n")
    for phase in ("after_sync", "after_statement"):
        gt = report.get(phase)
        if not gt:
            continue
        w(f"-- {phase.replace('_', ' ')}: {'PASS' if gt['ok'] else 'FAIL'} "
          f"(items by source: {gt['items_by_source']}, duplicate ids: {gt['duplicate_ids']})\n")
        for r in gt["endpoints"]:
            mark = ("ok" if r["missing"] == r["unexpected"] == r["duplicates"] == 0 else "FAIL") \
                if r["checked"] else "(other issue)" if r["stored"] == 0 else ""
            w(f"{r['endpoint']:<32}{r['expected']:>8}{r['stored']:>8}{r['missing']:>9}{r['unexpected']:>7}"
              f"{r['duplicates']:>6}  {mark}\n")
    w("\nbeyond the API's reach (to be filled from the statement):\n")
    for b in s.get("beyond_retention") or []:
        what = b.get("symbol") or json.dumps(b.get("params")) if b.get("symbol") or b.get("params") else ""
        w(f"  {b['endpoint']:<28} {what:<14} before {_ms(b.get('before')):<11} {b['reason']}\n")
    rec = s.get("reconciliation") or {}
    if rec.get("differences") is not None:
        w(f"\nreconciliation of spot balances vs /api/v3/account: "
          f"{rec['matched']}/{rec['assets']} assets match"
          f"{'' if rec.get('balanced') else ' (differences: products not synced yet or beyond the API)'}\n")
        for d in rec["differences"][:10]:
            w(f"  {d['asset']:<8} stored {d['stored']:>22} binance {d['binance']:>22} "
              f"diff {d['difference']}\n")
    if report.get("statement"):
        w(f"\nstatement upload: {json.dumps(report['statement'])}\n")
    w(f"\nground truth check: {'PASS' if report['ok'] else 'FAIL'}\n")


# ------------------------------------------------------------------ the command


def run(args: argparse.Namespace) -> int:
    from binsync_local.cli.sync_cmd import sync_once
    from binsync_local.cloud import LocalCloud
    from binsync_local.emulator.generator import generate_account

    started = time.monotonic()
    sys.stderr.write(f"generating the {args.profile} account (seed {args.seed})...\n")
    account = generate_account(args.profile, args.seed)
    report: dict[str, Any] = {"profile": args.profile, "seed": args.seed, "uid": account.uid,
                              "time_scale": args.time_scale, "ips": args.ips}
    with Emulator(account, args.profile, args.seed, args.time_scale, args.in_process_emulator) as emulator:
        creds = emulator.credentials
        allow_base_url(creds["base_url"])
        sys.stderr.write(f"emulator at {creds['base_url']}; starting the embedded cloud...\n")
        with LocalCloud(egress_ips=args.ips, fast_retries=True) as cloud, reuse_interpreter_lambda_clients():
            if not args.verbose:
                quiet_function_logs()
            view, run_ = sync_once(cloud, base_url=creds["base_url"], api_key=creds["api_key"],
                                   api_secret=creds["api_secret"], key_type="hmac", mode="full",
                                   timeout=args.timeout, progress=not args.no_progress)
            execution = cloud.client("stepfunctions").describe_execution(executionArn=run_.execution_arn)
            report["sync"] = run_summary(run_, execution)
            report["after_sync"] = ground_truth(account, DEFAULT_USER)
            verdict = "PASS" if report["after_sync"]["ok"] else "FAIL"
            sys.stderr.write(f"ground truth after the sync: {verdict} "
                             f"({report['after_sync']['items_by_source']})\n")
            if not args.no_statement:
                sys.stderr.write("uploading the account statement...\n")
                report["statement"] = upload_statement(cloud, account, view["connection_id"], DEFAULT_USER,
                                                       days=args.statement_days)
                report["after_statement"] = ground_truth(account, DEFAULT_USER)
            if args.out:
                report["exported"] = {"file": args.out,
                                      "transactions": export(stored_transactions(DEFAULT_USER), args.out)}
    report["ok"] = (run_.status == "succeeded" and report["after_sync"]["ok"]
                    and (args.no_statement or report["after_statement"]["ok"]))
    report["wall_s"] = round(time.monotonic() - started, 1)
    if args.json:
        print(json.dumps(report, indent=2, default=str))
    else:
        print_report(report)
        print(f"total wall time {report['wall_s']} s")
    return 0 if report["ok"] else 1
