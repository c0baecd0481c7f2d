"""Requests to the Binance emulator skip moto's HTTP mock, as a Lambda's requests reach Binance.

moto's mock patches `requests` for the whole process: every request, the emulator's too, is first
matched against moto's ~180 AWS URL patterns under one lock (`responses.RequestsMock._find_match`)
and only then passed through. With a sync's Map workers on threads of one process, that lock
serialised their Binance requests (a tenth of all thread samples of a py-spy run of the subset
sync waited on it). The emulator serves no AWS API, so a request to one of its base URLs
(loopback URLs in BINSYNC_ALLOW_BASE_URLS) matched none of them: it now goes straight through.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit


def emulator_urls() -> list[str]:
    allowed = [u.rstrip("/") for u in os.environ.get("BINSYNC_ALLOW_BASE_URLS", "").split(",") if u]
    return [u for u in allowed if _loopback(u)]


def _loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    return host == "localhost" or host.startswith("127.") or host == "::1"


def _is_emulator(url: str) -> bool:
    return any(url == base or url.startswith(base + "/") or url.startswith(base + "?")
               for base in emulator_urls())


def install() -> Callable[[], None]:
    """Pass emulator requests by moto's registry; returns the undo."""
    from moto.core.models import responses_mock

    original = responses_mock._find_match

    def find_match(request: Any) -> Any:
        if _is_emulator(str(request.url)):
            return None, []  # no match: moto's pass-through for http(s) sends it for real
        return original(request)

    responses_mock._find_match = find_match

    def uninstall() -> None:
        if responses_mock.__dict__.get("_find_match") is find_match:
            del responses_mock._find_match

    return uninstall
