"""Shared boto3 clients, one per service and execution environment.

Creating a boto3 client costs tens of milliseconds (it loads and parses the service model), which
is more than the call it makes; a Lambda environment (and the local cloud's worker threads)
reuses one. boto3 clients are thread-safe once created; creation is serialised here because the
default session is not.
"""

from __future__ import annotations

import os
import threading
from typing import Any

import boto3
from botocore.config import Config

from binsync.storage.models import MAX_POOL_CONNECTIONS

_lock = threading.Lock()
_clients: dict[tuple[str | None, ...], Any] = {}


def client(service: str) -> Any:
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    # The endpoint settings are part of the key: a local cloud may move DynamoDB to another port.
    key = (service, region, os.environ.get("AWS_ENDPOINT_URL"),
           os.environ.get(f"AWS_ENDPOINT_URL_{service.upper()}"))
    found = _clients.get(key)
    if found is None:
        with _lock:
            found = _clients.get(key)
            if found is None:
                # Requests are built by this package; client-side validation of every batch of
                # 25 items costs more than the call (as pynamodb, which disables it too).
                # The pool as the models' (storage.models.MAX_POOL_CONNECTIONS): threads share it.
                found = _clients[key] = boto3.client(service, config=Config(
                    parameter_validation=False, max_pool_connections=MAX_POOL_CONNECTIONS))
    return found
