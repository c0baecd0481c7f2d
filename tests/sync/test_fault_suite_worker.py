"""The fault suite's worker faults on `small` (see test_fault_suite.py): a worker killed after
half a page and a Lambda timeout mid-task lose, duplicate and miscount nothing."""

from __future__ import annotations

from typing import Any

import pytest

from bench import faults as suite
from tests.sync.test_fault_suite import account, check_fault  # noqa: F401 (the fixture)

WORKER = ("crash after half a page", "Lambda timeout mid-task (Sandbox.Timedout)")


@pytest.mark.parametrize("fault", [f for f in suite.FAULTS if f.name in WORKER], ids=lambda f: f.name)
def test_worker_fault_loses_duplicates_and_miscounts_nothing(cloud: Any, account: Any,  # noqa: F811
                                                             monkeypatch: Any, fault: Any) -> None:
    row = check_fault(cloud, account, monkeypatch, fault)
    assert row.runs == 1, row  # retried by the state machine inside its run, no re-run needed
