"""/connections: register a key, read status and live progress, rotate, revalidate, delete."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from binsync.api.auth import user_id_from_event
from binsync.api.errors import error_responses
from binsync.api.schemas.connections import (
    ConnectionCreate,
    ConnectionList,
    ConnectionOut,
    DeletionReport,
    KeysRotate,
)
from binsync.api.views import connection_view
from binsync.connections import lifecycle, redaction
from binsync.connections.lifecycle import KeyInput
from binsync.storage.models import ConnectionModel, RunModel

router = APIGatewayRouter()
TAG = ["connections"]
ConnectionId = Annotated[str, Path(min_length=1, max_length=64, description="Connection id")]


def _user() -> str:
    return user_id_from_event(router.current_event)


def _key(body: ConnectionCreate | KeysRotate) -> KeyInput:
    secret = body.api_secret.get_secret_value()
    redaction.remember_key(body.api_key, secret)
    return KeyInput(api_key=body.api_key, api_secret=secret, key_type=body.key_type)


def _view(user_id: str, conn: ConnectionModel, run: RunModel | None = None) -> ConnectionOut:
    others = [c.connection_id for c in lifecycle.same_account(user_id, conn.binance_uid,
                                                              exclude=conn.connection_id)]
    return connection_view(conn, same_account_as=others, run=run or lifecycle.current_run(conn))


@router.post("/connections", status_code=201, tags=TAG, summary="Register a Binance API key",
             description="Checks the key (apiRestrictions, account, account/info) and refuses it with one "
             "detail per failed check (cannot read, IP-restricted, can trade, can withdraw, can transfer, "
             "invalid secret, unknown key); warns when futures cannot be read. Stores the secret in "
             "Secrets Manager and starts the first sync unless `start_sync` is false.",
             responses={201: {"description": "Registered"}, **error_responses(400, 401, 409, 422, 503)})
def create_connection(body: ConnectionCreate) -> ConnectionOut:
    user_id = _user()
    conn, run = lifecycle.register(user_id, _key(body), label=body.label, sync_mode=body.sync_mode,
                                   base_url=body.base_url, start_sync=body.start_sync,
                                   mining_accounts=[a.model_dump() for a in body.mining_accounts])
    return _view(user_id, conn, run)


@router.get("/connections", tags=TAG, summary="List your connections",
            responses={200: {"description": "Your connections"}, **error_responses(401)})
def list_connections() -> ConnectionList:
    user_id = _user()
    conns = lifecycle.list_connections(user_id)
    by_uid: dict[str, list[str]] = {}
    for c in conns:
        by_uid.setdefault(c.binance_uid, []).append(c.connection_id)
    return ConnectionList(items=[
        connection_view(c, same_account_as=[o for o in by_uid[c.binance_uid] if o != c.connection_id],
                        run=lifecycle.current_run(c))
        for c in conns])


@router.get("/connections/<connection_id>", tags=TAG, summary="A connection with its live sync progress",
            responses={200: {"description": "The connection"}, **error_responses(401, 404, 422)})
def get_connection(connection_id: ConnectionId) -> ConnectionOut:
    user_id = _user()
    return _view(user_id, lifecycle.get_connection(user_id, connection_id))


@router.put("/connections/<connection_id>/keys", tags=TAG, summary="Rotate the key",
            description="Replaces the key with a new key of the same Binance account; the new key is "
            "checked like at registration, the connection is re-enabled and an incremental sync starts.",
            responses={200: {"description": "Rotated"}, **error_responses(400, 401, 404, 409, 422, 503)})
def rotate_keys(connection_id: ConnectionId, body: KeysRotate) -> ConnectionOut:
    user_id = _user()
    conn, run = lifecycle.rotate_keys(user_id, connection_id, _key(body), start_sync=body.start_sync)
    return _view(user_id, conn, run)


@router.post("/connections/<connection_id>/revalidate", tags=TAG, summary="Check the stored key again",
             description="Self-service recovery after the key was fixed in Binance: if every check passes "
             "the connection is active at once and an incremental sync starts. A key that still fails "
             "is disabled with the reason and the answer lists each failed check.",
             responses={200: {"description": "Active again"}, **error_responses(401, 404, 409, 422, 503)})
def revalidate(connection_id: ConnectionId,
               start_sync: Annotated[bool, Query(description="Start an incremental sync")] = True,
               ) -> ConnectionOut:
    user_id = _user()
    conn, run = lifecycle.revalidate(user_id, connection_id, start_sync=start_sync)
    return _view(user_id, conn, run)


PurgeAnnotations = Annotated[bool, Query(description="Also delete the labels, prices and notes of this "
                                         "Binance account (otherwise kept, and back when a key of the "
                                         "same account is added again)")]


@router.get("/connections/<connection_id>/deletion-preview", tags=TAG,
            summary="What deleting this connection would delete and keep",
            responses={200: {"description": "Nothing is deleted"}, **error_responses(401, 404, 422)})
def deletion_preview(connection_id: ConnectionId,
                     purge_annotations: PurgeAnnotations = False) -> DeletionReport:
    plan = lifecycle.plan_deletion(_user(), connection_id, purge_annotations=purge_annotations)
    return DeletionReport(**plan.report(done=False))


@router.delete("/connections/<connection_id>", tags=TAG, summary="Delete a connection",
               description="Deletes the key's secret, its runs and its API-sourced transactions (kept when "
               "another of your connections reads the same Binance account). Annotations are kept keyed "
               "by Binance account unless `purge_annotations=true`. `dry_run=true` only reports.",
               responses={200: {"description": "What was deleted"}, **error_responses(401, 404, 422)})
def delete_connection(connection_id: ConnectionId, purge_annotations: PurgeAnnotations = False,
                      dry_run: Annotated[bool, Query(description="Only report")] = False) -> DeletionReport:
    user_id = _user()
    if dry_run:
        return DeletionReport(**lifecycle.plan_deletion(user_id, connection_id,
                                                        purge_annotations=purge_annotations).report(done=False))
    return DeletionReport(**lifecycle.delete_connection(user_id, connection_id,
                                                        purge_annotations=purge_annotations))
