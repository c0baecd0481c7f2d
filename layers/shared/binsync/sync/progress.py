"""Progress of a run: atomic counters while tasks run, and a live view for the API.

Many fetch_window workers update one run at once, so counters only ever change through
DynamoDB `ADD` (no read-modify-write). Per-product counts are derived from the task rows
(each task belongs to one endpoint, hence one product), which avoids a JSON read-modify-write
on the run item.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from typing import Any

from pynamodb.exceptions import UpdateError

from binsync.binance.catalogue import ENDPOINTS
from binsync.storage import documents
from binsync.storage.models import RunModel, TaskModel

log = logging.getLogger(__name__)

COUNTERS = ("tasks_done", "tasks_failed", "records", "requests", "weight", "http_429", "http_418")


def now_ms() -> int:
    return int(time.time() * 1000)


def add(connection_id: str, run_id: str, **deltas: int) -> None:
    """Atomically add to the run's counters (unknown names are a programming error)."""
    actions = []
    for name, value in deltas.items():
        if name not in COUNTERS:
            raise ValueError(f"not a run counter: {name}")
        if value:
            actions.append(getattr(RunModel, name).add(int(value)))
    if actions:
        # Straight to UpdateItem without ReturnValues: Model.update would read back the whole run
        # item (coverage, counts) on every task, and nobody needs it here.
        # Only an existing run: a worker still running after its connection was deleted must
        # not re-create the run row (UpdateItem creates missing items).
        try:
            RunModel._get_connection().update_item(connection_id, run_id, actions=actions,
                                                   condition=RunModel.run_id.exists())
        except UpdateError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                from binsync.sync.errors import ConnectionGone

                raise ConnectionGone(f"run {run_id} of connection {connection_id} no longer exists") from None
            raise


def product_of(endpoint_name: str) -> str:
    ep = ENDPOINTS.get(endpoint_name)
    return ep.product if ep else endpoint_name.split(".", 1)[0]


def task_summary(run_id: str) -> dict[str, Any]:
    """Per-product records and task states, from the run's task rows."""
    per_product: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for task in TaskModel.query(run_id, attributes_to_get=["endpoint", "status", "records"]):
        counts = per_product[product_of(task.endpoint)]
        counts["records"] += int(task.records or 0)
        counts["tasks"] += 1
        counts[f"tasks_{task.status}"] += 1
    return {product: dict(counts) for product, counts in sorted(per_product.items())}


def stored_counts(user_id: str, binance_uid: str, run_id: str) -> dict[str, int]:
    """Per-product records this run stored, from the items themselves (`first_run`): exact
    after a worker was killed and retried, where the counters of the killed attempt are lost
    and the retry finds its items already stored."""
    from binsync.storage.models import TransactionModel, account_key

    counts: dict[str, int] = defaultdict(int)
    for item in TransactionModel.by_account.query(account_key(user_id, binance_uid),
                                                  filter_condition=TransactionModel.first_run == run_id,
                                                  attributes_to_get=["source_ref"]):
        counts[product_of(item.source_ref)] += 1
    return dict(counts)


def live_progress(run: RunModel, *, with_products: bool = True) -> dict[str, Any]:
    """What GET /connections/{id} shows during (and after) a run."""
    total = int(run.tasks_total or 0)
    done = int(run.tasks_done or 0)
    view: dict[str, Any] = {
        "run_id": run.run_id, "status": run.status, "mode": run.mode, "trigger": run.trigger,
        "started_at": run.started_at, "finished_at": run.finished_at,
        "tasks_total": total, "tasks_done": done, "tasks_failed": int(run.tasks_failed or 0),
        "percent": round(100.0 * done / total, 1) if total else 0.0,
        "records": int(run.records or 0), "requests": int(run.requests or 0),
        "weight": int(run.weight or 0), "http_429": int(run.http_429 or 0),
        "http_418": int(run.http_418 or 0),
    }
    if run.status in ("succeeded", "failed"):
        load = documents.load  # a heavy account's summaries are kept whole in S3
        view.update(counts=run.counts, coverage=load(run.coverage),
                    beyond_retention=load(run.beyond_retention), reconciliation=load(run.reconciliation),
                    completeness=load(run.completeness), error=run.error)
        # pairs the user confirms or dismisses, listed as the upload report lists them
        view.update(load(run.near_duplicates) or {"near_duplicate_count": 0, "near_duplicates": []})
    elif with_products and run.status == "running":
        try:
            view["counts"] = {p: c.get("records", 0) for p, c in task_summary(run.run_id).items()}
        except Exception:  # live per-product counts are a nicety: never fail the read for them
            log.warning("per-product progress unavailable for run %s", run.run_id, exc_info=True)
    return view
