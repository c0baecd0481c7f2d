"""DynamoDB as a service of its own: moto's DynamoDB served from a child process.

On AWS, DynamoDB does its work on its own machines. In the local cloud moto's DynamoDB runs on
the same interpreter as every simulated Lambda, so its CPU (parsing, condition checks, item
copies, sorting for queries) is taken from the fan-out, one interpreter lock for all. Served from
a child process it uses the machine's other core, and the handlers reach it the way they reach
DynamoDB on AWS: over HTTP, through the standard `AWS_ENDPOINT_URL_DYNAMODB` setting.

The child applies the same adjustments as the in-process cloud (moto_dynamodb.adjust: one
request at a time, large pages, item-level transactions, plain JSON) and keeps connections alive
(HTTP/1.1), as DynamoDB's endpoint does.
"""

from __future__ import annotations

import contextlib
import logging
import select
import subprocess
import sys
import threading

START_TIMEOUT_S = 60


def serve() -> None:
    """The child: print the port, serve until stdin closes (the parent stopped or died)."""
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    from binsync_local.cloud import moto_dynamodb

    moto_dynamodb.adjust(True)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # not a line per request

    class KeepAliveHandler(MotoRequestHandler):
        protocol_version = "HTTP/1.1"

    server = make_server("127.0.0.1", 0, DomainDispatcherApplication(create_backend_app), threaded=True,
                         request_handler=KeepAliveHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(server.server_address[1], flush=True)
    sys.stdin.read()
    server.shutdown()


class DynamoDBService:
    """One child process serving moto's DynamoDB on a loopback port; `url` once started."""

    def __init__(self) -> None:
        self.url: str | None = None
        self._process: subprocess.Popen[str] | None = None

    def start(self) -> DynamoDBService:
        # A fresh interpreter (not a fork: the parent runs threads and an active moto mock).
        self._process = subprocess.Popen([sys.executable, "-c", f"from {__name__} import serve; serve()"],
                                         stdin=subprocess.PIPE,
                                         stdout=subprocess.PIPE, text=True)
        ready, _, _ = select.select([self._process.stdout], [], [], START_TIMEOUT_S)
        line = self._process.stdout.readline() if ready else ""  # type: ignore[union-attr]
        if not line.strip().isdigit():
            self.stop()
            raise RuntimeError("the DynamoDB process did not start")
        self.url = f"http://127.0.0.1:{int(line)}"
        return self

    def stop(self) -> None:
        if self._process is None:
            return
        with contextlib.suppress(BrokenPipeError, OSError):
            self._process.stdin.close()  # type: ignore[union-attr]
        try:
            self._process.wait(5)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait(5)
        self._process = self.url = None
