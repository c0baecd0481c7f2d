"""API credentials in Secrets Manager, one secret per connection under the user's path.

Name: `<SECRETS_PREFIX>/users/<user_id>/connections/<connection_id>` (IAM grants the functions
`<prefix>/users/*` only). The secret value is JSON {"api_key", "secret", "key_type"}; it is never
logged and never returned by the API.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from typing import Any

import boto3
from aws_lambda_powertools.utilities import parameters

from binsync.binance.signing import Credentials
from binsync.connections import redaction, tenant_scope

# Any process that handles secrets redacts them from every log record (botocore at DEBUG logs
# request and response bodies).
redaction.install()

# A sync's many fetch_window calls should not each pay a Secrets Manager round trip: a short cache
# per execution environment. A change of key must not wait for it (issue 17: a rotation's own
# sync read the old key from this cache and the connection was disabled): readers pass the
# connection's `status_changed_at`, which every rotation and revalidation sets after writing the
# secret, and a cached value fetched before that moment (with a margin for clocks) is fetched again.
CACHE_SECONDS = 60
CHANGE_MARGIN_MS = 2_000
_fetched_at_ms: dict[str, int] = {}


def secrets_prefix() -> str:
    return os.environ.get("SECRETS_PREFIX", "binsync/local")


def secret_name(user_id: str, connection_id: str) -> str:
    return f"{secrets_prefix()}/users/{user_id}/connections/{connection_id}"


def _client() -> Any:
    return boto3.client("secretsmanager")


def _encode(credentials: Credentials) -> str:
    return json.dumps({"api_key": credentials.api_key, "secret": credentials.secret,
                       "key_type": credentials.key_type})


def store_credentials(user_id: str, connection_id: str, credentials: Credentials) -> str:
    """Create (or replace, on key rotation) the connection's secret; returns its name."""
    redaction.remember_key(credentials.api_key, credentials.secret)
    name = secret_name(user_id, connection_id)
    client = _client()
    try:
        client.create_secret(Name=name, SecretString=_encode(credentials),
                             Tags=[{"Key": "binsync:user", "Value": user_id}])
    except client.exceptions.ResourceExistsException:
        client.put_secret_value(SecretId=name, SecretString=_encode(credentials))
    _fetched_at_ms.pop(name, None)  # this environment's next read fetches the new value
    return name


_tenant_providers: dict[str, tuple[parameters.SecretsProvider, float]] = {}


def _tenant_provider(user_id: str) -> parameters.SecretsProvider | None:
    """A secrets provider on the user's scoped session (None locally), renewed before the
    session's credentials expire; its cache is the user's own."""
    cached = _tenant_providers.get(user_id)
    if cached and cached[1] > time.time():
        return cached[0]
    session = tenant_scope.cached_tenant_session(user_id)
    if session is None:
        return None
    provider = parameters.SecretsProvider(boto3_session=session)
    _tenant_providers[user_id] = (provider, time.time() + tenant_scope.SESSION_SECONDS
                                  - tenant_scope.RENEW_BEFORE_S)
    return provider


def load_credentials(name: str, *, force_fetch: bool = False,
                     changed_at_ms: int | None = None) -> Credentials:
    """The credentials in secret `name`. `changed_at_ms`: when the connection's key last changed
    (ConnectionModel.status_changed_at); a value cached before it is never returned."""
    fetched = _fetched_at_ms.get(name)
    if fetched is None or (changed_at_ms is not None and fetched < int(changed_at_ms) + CHANGE_MARGIN_MS):
        force_fetch = True
    if force_fetch:
        _fetched_at_ms[name] = int(time.time() * 1000)
    # Deployed, the read goes through a session scoped to the secret's user (tenant_scope): the
    # worker's own role may not read any secret.
    provider = _tenant_provider(tenant_scope.user_of_secret(name))
    if provider is not None:
        raw = provider.get(name, transform="json", max_age=CACHE_SECONDS, force_fetch=force_fetch)
    else:
        raw = parameters.get_secret(name, transform="json", max_age=CACHE_SECONDS, force_fetch=force_fetch)
    redaction.remember_key(raw.get("api_key"), raw.get("secret"))
    return Credentials(api_key=raw["api_key"], secret=raw["secret"], key_type=raw.get("key_type", "hmac"))


def delete_credentials(name: str) -> None:
    client = _client()
    with contextlib.suppress(client.exceptions.ResourceNotFoundException):
        client.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)
    _fetched_at_ms.pop(name, None)
