"""`binsync emulator serve|statement` (DESIGN.md §8)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from .errors import DEFAULT_TIME_SCALE, TIME_SCALE_HELP, CliError, time_scale


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--profile", choices=("small", "reference", "heavy"), default="small",
                   help="account size: small (seconds to sync), reference (multi-year, ~1500 markets), "
                        "heavy (a very active trader)")
    p.add_argument("--seed", type=int, default=1,
                   help="random seed: the same profile and seed always give the same account")
    p.add_argument("--now-ms", type=int, default=None,
                   help="account clock in epoch ms (default: now; the value used is printed): give "
                        "`serve` and `statement` the same value so that both describe one account")
    p.add_argument("--scale", type=float, default=None, help="multiply every record count of the profile")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("emulator", help="Binance emulator and its generated accounts")
    sub = parser.add_subparsers(dest="emulator_command", required=True)

    serve = sub.add_parser("serve", help="serve a generated account; prints one JSON line first")
    _common(serve)
    serve.add_argument("--host", default="127.0.0.1", help="bind address (default loopback only)")
    serve.add_argument("--port", type=int, default=0, help="port (default 0: any free port, printed)")
    serve.add_argument("--time-scale", type=time_scale, default=DEFAULT_TIME_SCALE, help=TIME_SCALE_HELP)
    serve.add_argument("--fault-5xx-rate", type=float, default=0.0,
                       help="fraction of requests answered 502/503/504 (0..1)")
    serve.add_argument("--fault-latency-ms", type=int, default=0, help="added delay of every answer")
    serve.add_argument("--fault-timeout-rate", type=float, default=0.0,
                       help="fraction of requests that hang for --fault-hang-s before an answer (0..1)")
    serve.add_argument("--fault-hang-s", type=float, default=30.0, help="how long a timed-out request hangs")
    serve.add_argument("--fault-429-rate", type=float, default=0.0,
                       help="fraction of requests answered 429 with Retry-After (0..1)")
    serve.add_argument("--fault-429-storm-after", type=int, default=None,
                       help="start a storm of 429s after N requests")
    serve.add_argument("--fault-429-storm-requests", type=int, default=0,
                       help="how many requests in a row the storm answers 429")
    serve.add_argument("--fault-revoke-after", type=int, default=None, help="revoke the key after N requests")
    serve.add_argument("--fault-revoke-at-ms", type=int, default=None,
                       help="revoke the key at this Binance time (ms since 1970)")
    serve.add_argument("--fault-permissions-after", type=int, default=None,
                       help="apply --fault-permissions after N requests")
    serve.add_argument("--fault-permissions-at-ms", type=int, default=None,
                       help="apply --fault-permissions at this Binance time (ms since 1970)")
    serve.add_argument(
        "--fault-permissions",
        action="append",
        metavar="FLAG=BOOL",
        help="e.g. enableFutures=false (applied after --fault-permissions-after requests)",
    )
    serve.add_argument("--fault-clock-skew-ms", type=int, default=0,
                       help="the emulator's clock runs this many ms ahead (negative: behind)")
    serve.set_defaults(func=_serve)

    stmt = sub.add_parser("statement", help="write the account's Transaction History CSV")
    _common(stmt)
    stmt.add_argument("--out", required=True, help="the CSV file to write (its folder must exist)")
    stmt.add_argument("--per-year", action="store_true", help="one file per calendar year (FILE-YYYY.csv)")
    stmt.add_argument(
        "--rows",
        type=int,
        default=None,
        help="scale the profile to about this many rows (e.g. 1000000 for benchmarks)",
    )
    stmt.set_defaults(func=_statement)


def _serve(args: argparse.Namespace) -> int:
    from binsync_local.emulator import EmulatorServer, Faults, generate_account

    account = generate_account(args.profile, args.seed, args.now_ms, scale=args.scale)
    srv = EmulatorServer(
        account, time_scale=args.time_scale, faults=Faults.from_args(args), host=args.host, port=args.port
    )
    srv.start()
    print(json.dumps({**srv.credentials, "now_ms": account.now_ms}), flush=True)
    try:
        srv._thread.join()  # type: ignore[union-attr]
    except KeyboardInterrupt:
        srv.stop()
    return 0


# Rows per unit of scale of the reference profile, measured (statement rows / scale).
REFERENCE_ROWS = 81_000


def _statement(args: argparse.Namespace) -> int:
    from binsync_local.emulator import generate_account, write_statement_files

    scale = args.scale
    profile = args.profile
    if args.rows:
        profile = "reference"
        scale = args.rows / REFERENCE_ROWS
    folder = Path(args.out).parent
    if not folder.is_dir():
        raise CliError(f"the folder {folder} does not exist (create it, or choose another --out)")
    account = generate_account(profile, args.seed, args.now_ms, scale=scale)
    paths = write_statement_files(account, args.out, per_year=args.per_year)
    print(json.dumps({"files": [str(p) for p in paths], "uid": account.uid, "now_ms": account.now_ms}))
    return 0
