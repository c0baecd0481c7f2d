"""How every `binsync` command fails: one line of plain words on stderr, exit status 2.

A command raises `CliError("what went wrong, in words")`; `binsync_local.cli.main` prints it as
`binsync: <message>` and returns 2. The usual operating-system failures (a missing file, a port
in use, a server that does not answer) are turned into the same kind of line there, so no
command prints a traceback for a mistake the user can fix. Argument errors go through
`OneLineArgumentParser`, which prints one line instead of argparse's usage block.
"""

from __future__ import annotations

import argparse
import errno
import sys
from pathlib import Path
from typing import NoReturn

EXIT_USAGE = 2


class CliError(Exception):
    """A failure the user can fix; its message is shown as is, on one line."""


class OneLineArgumentParser(argparse.ArgumentParser):
    """argparse, with its errors on one line (`binsync demo: argument --time-scale: ...`)."""

    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"{self.prog}: {one_line(message)} (see {self.prog} --help)\n")
        sys.exit(EXIT_USAGE)


def one_line(text: str) -> str:
    return " ".join(str(text).split())


def describe_os_error(exc: OSError) -> str:
    """An OSError in words, naming the file or address it is about."""
    where = f"{exc.filename}: " if getattr(exc, "filename", None) else ""
    if exc.errno == errno.EADDRINUSE:
        return "the address is already in use (another server listens on that port; choose --port)"
    if isinstance(exc, FileNotFoundError):
        return f"{where}no such file or directory"
    if isinstance(exc, IsADirectoryError):
        return f"{where}is a directory, not a file"
    if isinstance(exc, PermissionError):
        return f"{where}permission denied"
    return f"{where}{exc.strerror or exc}"


# ------------------------------------------------------------------ argument types


def time_scale(value: str) -> float:
    """`--time-scale N`: a Binance minute lasts 60/N real seconds; N > 0 and N divides 60."""
    try:
        scale = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number that divides 60, got {value!r}") from None
    if scale <= 0 or 60 % scale:
        raise argparse.ArgumentTypeError(
            f"must divide 60 (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60, or 0.5...), got {value}")
    return scale


DEFAULT_TIME_SCALE = 60.0
TIME_SCALE_HELP = ("emulator time compression: a Binance minute lasts 60/N real seconds, so rate "
                   "limits reset N times faster (N divides 60; default 60)")


def emulator_spec(value: str) -> tuple[str, int]:
    """`--emulator PROFILE:SEED`, e.g. `small:1`."""
    profiles = ("small", "reference", "heavy")
    profile, _, seed = value.partition(":")
    profile = profile or "small"
    if profile not in profiles:
        raise argparse.ArgumentTypeError(f"unknown profile {profile!r} in {value!r}; "
                                         f"expected PROFILE:SEED with PROFILE one of {', '.join(profiles)}")
    try:
        return profile, int(seed or 1)
    except ValueError:
        raise argparse.ArgumentTypeError(f"the seed in {value!r} is not a whole number "
                                         "(expected PROFILE:SEED, e.g. small:1)") from None


def read_secret(value: str) -> str:
    """A secret given as `@FILE` (read from the file; preferred: a command line shows in `ps`),
    `env:NAME` (read from that environment variable) or as the value itself."""
    import os

    if value.startswith("@"):
        path = Path(value[1:])
        try:
            return path.read_text(encoding="utf-8").strip("\r\n")
        except OSError as exc:
            raise CliError(f"cannot read the secret file {path}: {describe_os_error(exc)}") from None
    if value.startswith("env:"):
        name = value[4:]
        if name not in os.environ:
            raise CliError(f"the environment variable {name} (given as env:{name}) is not set")
        return os.environ[name]
    return value
