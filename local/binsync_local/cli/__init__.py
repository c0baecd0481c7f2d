"""`binsync` command line (DESIGN.md §8).

Each subcommand lives in its own module under this package and exposes
`register(subparsers)`; the module adds its parser and sets `func` to a callable taking the
parsed args and returning an exit code. Modules are imported lazily so a broken or slow one
never breaks the others.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from .errors import EXIT_USAGE, CliError, OneLineArgumentParser, describe_os_error, one_line

# Module names (in this package) that provide subcommands.
COMMAND_MODULES: tuple[str, ...] = (
    "emulator_cmd",    # binsync emulator serve|statement
    "statement_cmd",   # binsync statement parse FILE
    "sync_cmd",        # binsync sync --base-url ...
    "serve_api_cmd",   # binsync serve-api --port P
    "cloud_cmd",       # binsync cloud ... (fire schedule / failure rule, server mode)
    "demo_cmd",        # binsync demo (make demo)
)


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineArgumentParser(prog="binsync", description="binsync local tools")
    subparsers = parser.add_subparsers(dest="command", required=True)
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"{__name__}.{name}":
                continue  # not written yet
            raise
        module.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except CliError as exc:
        message = str(exc)
    except OSError as exc:  # a missing file, a port in use, a server that does not answer
        message = describe_os_error(exc)
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            raise
        message = str(exc.code)
    except KeyboardInterrupt:
        return 130
    sys.stderr.write(f"binsync {args.command}: {one_line(message)}\n")
    return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
