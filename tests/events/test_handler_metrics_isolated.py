"""Each handler keeps its own metrics (issue 18: "No application metrics to publish" in the demo).

Powertools' `Metrics` objects of one process share one metric set. On AWS each function is its own
process, but the local cloud runs every function in one: while the statement parser ran on the
asynchronous S3 queue, the API handler answering `GET /uploads/{id}` flushed (and so dropped) the
parser's metrics, and the parser then warned that it had none. The handlers use EphemeralMetrics.
"""

from __future__ import annotations

import json
import warnings
from typing import Any

import pytest

from tests.events.events_support import load_handler

HANDLERS = ("api", "parse_statement", "schedule_resync", "on_sync_failed")


@pytest.fixture
def handlers(aws: Any) -> dict[str, Any]:
    return {name: load_handler(name) for name in HANDLERS}


@pytest.mark.parametrize("flusher", HANDLERS)
def test_one_handlers_flush_keeps_every_other_handlers_metrics(
        handlers: dict[str, Any], flusher: str, capsys: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from aws_lambda_powertools.metrics import MetricUnit

    # Published as on AWS (an in-process CLI test of the same worker may have disabled metrics).
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")
    monkeypatch.delenv("POWERTOOLS_DEV", raising=False)

    others = [name for name in HANDLERS if name != flusher]
    for name in others:
        handlers[name].metrics.add_metric(name=f"Pending_{name}", unit=MetricUnit.Count, value=1)
    handlers[flusher].metrics.add_metric(name="Flushed", unit=MetricUnit.Count, value=1)
    handlers[flusher].metrics.flush_metrics()
    capsys.readouterr()
    for name in others:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            handlers[name].metrics.flush_metrics()
        assert not [w for w in caught if "No application metrics" in str(w.message)], name
        published = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
        assert published[f"Pending_{name}"] == [1.0] or published[f"Pending_{name}"] == 1.0
        assert "Flushed" not in published
