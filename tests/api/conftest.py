"""Fixtures of the API tests: `api` (the embedded cloud with a fake Binance for registration and
a stubbed sync start) and `fake_binance`. Helpers live in api_support.py."""

from __future__ import annotations

from typing import Any

import pytest
from api_support import Api, FakeBinance


@pytest.fixture
def fake_binance() -> FakeBinance:
    return FakeBinance()


@pytest.fixture
def api(cloud: Any, fake_binance: FakeBinance, monkeypatch: pytest.MonkeyPatch) -> Api:
    monkeypatch.setattr("binsync.connections.registration.default_fetcher", fake_binance.factory)
    helper = Api(cloud, fake_binance, monkeypatch)
    helper.stub_sync()
    return helper
