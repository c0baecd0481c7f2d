"""`binsync demo` (what `make demo` runs): the whole pipeline, locally, checked against truth.

1. generates a seeded account (`reference` profile: multi-year, ~1500 markets) and serves it
   with the Binance emulator, time-compressed (a Binance minute lasts 1/time-scale of a minute);
2. brings up the embedded cloud (template.yaml on moto, real handlers);
3. registers the emulator's key through the real API handler (POST /connections), which starts
   the full sync through the real state machine, fanned out over several loopback IPs, with a
   progress bar on stderr;
4. uploads the account's statement the way a user downloads it: one file per year since the
   account opened, each overlapping the next by a week, through the API's upload flow
   (parse_statement merges each with the API records and reconciles every wallet again);
5. prints one report: per endpoint the emulator serves, what was stored against its ground
   truth, the statement's effect in words, and the reconciliation of every asset of every
   wallet; the last line is `reconciliation: N/N assets balance in W wallets`.

Exit status 0 only when the ground-truth check passes on every endpoint and every asset of every
wallet balances.

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
    completeness_line,
    export,
    quiet_function_logs,
    reuse_interpreter_lambda_clients,
    run_summary,
    stored_transactions,
    whole,
)


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
    """Stored API transactions per endpoint against what the emulator's API can return: every
    endpoint the emulator serves is checked, none is left out."""
    from binsync.storage.models import TransactionModel, account_key

    expected = account.truth().api_ids()
    stored: dict[str, list[str]] = defaultdict(list)
    all_ids: Counter[str] = Counter()
    sources: Counter[str] = Counter()
    wanted = ["tx_id", "source_kind", "source_ref", "body"]
    for item in TransactionModel.by_account.query(account_key(user_id, str(account.uid)),
                                                  attributes_to_get=wanted):
        all_ids[item.tx_id] += 1
        sources[item.source_kind] += 1
        if item.source_kind == "api":
            stored[item.source_ref].append(item.tx_id)
            # One record reported by several endpoints names them all (storage/api_sources.py).
            body = item.body if isinstance(item.body, dict) else json.loads(item.body or "{}")
            for other in (body.get("meta") or {}).get("sources") or []:
                if other.get("ref") and other["ref"] != item.source_ref:
                    stored[other["ref"]].append(item.tx_id)
    rows = []
    for name in sorted(set(expected) | set(stored)):
        want, got = expected.get(name, set()), stored.get(name, [])
        got_set = set(got)
        rows.append({"endpoint": name, "expected": len(want), "stored": len(got_set),
                     "missing": len(want - got_set), "unexpected": len(got_set - want),
                     "duplicates": len(got) - len(got_set)})
    duplicates = sum(n - 1 for n in all_ids.values() if n > 1)
    ok = duplicates == 0 and all(r["missing"] == 0 and r["unexpected"] == 0 and r["duplicates"] == 0
                                 for r in rows)
    return {"ok": ok, "endpoints": rows, "duplicate_ids": duplicates, "items_by_source": dict(sources)}


STATEMENT_OVERLAP_MS = 7 * 86_400_000  # each yearly file reaches a week into the next year


def statement_files(account: Any, overlap_ms: int = STATEMENT_OVERLAP_MS) -> list[tuple[str, bytes]]:
    """The statement as a user downloads it: one file per calendar year since the account
    opened (Binance exports at most a year per file), each overlapping its neighbours by a week."""
    from datetime import UTC, datetime

    from binsync_local.emulator.statement import write_statement, years

    files = []
    for year in years(account):
        lo = int(datetime(year, 1, 1, tzinfo=UTC).timestamp() * 1000) - overlap_ms
        hi = int(datetime(year + 1, 1, 1, tzinfo=UTC).timestamp() * 1000) + overlap_ms
        buffer = io.StringIO()
        write_statement(account, buffer, start_ms=lo, end_ms=hi)
        files.append((f"statement-{year}.csv", buffer.getvalue().encode("utf-8")))
    return files


CONTENT_TYPE_OF = {"csv": "text/csv", "zip": "application/zip",
                   "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def upload_file(cloud: Any, connection_id: str, user_id: str, name: str, data: bytes) -> dict[str, Any]:
    """The API's upload flow: ask for an upload, put the file, read the parse report."""
    from binsync.storage.models import UploadModel

    suffix = name.rsplit(".", 1)[-1].lower()
    content_type = CONTENT_TYPE_OF.get(suffix, "text/csv")
    status, _, ticket = cloud.api_request("POST", "/uploads", user=user_id, body={
        "connection_id": connection_id, "file_name": name, "format": "statement",
        "size": len(data), "content_type": content_type})
    if status != 201:
        return {"file": name, "error": f"upload refused (HTTP {status})", "body": ticket}
    upload = UploadModel.get(user_id, ticket["upload_id"])
    started = time.monotonic()
    # The S3 notification is asynchronous, as on AWS: poll the upload's status as a client would.
    cloud.put_upload(upload.s3_key, data, wait=False)
    body = wait_for_upload(cloud, user_id, ticket["upload_id"])
    report = (body or {}).get("report") or {}
    return {"file": name, "upload_id": ticket["upload_id"], "status": (body or {}).get("status"),
            "bytes": len(data), "seconds": round(time.monotonic() - started, 1),
            **{k: report.get(k) for k in ("rows", "imported", "merged_as_duplicate", "rejected_count",
                                          "already_present", "period", "error", "reconciliation",
                                          "unknown_operations") if k in report},
            "reward_records": int((report.get("reward_records") or {}).get("rows") or 0)}


def wait_for_upload(cloud: Any, user_id: str, upload_id: str, poll_s: float = 0.2,
                    limit_s: float = 3600) -> dict[str, Any]:
    """GET /uploads/{id} until the parse has finished (`finished_at` is set: a `done` upload shows
    its rows first, then its reconciliation), or nothing more can change it (the local event
    queue was empty before the read: every retry and the DLQ are done)."""
    deadline = time.monotonic() + limit_s
    while True:
        idle = cloud.router.deliveries.pending == 0
        _status, _, body = cloud.api_request("GET", f"/uploads/{upload_id}", user=user_id)
        body = body or {}
        finished = body.get("finished_at") is not None or body.get("status") == "needs_timezone"
        if finished or idle or time.monotonic() > deadline:
            return body
        time.sleep(poll_s)


def upload_statements(cloud: Any, account: Any, connection_id: str, user_id: str) -> dict[str, Any]:
    pending = statement_files(account)
    files = []
    for i, (name, data) in enumerate(pending, 1):
        files.append(upload_file(cloud, connection_id, user_id, name, data))
        done = files[-1]
        sys.stderr.write(f"  {i}/{len(pending)} {name}: {done.get('status')} in {done.get('seconds')} s\n")
    total = {k: sum(int(f.get(k) or 0) for f in files)
             for k in ("rows", "imported", "merged_as_duplicate", "already_present", "rejected_count",
                       "reward_records")}
    return {"files": files, **total,
            "reconciliation": next((f["reconciliation"] for f in reversed(files) if f.get("reconciliation")),
                                   None)}


# ------------------------------------------------------------------ report


def _ms(ms: int | None) -> str:
    if not ms:
        return "-"
    return time.strftime("%Y-%m-%d", time.gmtime(ms / 1000))


def _verdict(r: dict[str, Any]) -> str:
    problems = [f"{r['missing']} missing" if r["missing"] else "",
                f"{r['unexpected']} extra" if r["unexpected"] else "",
                f"{r['duplicates']} stored twice" if r["duplicates"] else ""]
    problems = [p for p in problems if p]
    return ", ".join(problems) if problems else "every record stored once"


def print_truth_table(gt: dict[str, Any], w: Any) -> None:
    w(f"{'endpoint':<32}{'API has':>9}{'stored':>9}  result\n")
    for r in gt["endpoints"]:
        w(f"{r['endpoint']:<32}{r['expected']:>9}{r['stored']:>9}  {_verdict(r)}\n")
    by_source = gt["items_by_source"]
    w(f"stored transactions: {by_source.get('api', 0)} read through the API, "
      f"{by_source.get('statement', 0)} only in the statement; "
      f"{gt['duplicate_ids']} transaction ids stored twice\n")


def print_statement(st: dict[str, Any], w: Any) -> None:
    files = st["files"]
    failed = [f for f in files if f.get("status") != "done"]
    w(f"\nstatement: {len(files)} yearly files uploaded ({', '.join(f['file'] for f in files)}), "
      f"each overlapping the next by a week, {st['rows']} rows in all.\n")
    w(f"  {st['imported']} transactions came only from the statement (history the API no longer returns "
      f"or never did),\n  {st['merged_as_duplicate']} statement events were recognised as records the API "
      f"had already given and merged into them,\n  {st['already_present']} were already stored from an "
      f"overlapping file, and {st['rejected_count']} rows were rejected.\n")
    if st.get("reward_records"):
        w(f"  {st['reward_records']} rows were Simple Earn reward records (the Account Earn twin that 2024+ "
          f"exports write beside each reward's payment):\n  kept with no legs and linked to their payment, "
          f"so each reward is income once.\n")
    for f in failed:
        w(f"  {f['file']}: {f.get('status')} {f.get('error') or ''}\n")


def _amount(text: str | None) -> str:
    return "-" if text is None else text


def print_reconciliation(rec: dict[str, Any] | None, w: Any) -> None:
    from binsync.sync.reconcile_wallets import summary_line

    if not rec or rec.get("error") or "results" not in rec:
        w(f"\nreconciliation could not run: {(rec or {}).get('error', 'no report')} "
          f"{(rec or {}).get('message', '')}\n")
        return
    w("\nreconciliation: every asset of every wallet, balance rebuilt from the stored transactions "
      "against Binance's\n")
    w(f"{'wallet':<17}{'assets':>7}{'balance':>9}  differences and their most likely cause\n")
    by_wallet: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rec["results"]:
        by_wallet[r["wallet"]].append(r)
    for wallet, rows in sorted(by_wallet.items()):
        ok = sum(r["status"] == "balanced" for r in rows)
        unchecked = [r for r in rows if r["status"] == "not_checked"]
        note = (f"not checked: {unchecked[0]['reason']}" if unchecked else
                "all balance to the last unit" if ok == len(rows) else "")
        w(f"{wallet:<17}{len(rows):>7}{ok:>9}  {note}\n")
        for r in rows:
            if r["status"] == "difference":
                p = r["period"]
                w(f"{'':<17}{r['asset']:>7}  stored {r['stored']} vs Binance {_amount(r['live'])} "
                  f"(off by {r['difference']}): {r['cause_words']}, between {_ms(p['from_ms'])} and "
                  f"{_ms(p['to_ms'])}\n")
    w(summary_line(rec) + "\n")


def print_report(report: dict[str, Any], out: Any = sys.stdout) -> None:
    w = out.write
    s = report["sync"]
    w(f"\nbinsync demo: profile {report['profile']} seed {report['seed']} uid {report['uid']} "
      f"(time scale x{report['time_scale']:g}, {report['ips']} egress IPs)\n")
    w(f"sync {s['status']} in {s['duration_s']:.1f} s: {s['tasks']} tasks, "
      f"{s['records_new']} records stored, "
      f"{s['requests']} requests, weight {s['weight']}, 429s {s['http_429']}, 418s {s['http_418']}\n\n")
    final = report.get("after_statement") or report["after_sync"]
    w("every record the emulator's API can return, against what binsync stored"
      f"{' (after the statement upload)' if report.get('after_statement') else ''}:\n")
    print_truth_table(final, w)
    beyond = s.get("beyond_retention") or []
    if beyond:
        w("\nbeyond the API's reach (the statement fills these):\n")
        for b in beyond:
            what = b.get("symbol") or ", ".join(f"{k}={v}" for k, v in (b.get("params") or {}).items())
            w(f"  {b['endpoint']:<28} {what:<18} before {_ms(b.get('before')):<11} {b['reason']}\n")
    w(f"\nafter the sync, {completeness_line(s.get('completeness'))}\n")
    if report.get("completeness_after_statement"):
        w(f"after the statement upload, {completeness_line(report['completeness_after_statement'])}\n")
    if report.get("statement"):
        print_statement(report["statement"], w)
    w(f"\nground truth check: {'PASS' if final['ok'] else 'FAIL'}\n")
    print_reconciliation(report.get("reconciliation"), w)


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
                                   timeout=args.timeout, progress=not args.no_progress,
                                   mining_accounts=[{"userName": account.mining_user, "algo": "sha256"}])
            execution = cloud.client("stepfunctions").describe_execution(executionArn=run_.execution_arn)
            report["sync"] = run_summary(run_, execution)
            report["after_sync"] = ground_truth(account, DEFAULT_USER)
            verdict = "PASS" if report["after_sync"]["ok"] else "FAIL"
            sys.stderr.write(f"ground truth after the sync: {verdict} "
                             f"({report['after_sync']['items_by_source']})\n")
            report["reconciliation"] = whole(run_.reconciliation)
            if not args.no_statement:
                sys.stderr.write("uploading the account statement, one file per year...\n")
                report["statement"] = upload_statements(cloud, account, view["connection_id"], DEFAULT_USER)
                report["after_statement"] = ground_truth(account, DEFAULT_USER)
                report["reconciliation"] = report["statement"]["reconciliation"]
                # the connection's completeness, assessed again after the imports (statement/upload.py)
                connection = cloud.api_request("GET", f"/connections/{view['connection_id']}",
                                               user=DEFAULT_USER)[2]
                report["completeness_after_statement"] = connection.get("completeness")
            if args.out:
                report["exported"] = {"file": args.out,
                                      "transactions": export(stored_transactions(DEFAULT_USER), args.out)}
    final = report.get("after_statement") or report["after_sync"]
    reconciled = bool((report.get("reconciliation") or {}).get("complete"))
    report["ok"] = run_.status == "succeeded" and final["ok"] and reconciled
    report["wall_s"] = round(time.monotonic() - started, 1)
    if args.json:
        print(json.dumps(report, indent=2, default=str))
    else:
        print_report(report)
        from binsync.sync.reconcile_wallets import summary_line

        print(f"total wall time {report['wall_s']} s")
        print(summary_line(report.get("reconciliation") or {}))
    return 0 if report["ok"] else 1
