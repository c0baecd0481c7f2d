"""`binsync statement parse FILE`: parse a Binance statement (or Waltio file) and print JSON.

Output: {"transactions": [...], "rejected": [{"line": N, "reason": "..."}],
"unknown_operations": {...}, "period": {"from", "to"}, "stats": {...}}. Transactions are
written as they are parsed (the file is never loaded whole). A transaction id seen twice (a file
made of overlapping exports concatenated) is printed once and counted in stats.duplicates.
`--waltio OUT.csv` also writes the result in the Waltio import format.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from binsync.statement.parser import StatementParser
from binsync.statement.upload import REFUSALS


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("statement", help="Binance statement files")
    sub = parser.add_subparsers(dest="statement_command", required=True)
    parse = sub.add_parser("parse", help="parse a statement CSV/ZIP/XLSX or Waltio file, print JSON")
    parse.add_argument("file")
    parse.add_argument("--uid", help="Binance uid for files without a User_ID column")
    parse.add_argument("--expect-uid", help="fail if the file's User_ID is not this uid")
    parse.add_argument("--tz", help="zone of the file's times (+02:00, -6, Europe/Paris) when neither the "
                       "header (UTC_Time) nor the file name ((UTC+5), UTC2) gives it")
    parse.add_argument("--tz-offset", type=int, default=0,
                       help="legacy: the zone as seconds east of UTC (prefer --tz)")
    parse.add_argument("--no-raw", action="store_true", help="omit source rows from the output")
    parse.add_argument("--summary", action="store_true", help="print only stats, not transactions")
    parse.add_argument("--waltio", metavar="OUT", help="also write a Waltio import CSV")
    parse.set_defaults(func=run_parse)


def run_parse(args: argparse.Namespace) -> int:
    parser = StatementParser(uid=args.uid, expected_uid=args.expect_uid, source_ref=args.file,
                             keep_raw=not args.no_raw, tz_offset_seconds=args.tz_offset,
                             file_name=args.file, tz=args.tz)
    out = sys.stdout
    seen: set[str] = set()
    duplicates = 0
    waltio_fh = open(args.waltio, "w", newline="", encoding="utf-8") if args.waltio else None  # noqa: SIM115
    waltio_writer = None
    if waltio_fh is not None:
        from binsync.statement.waltio import WaltioCsvWriter

        waltio_writer = WaltioCsvWriter(waltio_fh)
    try:
        with open(args.file, "rb") as fh:
            if not args.summary:
                out.write('{"transactions": [')
            first = True
            for tx in parser.iter_transactions(fh):
                if tx.id in seen:
                    duplicates += 1
                    continue
                seen.add(tx.id)
                if waltio_writer is not None:
                    waltio_writer.write(tx)
                if args.summary:
                    continue
                out.write("\n  " if first else ",\n  ")
                out.write(json.dumps(tx.to_dict(), ensure_ascii=False))
                first = False
    except REFUSALS as exc:  # the message parse_statement writes in the upload's report
        if not args.summary:
            out.write("],\n")
        else:
            out.write("{")
        out.write(f'"error": {json.dumps(str(exc))}}}\n')
        return 2
    finally:
        if waltio_fh is not None:
            waltio_fh.close()
    stats = parser.stats.to_dict()
    stats["duplicates"] = duplicates
    tail = {
        "rejected": stats.pop("rejected"),
        "unknown_operations": stats.pop("unknown_operations"),
        "period": stats.pop("period"),
        "stats": stats,
    }
    body = json.dumps(tail, ensure_ascii=False, indent=1)[1:]  # continue the open object
    if args.summary:
        out.write("{" + body + "\n")
    else:
        out.write("\n], " + body.lstrip() + "\n")
    return 0
