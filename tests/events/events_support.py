"""Helpers shared by the tests of tests/events (handler loading, rows, a Lambda context)."""

from __future__ import annotations

import importlib.util
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def load_handler(name: str) -> ModuleType:
    """functions/<name>/app.py under a unique module name (every handler file is `app`)."""
    module_name = f"handler_{name}_{uuid.uuid4().hex[:6]}"
    spec = importlib.util.spec_from_file_location(module_name, ROOT / "functions" / name / "app.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


@dataclass
class FakeContext:
    function_name: str = "test"
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:test"
    memory_limit_in_mb: int = 512
    aws_request_id: str = "req-1"
    function_version: str = "$LATEST"

    def get_remaining_time_in_millis(self) -> int:
        return 60_000


# The tests' scheduled hour, Monday 02:00 UTC, is slot 2 of the week (binsync.events.slots).
TEST_SLOT = 2


def make_connection(user_id: str, connection_id: str, *, status: str = "active", uid: str = "1001",
                    **extra: Any) -> Any:
    """A connection in the tests' resync slot (unless `resync_slot` says otherwise)."""
    from binsync.storage.models import ConnectionModel

    extra.setdefault("resync_slot", TEST_SLOT)
    conn = ConnectionModel(user_id, connection_id, binance_uid=uid, secret_name=f"s/{connection_id}",
                           status=status, created_at=1_700_000_000_000, **extra)
    conn.save()
    return conn


def make_run(connection_id: str, run_id: str, *, user_id: str = "user-a", status: str = "running",
             error: dict[str, Any] | None = None) -> Any:
    from binsync.storage.models import RunModel

    run = RunModel(connection_id, run_id, user_id=user_id, binance_uid="1001", mode="incremental",
                   status=status, started_at=int(run_id.split("-")[0]), error=error)
    run.save()
    return run


class BinanceDown:
    """A loopback stand-in for Binance during an outage: every request gets HTTP 503 with
    Binance's -1001 body (a transient error). Its weight header announces a one-second weight
    interval, which the client reads as a time-compressed server (like the emulator's), so its
    backoff sleeps stay short."""

    BODY = b'{"code":-1001,"msg":"Internal error; unable to process your request. Please try again."}'

    def __init__(self) -> None:
        import http.server
        import threading

        body = self.BODY

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(503)
                self.send_header("Content-Type", "application/json")
                self.send_header("X-MBX-USED-WEIGHT-1S", "1")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> BinanceDown:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
