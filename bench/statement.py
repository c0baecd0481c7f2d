"""Statement parsing: binsync's streaming parser vs BittyTax 0.6.0's Binance statement parser.

The file is generated with the emulator's statement writer. One generated account gives ~85k
rows (reference profile), so a 1,000,000-row file is the time-ordered merge of several seeded
accounts' events written as one account (one User_ID): the statement of a very active account.
Each parser runs in its own fresh interpreter (statement_driver.py) — BittyTax in .venv-bench,
where its pinned dependencies do not meet ours — on the same file, and on its first 100,000 rows
for the memory-flatness check.
"""

from __future__ import annotations

import heapq
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DRIVER = Path(__file__).resolve().parent / "statement_driver.py"
BENCH_VENV_PY = ROOT / ".venv-bench" / "bin" / "python"


class _Merged:
    """Duck-typed Account for write_statement: several accounts' events merged by time, one uid."""

    def __init__(self, accounts: list[Any]):
        first = accounts[0]
        self.profile, self.seed, self.uid = first.profile, first.seed, first.uid
        self.events = list(heapq.merge(*(a.events for a in accounts), key=lambda e: e.time_ms))


def write_rows(path: Path, rows: int, profile: str = "reference") -> dict[str, Any]:
    """Write a statement of exactly `rows` data rows (and its first 100k-row prefix if larger)."""
    from binsync_local.emulator import generate_account, write_statement

    accounts, total, seed = [], 0, 1
    while total < rows:
        acc = generate_account(profile, seed)
        accounts.append(acc)
        total += sum(len(ev.rows) for ev in acc.events)
        seed += 1
    tmp = path.with_suffix(".full.csv")
    with tmp.open("w", newline="", encoding="utf-8") as fh:
        write_statement(_Merged(accounts), fh)  # type: ignore[arg-type]
    _head(tmp, path, rows)
    tmp.unlink()
    return {"rows": rows, "accounts_merged": len(accounts), "bytes": path.stat().st_size}


def _head(src: Path, dst: Path, rows: int) -> None:
    with src.open("rb") as fi, dst.open("wb") as fo:
        for i, line in enumerate(fi):
            if i > rows:  # header + rows
                break
            fo.write(line)


def _driver(python: Path | str, which: str, path: Path) -> dict[str, Any]:
    out = subprocess.run([str(python), str(DRIVER), which, str(path)], capture_output=True, text=True,
                         check=False, timeout=3600)
    if out.returncode != 0:
        return {"error": (out.stderr or out.stdout)[-2000:]}
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["rows_per_s"] = _rows_in(path) / result["seconds"] if result["seconds"] else None
    result["parse_peak_mib"] = max(0, result["peak_rss_kib"] - result["base_rss_kib"]) / 1024
    result["peak_rss_mib"] = result["peak_rss_kib"] / 1024
    return result


def _rows_in(path: Path) -> int:
    with path.open("rb") as fh:
        return sum(1 for _ in fh) - 1


def bench_statement(workdir: Path, rows: int = 1_000_000, small_rows: int = 100_000,
                    with_bittytax: bool = True, profile: str = "reference") -> dict[str, Any]:
    workdir.mkdir(parents=True, exist_ok=True)
    big = workdir / f"statement-{rows}.csv"
    small = workdir / f"statement-{small_rows}.csv"
    out: dict[str, Any] = {"file": write_rows(big, rows, profile)}
    _head(big, small, small_rows)
    out["binsync"] = _driver(sys.executable, "binsync", big)
    out["binsync_small"] = _driver(sys.executable, "binsync", small)
    if with_bittytax and BENCH_VENV_PY.exists():
        out["bittytax"] = _driver(BENCH_VENV_PY, "bittytax", big)
    else:
        out["bittytax"] = {"error": f"{BENCH_VENV_PY} missing (make bench creates it)"}
    ours, theirs = out["binsync"], out["bittytax"]
    out["speed_ratio"] = (ours["rows_per_s"] / theirs["rows_per_s"]
                          if ours.get("rows_per_s") and theirs.get("rows_per_s") else None)
    small_ = out["binsync_small"]
    if small_.get("peak_rss_kib") and ours.get("peak_rss_kib"):
        # Flat memory: the whole process's peak RSS barely moves from 1/10 of the file to all of it.
        out["memory_growth"] = ours["peak_rss_kib"] / small_["peak_rss_kib"]
        out["memory_growth_mib"] = (ours["peak_rss_kib"] - small_["peak_rss_kib"]) / 1024
    return out
