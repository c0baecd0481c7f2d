"""Run in a fresh interpreter: parse one statement file, print JSON {rows, seconds, rss}.

    python statement_driver.py binsync FILE      (the project's .venv)
    python statement_driver.py bittytax FILE     (.venv-bench, BittyTax 0.6.0)

Peak memory is VmHWM (reset just before parsing) minus the RSS measured after the imports, so both
parsers are charged for what parsing the file costs, not for their libraries. No bench imports:
this file runs under either interpreter.
"""

from __future__ import annotations

import json
import resource
import sys
import time


def _status_kib(field: str) -> int:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def _rss_kib() -> int:
    """Current RSS, after resetting the peak (VmHWM) to it: the parse's own peak is measured."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as fh:
            fh.write("5")
    except OSError:
        pass
    return _status_kib("VmRSS")


def _peak_kib() -> int:
    return _status_kib("VmHWM") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _head_bytes(path: str, lines: int = 200) -> bytes:
    with open(path, "rb") as fh:
        return b"".join(line for _, line in zip(range(lines), fh, strict=False))


def run_binsync(path: str) -> dict:
    import io

    from binsync.statement import StatementParser

    StatementParser().parse(io.BytesIO(_head_bytes(path)))  # warm-up: lazy imports, caches
    base = _rss_kib()
    parser = StatementParser()
    t = time.perf_counter()
    n_tx = 0
    with open(path, "rb") as fh:
        for _tx in parser.iter_transactions(fh):  # streamed, as the upload handler does
            n_tx += 1
    seconds = time.perf_counter() - t
    stats = parser.stats
    return {"seconds": seconds, "transactions": n_tx, "rows": stats.rows,
            "rejected": stats.rejected_count, "unknown_operations": sum(stats.unknown_operations.values()),
            "base_rss_kib": base,
            "peak_rss_kib": _peak_kib()}


def run_bittytax(path: str) -> dict:
    import argparse
    import contextlib
    import io

    from bittytax.price import datasource

    class _Offline(dict):
        """Any key -> empty: the price sources BittyTax queries at import (no network here)."""

        def __missing__(self, key: object) -> _Offline:
            return _Offline()

    datasource.DataSourceBase.get_json = lambda self, url: _Offline()  # parsing needs no prices

    from bittytax.config import config
    from bittytax.conv.datafile import DataFile
    from bittytax.conv.parsers import binance  # noqa: F401  (registers the Binance parsers)

    config.config["binance_statements_only"] = True  # the statement as the single source (README)
    args = argparse.Namespace(unconfirmed=False, cryptoasset=None, binance_statements_only=True,
                              binance_multi_bnb_split_even=False, duplicates=False, format="CSV",
                              noheader=False, append=False, sort=False, output_filename=None, debug=False)
    base = _rss_kib()
    t = time.perf_counter()
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        DataFile.read_csv(path, args)  # read + parse every row (what bittytax_conv does per file)
    seconds = time.perf_counter() - t
    rows = sum(len(df.data_rows) for df in DataFile.data_files.values()) if DataFile.data_files else 0
    return {"seconds": seconds, "rows": rows, "base_rss_kib": base,
            "peak_rss_kib": _peak_kib(),
            "stderr_lines": err.getvalue().count("\n")}


if __name__ == "__main__":
    which, file = sys.argv[1], sys.argv[2]
    out = run_binsync(file) if which == "binsync" else run_bittytax(file)
    print(json.dumps(out))
