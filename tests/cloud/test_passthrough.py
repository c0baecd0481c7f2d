"""Requests to the Binance emulator are not matched against moto's AWS URL patterns (one lock
for every thread of the process); every other request still is."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import requests


class _Ok(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args: Any) -> None:
        pass


def test_emulator_requests_skip_the_mocks_registry(cloud: Any, monkeypatch: Any) -> None:
    from moto.core.models import responses_mock

    server = ThreadingHTTPServer(("127.0.0.1", 0), _Ok)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        emulator = f"http://127.0.0.1:{server.server_address[1]}"
        other = f"http://localhost:{server.server_address[1]}"
        monkeypatch.setenv("BINSYNC_ALLOW_BASE_URLS", f"https://api.binance.com,{emulator}")
        looked_up: list[str] = []
        real = responses_mock._registry.find
        monkeypatch.setattr(responses_mock._registry, "find",
                            lambda request: (looked_up.append(request.url), real(request))[1])
        assert requests.get(f"{emulator}/api/v3/time", timeout=5).json() == {}
        assert looked_up == []
        assert requests.get(f"{other}/api/v3/time", timeout=5).json() == {}  # not an emulator URL
        assert looked_up == [f"{other}/api/v3/time"]
    finally:
        server.shutdown()
