"""The transactions table through the tenant session: a sync worker touches one user's items only.

Deployed, the sync workers (Plan, Fetch, Finish) hold no grant of their own on the transactions
table. Each invocation runs inside `scoped_to(user_id)`, which sends every request on that table
(the pynamodb model and the writer's BatchWriteItem client) with the credentials of the tenant
session (binsync.connections.tenant_scope): its policy allows only items whose partition key is
that user (`dynamodb:LeadingKeys`), so a bug that names another user's key is refused by IAM, not
by our code. Locally (no tenant role) this is a no-op.

A Lambda environment runs one invocation at a time, so the swap of the model's connection is not
shared with another user's invocation; the local cloud, which runs workers on threads, has
scoping off.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
from collections.abc import Iterator
from typing import Any

from botocore.config import Config

from binsync.connections import tenant_scope
from binsync.storage import clients
from binsync.storage.models import TransactionModel

SCOPED_MODELS = (TransactionModel,)
_CREDENTIAL_FIELDS = ("aws_access_key_id", "aws_secret_access_key", "aws_session_token")
_scoped_client: contextvars.ContextVar[Any | None] = contextvars.ContextVar("tenant_dynamodb", default=None)


def dynamodb_client() -> Any:
    """The DynamoDB client for the transactions table: the tenant session's inside `scoped_to`."""
    return _scoped_client.get() or clients.client("dynamodb")


@contextlib.contextmanager
def scoped_to(user_id: str) -> Iterator[None]:
    session = tenant_scope.cached_tenant_session(user_id)
    if session is None:
        yield
        return
    frozen = session.get_credentials().get_frozen_credentials()
    values = dict(zip(_CREDENTIAL_FIELDS, (frozen.access_key, frozen.secret_key, frozen.token), strict=True))
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    token = _scoped_client.set(session.client("dynamodb", region_name=region,
                                              config=Config(parameter_validation=False)))
    saved = [(model, {f: getattr(model.Meta, f, None) for f in _CREDENTIAL_FIELDS}, model._connection)
             for model in SCOPED_MODELS]
    try:
        for model, _, _ in saved:
            for field, value in values.items():
                setattr(model.Meta, field, value)
            model._connection = None  # pynamodb builds its connection from Meta on next use
        yield
    finally:
        for model, fields, connection in saved:
            for field, value in fields.items():
                setattr(model.Meta, field, value)
            model._connection = connection
        _scoped_client.reset(token)
