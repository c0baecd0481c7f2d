"""`binsync emulator serve|statement` (DESIGN.md §8)."""

from __future__ import annotations

import csv
import json
import subprocess
import sys

import requests
from binsync_local.cli import main


def test_statement_command_writes_per_year_files(tmp_path, capsys):
    out = tmp_path / "st.csv"
    assert (
        main(
            [
                "emulator",
                "statement",
                "--profile",
                "small",
                "--seed",
                "5",
                "--now-ms",
                "1795000000000",
                "--out",
                str(out),
                "--per-year",
            ]
        )
        == 0
    )
    info = json.loads(capsys.readouterr().out)
    assert len(info["files"]) >= 4
    with open(info["files"][0], newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["User_ID", "UTC_Time", "Account", "Operation", "Coin", "Change", "Remark"]
    assert rows[1][0] == str(info["uid"])


def test_serve_prints_one_json_line_then_serves():
    code = "import sys; from binsync_local.cli import main; sys.exit(main(sys.argv[1:]))"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            code,
            "emulator",
            "serve",
            "--profile",
            "small",
            "--seed",
            "2",
            "--port",
            "0",
            "--time-scale",
            "60",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline()  # type: ignore[union-attr]
        creds = json.loads(line)
        # now_ms: the clock the emulated account was generated at (issue 15: statement and API agree)
        assert set(creds) == {"base_url", "api_key", "api_secret", "uid", "now_ms"}
        r = requests.get(creds["base_url"] + "/api/v3/time", timeout=5)
        assert r.status_code == 200 and "X-MBX-USED-WEIGHT-1S" in r.headers
    finally:
        proc.terminate()
        proc.wait(timeout=10)
