"""The fault suite's statement rows on `small` (see test_fault_suite.py): a redelivered and a
concurrent S3 event and overlapping statements in both orders, each after a fault-free sync,
store every API record and every statement event once, with the Change sums kept and every
upload `done` with its first report."""

from __future__ import annotations

from typing import Any

import pytest

from bench import faults as suite
from tests.sync.test_fault_suite import account, check_fault  # noqa: F401 (the fixture)

# Two of the four here (CI time: each row is a full sync first); bench/faults.py runs them all.
# The concurrent row ends with a late redelivery, so each kind of fault is met.
IN_CI = ("concurrent S3 events", "overlapping statements, later first")


@pytest.mark.parametrize("fault", [f for f in suite.FAULTS if f.name in IN_CI], ids=lambda f: f.name)
def test_statement_fault_loses_and_duplicates_nothing(cloud: Any, account: Any,  # noqa: F811
                                                      monkeypatch: Any, fault: Any) -> None:
    check_fault(cloud, account, monkeypatch, fault)
