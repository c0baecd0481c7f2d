"""Sync modes: where full, since_last and incremental syncs start."""

from __future__ import annotations

from decimal import Decimal

import pytest
from binsync.binance.catalogue import DAY_MS
from binsync.model import Leg, Source, Transaction, transaction_id
from binsync.storage.models import ConnectionModel
from binsync.storage.writer import write_transactions
from binsync.sync.ledger import Ledger
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


def test_since_last_declares_the_files_cover_up_to_the_newest_stored_transaction(cloud):
    conn = _connection()
    assert resolve_start("since_last", conn).effective == "full"  # nothing stored yet
    for t in (NOW - 300 * DAY_MS, NOW - 20 * DAY_MS, NOW - 90 * DAY_MS):
        _store(t)  # e.g. a statement uploaded before the key
    # Another account of the same user does not move the start.
    other = Transaction(id="x", account="99", time_ms=NOW, kind="deposit", legs=(), source=Source("api", "r"))
    write_transactions([other], user_id="u1")
    start = resolve_start("since_last", conn)
    assert (start.effective, start.files_cover_until) == ("since_last", NOW - 20 * DAY_MS)
    assert start.use_ledger
    assert start.start_ms == BINANCE_LAUNCH_MS  # the rest is read: the ledger says what is covered


def test_incremental_plans_from_the_ledger_not_from_the_last_window_end(cloud):
    conn = _connection(last_success_window_end=NOW)
    # A last success alone proves nothing: with an empty ledger the sync reads everything.
    start = resolve_start("incremental", conn, ledger=Ledger("c1"))
    assert (start.effective, start.start_ms, start.use_ledger) == ("full", BINANCE_LAUNCH_MS, False)
    known = Ledger("c1", api={"wallet.deposits||": [(BINANCE_LAUNCH_MS, NOW)]})
    start = resolve_start("incremental", conn, ledger=known)
    assert (start.effective, start.start_ms, start.use_ledger) == ("incremental", BINANCE_LAUNCH_MS, True)
    assert INCREMENTAL_OVERLAP_MS == 2 * DAY_MS


def test_incremental_never_falls_back_to_since_last(cloud):
    """Issue 15: after a failed first sync, `incremental` started at the newest record that run
    stored and every earlier hole stayed a hole. It is never the silent fallback of another mode."""
    conn = _connection()
    _store(NOW - 5 * DAY_MS, source="api")  # what a failed first sync happened to store
    start = resolve_start("incremental", conn, ledger=Ledger("c1"))
    assert (start.effective, start.start_ms, start.files_cover_until) == ("full", BINANCE_LAUNCH_MS, None)


def test_an_unknown_mode_is_refused(cloud):
    with pytest.raises(ValueError, match="mode"):
        resolve_start("weekly", _connection())
