"""Every `binsync` mistake a newcomer makes gives one line of plain words and exit status 2.

Each case is a command from issue 18 that printed a Python traceback (or hung). It runs through
`binsync_local.cli.main` as the console script does; stderr must be exactly one line, with no
"Traceback" and no exception class name in it.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator

import pytest
from binsync_local.cli import main


@pytest.fixture(autouse=True)
def restore_environment() -> Iterator[None]:
    saved = dict(os.environ)  # serve-api exports UPLOADS_PUBLIC_ENDPOINT before it fails
    yield
    os.environ.clear()
    os.environ.update(saved)


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's own exit
        code = exc.code
    return code, capsys.readouterr().err


def assert_one_plain_line(code: object, err: str, *words: str) -> None:
    assert code == 2, err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err and "Error:" not in err and "Exception" not in err, err
    for word in words:
        assert word in err, err


CASES = {
    "emulator spec": (["serve-api", "--emulator", "tiny:x"], ["tiny"]),
    "tokens file": (["serve-api", "--tokens", "/nope.json"], ["/nope.json", "no such file"]),
    "secret file": (["sync", "--base-url", "http://127.0.0.1:9", "--api-key", "k",
                     "--api-secret", "@/nonexistent"], ["/nonexistent"]),
    "statement file": (["statement", "parse", "/nonexistent.csv"], ["/nonexistent.csv", "no such file"]),
    "demo time scale": (["demo", "--time-scale", "7"], ["--time-scale", "divide 60"]),
    "emulator time scale": (["emulator", "serve", "--time-scale", "7"], ["divide 60"]),
    "schedule time": (["cloud", "fire-schedule", "--time", "tomorrow"], ["tomorrow", "ISO 8601"]),
    "malformed arn": (["cloud", "fire-failure", "--execution-arn", "nope"], ["execution ARN"]),
}


@pytest.mark.parametrize("argv,words", CASES.values(), ids=CASES.keys())
def test_a_mistake_gives_one_line_and_exit_2(argv, words, capsys):
    code, err = run_cli(argv, capsys)
    assert_one_plain_line(code, err, *words)


def test_statement_into_a_missing_folder(tmp_path, capsys):
    code, err = run_cli(["emulator", "statement", "--per-year", "--out",
                         str(tmp_path / "missing" / "st.csv")], capsys)
    assert_one_plain_line(code, err, "does not exist")


def test_fire_schedule_without_a_server(capsys):
    code, err = run_cli(["cloud", "fire-schedule", "--endpoint-url", f"http://127.0.0.1:{free_port()}"],
                        capsys)
    assert_one_plain_line(code, err, "binsync cloud serve")


def test_fire_failure_with_an_unknown_execution(cloud, capsys):
    url = cloud.serve(0)
    arn = f"arn:aws:states:us-east-1:{cloud.stack.account_id}:execution:binsync-sync:nope"
    code, err = run_cli(["cloud", "fire-failure", "--endpoint-url", url, "--execution-arn", arn], capsys)
    assert_one_plain_line(code, err, "ExecutionDoesNotExist")


def test_serve_api_on_a_port_in_use(busy_port, capsys):
    code, err = run_cli(["serve-api", "--port", str(busy_port)], capsys)
    assert_one_plain_line(code, err, f"127.0.0.1:{busy_port}", "already in use")


def test_every_flag_has_help():
    """`--help` explains every option (issue 18: most flags had none)."""
    from binsync_local.cli import build_parser

    def walk(parser):  # every parser and sub-parser
        yield parser
        for action in parser._actions:
            for sub in getattr(action, "choices", None).values() \
                    if isinstance(getattr(action, "choices", None), dict) else ():
                yield from walk(sub)

    missing = [f"{parser.prog} {action.option_strings[0]}" for parser in walk(build_parser())
               for action in parser._actions
               if action.option_strings and action.dest not in ("help",) and not action.help
               ]
    assert missing == []


def test_the_progress_line_says_when_a_rate_limit_is_what_it_waits_on():
    from binsync_local.cli.sync_cmd import waiting_hint

    before = {"status": "running", "requests": 10, "http_429": 0, "http_418": 0}
    assert "429" in waiting_hint({**before, "http_429": 1}, before, 0)
    assert "418" in waiting_hint({**before, "http_418": 1}, before, 0)
    assert "rate limits" in waiting_hint(before, before, 12)
    assert waiting_hint(before, before, 0.5) == ""
    assert waiting_hint({**before, "status": "succeeded"}, before, 12) == ""
