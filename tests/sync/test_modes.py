"""Sync modes: where full, since_last and incremental syncs start."""

from __future__ import annotations

from decimal import Decimal

import pytest
from binsync.binance.catalogue import DAY_MS
from binsync.model import Leg, Source, Transaction, transaction_id
from binsync.storage.models import ConnectionModel
from binsync.storage.writer import write_transactions
from binsync.sync.modes import BINANCE_LAUNCH_MS, INCREMENTAL_OVERLAP_MS, resolve_start

NOW = 1_780_000_000_000


def _connection(**kw) -> ConnectionModel:
    conn = ConnectionModel("u1", "c1", binance_uid="42", secret_name="s", created_at=NOW, **kw)
    conn.save()
    return conn


def _store(time_ms: int, source: str = "statement") -> None:
    tx = Transaction(id=transaction_id("42", source, f"row:{time_ms}"), account="42", time_ms=time_ms,
                     kind="deposit", legs=(Leg("BTC", Decimal("1")),), source=Source(source, "file.csv"))
    write_transactions([tx], user_id="u1")


def test_full_starts_at_binance_launch(cloud):
    start = resolve_start("full", _connection())
    assert (start.effective, start.start_ms) == ("full", BINANCE_LAUNCH_MS)


def test_since_last_starts_at_the_newest_stored_transaction_of_the_account(cloud):
    conn = _connection()
    assert resolve_start("since_last", conn).effective == "full"  # nothing stored yet
    for t in (NOW - 300 * DAY_MS, NOW - 20 * DAY_MS, NOW - 90 * DAY_MS):
        _store(t)  # e.g. a statement uploaded before the key
    # Another account of the same user does not move the start.
    other = Transaction(id="x", account="99", time_ms=NOW, kind="deposit", legs=(), source=Source("api", "r"))
    write_transactions([other], user_id="u1")
    start = resolve_start("since_last", conn)
    assert (start.effective, start.start_ms) == ("since_last", NOW - 20 * DAY_MS)


def test_incremental_starts_before_the_last_successful_window_end(cloud):
    conn = _connection(last_success_window_end=NOW)
    start = resolve_start("incremental", conn)
    assert start.effective == "incremental"
    assert start.start_ms == NOW - INCREMENTAL_OVERLAP_MS == NOW - 2 * DAY_MS


def test_a_first_incremental_sync_falls_back_to_since_last_then_full(cloud):
    conn = _connection()
    assert resolve_start("incremental", conn).effective == "full"
    _store(NOW - 5 * DAY_MS)
    start = resolve_start("incremental", conn)
    assert (start.effective, start.start_ms) == ("since_last", NOW - 5 * DAY_MS)


def test_an_unknown_mode_is_refused(cloud):
    with pytest.raises(ValueError, match="mode"):
        resolve_start("weekly", _connection())
