"""`python -m binsync.api.openapi [--write PATH | --check PATH]`: the committed openapi.json.

The document is generated from the routes and pydantic schemas; a test fails when the committed
file and the code drift apart (regenerate with `make openapi`).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from binsync.api.resolver import openapi_json


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m binsync.api.openapi")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--write", metavar="PATH", help="write the document to PATH")
    group.add_argument("--check", metavar="PATH", help="exit 1 if PATH differs from the code")
    args = parser.parse_args(argv)
    text = openapi_json()
    if args.write:
        Path(args.write).write_text(text, encoding="utf-8")
        return 0
    if args.check:
        current = Path(args.check).read_text(encoding="utf-8") if Path(args.check).exists() else ""
        if current != text:
            print(f"{args.check} is out of date: run `make openapi`", file=sys.stderr)
            return 1
        return 0
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
