"""Shared helpers for the emulator tests (imported as a plain module, like events_support)."""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Any
from urllib.parse import urlencode

import requests

FIXED_NOW = 1_795_000_000_000  # 2026-11-18T09:46:40Z


class Signed:
    """Minimal signed GETs (HMAC), to test the server without any client library."""

    def __init__(self, base_url: str, api_key: str, secret: str, source: str | None = None):
        self.base, self.key, self.secret = base_url, api_key, secret
        self.session = requests.Session()
        if source:
            from binsync.binance.client import SourceAddressAdapter

            self.session.mount("http://", SourceAddressAdapter(source))

    def get(self, path: str, signed: bool = True, ts_offset_ms: int = 0, **params: Any) -> requests.Response:
        headers = {"X-MBX-APIKEY": self.key}
        if signed:
            params["timestamp"] = int(time.time() * 1000) + ts_offset_ms
            q = urlencode(params)
            sig = hmac.new(self.secret.encode(), q.encode(), hashlib.sha256).hexdigest()
            q = f"{q}&signature={sig}"
        else:
            q = urlencode(params)
        return self.session.get(f"{self.base}{path}?{q}", headers=headers, timeout=10)
