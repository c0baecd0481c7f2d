"""A change of key is read at once by every reader, whatever it cached (issue 17 item 3)."""

from __future__ import annotations

import json
import time
from typing import Any

import boto3
from binsync.binance.signing import Credentials
from binsync.connections import secrets
from binsync.storage.models import ConnectionModel
from binsync.sync import binance_io


def test_a_rotated_key_is_used_by_the_next_client_despite_the_cache(cloud: Any) -> None:
    name = secrets.store_credentials("user-a", "c1", Credentials("old-key", "old-secret"))
    connection = ConnectionModel("user-a", "c1", binance_uid="42", secret_name=name,
                                 created_at=int(time.time() * 1000))
    assert binance_io.make_client(connection).credentials.api_key == "old-key"  # now cached here
    # Another execution environment (the API) rotates the key: this one's cache is not told.
    boto3.client("secretsmanager").put_secret_value(
        SecretId=name, SecretString=json.dumps({"api_key": "new-key", "secret": "new-secret"}))
    connection.status_changed_at = int(time.time() * 1000)  # what the rotation sets after the secret
    assert binance_io.make_client(connection).credentials.api_key == "new-key"


def test_an_unchanged_key_is_served_from_the_cache(cloud: Any, monkeypatch: Any) -> None:
    name = secrets.store_credentials("user-a", "c1", Credentials("k", "s"))
    changed = int(time.time() * 1000) - 60_000
    secrets.load_credentials(name, changed_at_ms=changed)
    calls = []
    real = secrets.parameters.get_secret
    monkeypatch.setattr(secrets.parameters, "get_secret",
                        lambda *a, **kw: calls.append(kw["force_fetch"]) or real(*a, **kw))
    secrets.load_credentials(name, changed_at_ms=changed)
    assert calls == [False]
