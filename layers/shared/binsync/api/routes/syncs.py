"""/connections/{id}/syncs: start a sync, list runs, read one run."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Header, Path, Query
from aws_lambda_powertools.event_handler.router import APIGatewayRouter
from pynamodb.exceptions import DoesNotExist

from binsync.api.auth import user_id_from_event
from binsync.api.errors import error_responses
from binsync.api.schemas.syncs import RunList, RunOut, SyncStart
from binsync.api.views import run_view
from binsync.connections import lifecycle
from binsync.connections.errors import NotFound
from binsync.storage.models import RunModel

router = APIGatewayRouter()
TAG = ["syncs"]
ConnectionId = Annotated[str, Path(min_length=1, max_length=64)]


def _user() -> str:
    return user_id_from_event(router.current_event)


@router.post("/connections/<connection_id>/syncs", status_code=202, tags=TAG, summary="Start a sync",
             description="`full`: since the account opened; `since_last`: from the newest stored "
             "transaction; `incremental`: from the last successful sync (with overlap). One sync per "
             "connection at a time (409 otherwise). An `Idempotency-Key` header makes a retried request "
             "start nothing twice.",
             responses={202: {"description": "Started"}, **error_responses(401, 404, 409, 422)})
def start_sync(connection_id: ConnectionId, body: SyncStart,
               idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=128)] = None,
               ) -> RunOut:
    user_id = _user()
    lifecycle.get_connection(user_id, connection_id)  # 404 before anything else
    key = f"{user_id}:{connection_id}:{idempotency_key}" if idempotency_key else None
    run = lifecycle.launch_sync(user_id, connection_id, body.mode, "api", idempotency_key=key)
    return run_view(run)


@router.get("/connections/<connection_id>/syncs", tags=TAG, summary="Runs of a connection, newest first",
            responses={200: {"description": "Runs"}, **error_responses(401, 404, 422)})
def list_runs(connection_id: ConnectionId,
              limit: Annotated[int, Query(ge=1, le=100)] = 20) -> RunList:
    user_id = _user()
    lifecycle.get_connection(user_id, connection_id)
    runs = RunModel.query(connection_id, scan_index_forward=False, limit=limit)
    return RunList(items=[run_view(r) for r in runs if r.user_id == user_id])


@router.get("/connections/<connection_id>/syncs/<run_id>", tags=TAG,
            summary="One run: progress, per-product counts, coverage, periods beyond retention",
            responses={200: {"description": "The run"}, **error_responses(401, 404, 422)})
def get_run(connection_id: ConnectionId, run_id: Annotated[str, Path(min_length=1, max_length=64)]) -> RunOut:
    user_id = _user()
    lifecycle.get_connection(user_id, connection_id)
    try:
        run = RunModel.get(connection_id, run_id)
    except DoesNotExist:
        run = None
    if run is None or run.user_id != user_id:
        raise NotFound("run_not_found", f"No run {run_id}.", field="run_id")
    return run_view(run, with_products=True)
