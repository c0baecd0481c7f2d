"""/connections/{id}/syncs: start a sync, list runs, read one run."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import Annotated, Any

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


@functools.cache
def _start_once() -> tuple[Any, Callable[..., dict[str, Any]]]:
    """start_sync behind Powertools idempotency: the same Idempotency-Key (per user, connection
    and mode) within 24 h answers the first run instead of starting another one."""
    from aws_lambda_powertools.utilities.idempotency import (
        DynamoDBPersistenceLayer,
        IdempotencyConfig,
        idempotent_function,
    )

    stack = os.environ.get("BINSYNC_STACK", "binsync")
    table = os.environ.get("IDEMPOTENCY_TABLE", f"{stack}-idempotency")
    persistence = DynamoDBPersistenceLayer(table_name=table)

    config = IdempotencyConfig(expires_after_seconds=24 * 3600)

    @idempotent_function(data_keyword_argument="request", persistence_store=persistence, config=config)
    def start(request: dict[str, Any]) -> dict[str, Any]:
        run = lifecycle.launch_sync(request["user_id"], request["connection_id"], request["mode"], "api")
        return {"connection_id": run.connection_id, "run_id": run.run_id}

    return config, start


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
    if not idempotency_key:
        return run_view(lifecycle.launch_sync(user_id, connection_id, body.mode, "api"))
    config, start_once = _start_once()
    context = getattr(router, "lambda_context", None)
    if context is not None and hasattr(context, "get_remaining_time_in_millis"):
        config.register_lambda_context(context)
    ids = start_once(request={"user_id": user_id, "connection_id": connection_id, "mode": body.mode,
                              "key": idempotency_key})
    return run_view(RunModel.get(ids["connection_id"], ids["run_id"]))


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
        raise NotFound("run_not_found", "No such run.", field="run_id")
    return run_view(run, with_products=True)
