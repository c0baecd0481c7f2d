"""`python -m bench` (`make bench`): run every benchmark once, print a table, write results.json.

    python -m bench                 # reference profile, K = 1, 8, 32 (default mode)
    python -m bench --long          # also the heavy profile's full syncs
    python -m bench --profile small --statement-rows 100000   # quicker look

The time scale N is chosen in the same run unless --time-scale is given: first the emulator's
capacity, then a calibration full sync at N = 60 with the most IPs (there the machine, not Binance,
sets the pace); N is the largest divisor of 60 at which that machine time fits in 60% of T_min
(bench.capacity.choose_pipeline_time_scale). The plain-client subset runs at N = 1 (real Binance
time) by default: see --subset-time-scale.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from bench import capacity, ccxt_baseline, coldstart, cost, fullsync, report, shared_ips, statement

HERE = Path(__file__).resolve().parent
SUBSET = ("spot.my_trades", "wallet.deposits", "wallet.withdrawals")


def log(msg: str) -> None:
    sys.stderr.write(f"[bench {time.strftime('%H:%M:%S')}] {msg}\n")
    sys.stderr.flush()


def save(results: dict[str, Any], out: str) -> None:
    """Written after every stage, so an interrupted run keeps what it measured."""
    Path(out).write_text(json.dumps(results, indent=2, default=str) + "\n", encoding="utf-8")


def run_full_syncs(results: dict[str, Any], account: Any, ips: list[int], n: int, machine_s: float | None,
                   key: str = "full_sync", resync_at: int | None = None, out_path: str | None = None) -> None:
    results[key] = {}
    for k in ips:
        log(f"full sync of {account.profile}, {k} IPs, time scale {n}...")
        try:
            synced = fullsync.sync_account(account, ips=k, time_scale=n, resync=(k == resync_at))
        except Exception as exc:  # a failed run is a result to report, not a crash
            results[key][str(k)] = {"error": f"{type(exc).__name__}: {exc}"}
            continue
        full = synced["full"]
        # This machine's own time for the sync (calibration) as a share of T_min: well under 1,
        # the limits set the pace; near or over 1, the machine does.
        full["machine_share"] = machine_s / full["t_min_s"] if machine_s and full.get("t_min_s") else None
        full["rtt_s"] = synced["rtt_s"]
        results[key][str(k)] = full
        if "resync" in synced:
            results["resync"] = synced["resync"]
        log(f"  {full['status']} in {full['duration_s']} s, T_min {full['t_min_s']:.2f} s"
            + (f" (execution {full['execution']})" if full.get("execution") else ""))
        if out_path:
            save(results, out_path)


def calibrate(results: dict[str, Any], account: Any, ips: int, emulator_n: int) -> int:
    """Time a full sync at N = 60 (machine-bound) and choose N from it."""
    log(f"calibration: full sync of {account.profile}, {ips} IPs, time scale 60 (machine-bound)...")
    full = fullsync.sync_account(account, ips=ips, time_scale=60)["full"]
    t_min_binance_s = full["t_min_s"] * 60
    n = capacity.choose_pipeline_time_scale(full["duration_s"], t_min_binance_s, emulator_n)
    results["calibration"] = {**full, "chosen_time_scale": n, "t_min_binance_s": t_min_binance_s}
    log(f"  machine time {full['duration_s']} s for T_min {t_min_binance_s:.0f} Binance s -> time scale {n}")
    return n


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    p.add_argument("--long", action="store_true", help="also sync the heavy profile")
    p.add_argument("--profile", default="reference", choices=("small", "reference", "heavy"))
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--ips", default="1,8,32", help="egress IP counts K for the full syncs")
    p.add_argument("--time-scale", type=int, help="override the N chosen from the capacity (divides 60)")
    p.add_argument("--subset-time-scale", type=int, default=1,
                   help="N of the plain-client comparison (default 1: real time; ccxt then takes minutes)")
    p.add_argument("--statement-rows", type=int, default=1_000_000)
    p.add_argument("--cost-statement-rows", type=int, default=100_000,
                   help="rows of the statement the bill imports through the upload path (0: none)")
    p.add_argument("--skip", default="",
                   help="comma list of: sync,subset,shared,cost,statement,coldstart,faults")
    p.add_argument("--out", default=str(HERE / "results.json"))
    p.add_argument("--render", metavar="FILE", help="only print the table of an existing results file")
    args = p.parse_args(argv)
    if args.render:
        print(report.render(json.loads(Path(args.render).read_text(encoding="utf-8"))))
        return 0
    skip = {s for s in args.skip.split(",") if s}
    ips = [int(x) for x in args.ips.split(",")]

    from binsync_local.emulator import generate_account

    started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    results: dict[str, Any] = {"mode": "long" if args.long else "default", "profile": args.profile,
                               "seed": args.seed, "started_at": started,
                               "load_avg": round(os.getloadavg()[0], 1), "cpus": os.cpu_count()}
    t0 = time.monotonic()
    if not {"sync", "subset", "shared", "cost"} <= skip:  # each needs the account and N
        log("measuring the emulator's capacity...")
        cap = capacity.measure_capacity()
        results["capacity"] = cap
        log(f"  {cap['max_requests_per_s']} req/s -> at most time scale {cap['chosen_time_scale']}")
        log(f"generating the {args.profile} account (seed {args.seed})...")
        account = generate_account(args.profile, args.seed)
        n = args.time_scale
        if n is None and "sync" not in skip:
            n = calibrate(results, account, max(ips), cap["chosen_time_scale"])
        n = n or cap["chosen_time_scale"]
        results["time_scale"] = n
        save(results, args.out)
        if "sync" not in skip:
            machine_s = (results.get("calibration") or {}).get("duration_s")
            run_full_syncs(results, account, ips, n, machine_s, resync_at=max(ips), out_path=args.out)
            if args.long and args.profile != "heavy":
                heavy = generate_account("heavy", args.seed)
                run_full_syncs(results, heavy, ips, n, None, key="full_sync_heavy", out_path=args.out)
        if "shared" not in skip:
            log("shared egress addresses: 32 workers over 4 addresses, and over 1...")
            results["shared_ips"] = shared_ips.run_shared_ips(account, time_scale=n)
            save(results, args.out)
        if "cost" not in skip:
            log("the bill: full sync, weekly resync and a statement import from the local cloud's records...")
            results["cost"] = cost.bench_cost(account, time_scale=n, profile=args.profile,
                                              statement_rows=args.cost_statement_rows)
            save(results, args.out)
        if "subset" not in skip:
            k = max(ips)
            log(f"subset: binsync {k} IPs restricted to {', '.join(SUBSET)}...")
            sub: dict[str, Any] = {}
            sn = args.subset_time_scale
            sub["time_scale"] = sn
            try:
                out = fullsync.sync_account(account, ips=k, time_scale=sn, only=SUBSET)
                sub["binsync"] = out["full"]
            except Exception as exc:
                sub["binsync"] = {"error": f"{type(exc).__name__}: {exc}"}
            log(f"subset: ccxt, 1 IP, time scale {sn}...")
            from binsync.sync.modes import BINANCE_LAUNCH_MS
            try:
                sub["ccxt"] = ccxt_baseline.run_ccxt(account, time_scale=sn, floor_ms=BINANCE_LAUNCH_MS)
            except Exception as exc:
                sub["ccxt"] = {"error": f"{type(exc).__name__}: {exc}"}
            b, c = sub["binsync"].get("duration_s"), sub["ccxt"].get("duration_s")
            sub["speedup"] = c / b if b and c else None
            results["subset"] = sub
            save(results, args.out)
    if "statement" not in skip:
        log(f"statement parsing, {args.statement_rows} rows...")
        results["statement"] = statement.bench_statement(HERE / ".work", rows=args.statement_rows,
                                                         small_rows=max(1, args.statement_rows // 10))
        save(results, args.out)
    if "coldstart" not in skip:
        log("cold start: handler imports and layer size...")
        results["coldstart"] = coldstart.bench_coldstart()
    if "faults" not in skip:
        from bench import faults

        log(f"fault suite on {args.profile}...")
        results["faults"] = faults.main(args.profile, args.seed)
        save(results, args.out)
    results["wall_s"] = round(time.monotonic() - t0, 1)
    save(results, args.out)
    print(report.render(results))
    print(f"\nwrote {args.out} ({results['wall_s']} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
