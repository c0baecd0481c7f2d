"""Emulator fixtures: generated accounts (fixed clock for determinism, live clock for walks) and
servers (time_scale=60 so that walks never wait on Binance's minute buckets)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from binsync_local.emulator import EmulatorServer, generate_account
from binsync_local.emulator.account import Account
from emulator_support import FIXED_NOW, Signed


@pytest.fixture(scope="session")
def small_fixed() -> Account:
    return generate_account("small", 7, FIXED_NOW)


@pytest.fixture(scope="session")
def live_small() -> Account:
    """A small account whose `now` is the real clock (walks compare against live retention)."""
    return generate_account("small", 11)


@pytest.fixture
def server(live_small: Account) -> Iterator[EmulatorServer]:
    with EmulatorServer(live_small, time_scale=60) as srv:
        yield srv


@pytest.fixture
def signed(server: EmulatorServer) -> Signed:
    c = server.credentials
    return Signed(c["base_url"], c["api_key"], c["api_secret"])
