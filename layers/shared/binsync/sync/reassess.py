"""A connection's completeness assessed again after a statement import (issue 15 items 1, 3).

The connection's `completeness` is its last finished run's state. A statement uploaded later
covers (product, period) in the ledger (`ledger.record_statement`), so the run's statement-only
gaps may now be filled, and the import's reconciliation replaces the run's differences. The run
itself is not rewritten: it says what that run found.
"""

from __future__ import annotations

from typing import Any

from binsync.storage import documents
from binsync.storage.models import ConnectionModel, RunModel
from binsync.sync import ledger

FINISHED = ("succeeded", "failed")


def latest_finished_run(connection_id: str) -> RunModel | None:
    latest = None
    for run in RunModel.query(connection_id):
        if run.status in FINISHED and (latest is None or run.started_at > latest.started_at):
            latest = run
    return latest


def reassess_connection(user_id: str, connection_id: str,
                        reconciliation: dict[str, Any] | None) -> dict[str, Any] | None:
    """Store and return the connection's completeness now; None when no sync has finished yet.

    `reconciliation`: the import's; when it failed (`error`), the run's differences stand.
    """
    from binsync.sync.finish import assess_run, summarise  # finish is the sync's last step

    run = latest_finished_run(connection_id)
    if run is None:
        return None
    if not reconciliation or reconciliation.get("error"):
        reconciliation = documents.load(run.reconciliation)
    state = assess_run(run, summarise(run), ledger.load(connection_id), reconciliation)
    connection = ConnectionModel.get(user_id, connection_id)  # a deleted connection: DoesNotExist
    stored = documents.fit(state, user_id=user_id, connection_id=connection_id, name="completeness")
    connection.update(actions=[ConnectionModel.completeness.set(stored)])
    return state
