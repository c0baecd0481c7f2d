"""The fault suite on `small` (issue 17 item 6): every fault ends with 0 lost and 0 duplicated;
credential faults disable the connection with the reason and damage nothing stored. The table
over every fault on `reference` is `python -m bench.faults reference`."""

from __future__ import annotations

from typing import Any

import pytest
from binsync_local.emulator.generator import generate_account

from bench import faults as suite

# The cheap ones here (CI time); bench/faults.py runs them all. The worker faults are in
# test_fault_suite_worker.py: `make test` distributes by file, so the two halves run in parallel.
IN_CI = ("429 storm", "5xx on 5 % of requests", "418 bans of 7 of 8 IPs", "key revoked mid-sync")


@pytest.fixture
def account() -> Any:
    return generate_account("small", 11)  # per test: a revoked key stays revoked in its account


@pytest.mark.parametrize("fault", [f for f in suite.FAULTS if f.name in IN_CI], ids=lambda f: f.name)
def test_fault_loses_and_duplicates_nothing(cloud: Any, account: Any, monkeypatch: Any, fault: Any) -> None:
    check_fault(cloud, account, monkeypatch, fault)


def check_fault(cloud: Any, account: Any, monkeypatch: Any, fault: Any) -> Any:
    monkeypatch.setenv("SYNC_ONLY_ENDPOINTS", ",".join(suite.CHECKED))
    row = suite.run_fault(cloud, account, fault)
    print(suite.table([row]))
    assert row.lost == 0 and row.duplicated == 0, row
    # The runs' counters say what happened: every stored record counted once over the runs
    # (a crash loses no count), and each 418 Binance sent counted once (no remembered ban).
    if fault.statement is not None:  # the statement's events are stored by the parser, not a run
        assert row.statement["ok"], row
        assert row.statement["dead_letters"] == 0, row
    else:
        assert row.records_reported == row.stored, row
    assert row.http_418_reported == row.http_418_sent, row
    if "418" in fault.name:
        assert row.http_418_sent > 0, row  # the bans did happen
    if fault.credential:
        assert row.connection.startswith("disabled ("), row
        assert row.connection.endswith(" UTC)"), row  # the reason says when, in full
    else:
        assert row.outcome.split(";")[0] == "succeeded" and row.stored == row.expected, row
    return row
