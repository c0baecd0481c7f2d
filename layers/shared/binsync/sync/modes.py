"""What a sync reads (issue 5 item 2, issue 15 item 1).

Every mode plans, for every endpoint scope, each interval the connection's coverage ledger
(`binsync.sync.ledger`) does not prove read, from Binance's launch (no endpoint returns the
account's opening date, spec §7.3: apiRestrictions.createTime is the key's creation) or the
endpoint's horizon up to now, plus the late-record overlap (`INCREMENTAL_OVERLAP_MS` before the
newest covered millisecond) and each endpoint's settle period (catalogue `settle_ms`). The modes
differ only in what counts as covered:

- `full`: nothing. Everything is read again (writes are idempotent).
- `incremental`: what the ledger proves read. A failed or cut-short earlier sync leaves holes in
  the ledger, and the next incremental sync (weekly, revalidation, rotation) reads them: no mode
  starts at "the newest record stored", which after a failed first sync skipped every hole.
- `since_last`: Waltio's meaning. The user says the files already on the account cover everything
  up to its newest transaction; that is recorded in the ledger as covered by the user's files
  (shown as such) and the sync reads what neither the files nor earlier syncs cover. Only ever
  on explicit request: no other mode falls back to it.

An `incremental` sync asks spot myTrades only for the markets that can have new fills
(`planner.select_markets`) plus every market the ledger never proved read (`plan.py`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from binsync.binance.catalogue import DAY_MS
from binsync.storage.models import ConnectionModel, TransactionModel, account_key
from binsync.sync.ledger import BINANCE_LAUNCH_MS, Ledger

__all__ = ["BINANCE_LAUNCH_MS", "INCREMENTAL_OVERLAP_MS", "MODES", "SyncStart", "resolve_start"]

Mode = Literal["full", "since_last", "incremental"]
MODES: tuple[str, ...] = ("full", "since_last", "incremental")

INCREMENTAL_OVERLAP_MS = 2 * DAY_MS


@dataclass(frozen=True)
class SyncStart:
    mode: str            # the mode asked for
    effective: str       # the mode actually applied (an incremental sync over an empty ledger is a full one)
    start_ms: int        # the floor: every scope must be proven read from here (or its horizon)
    reason: str
    use_ledger: bool = False  # plan only what the ledger does not cover
    files_cover_until: int | None = None  # since_last: the user's files cover up to here


def newest_stored_ms(user_id: str, binance_uid: str) -> int | None:
    """Time of the newest transaction stored for this account, from any source."""
    for item in TransactionModel.by_account.query(
        account_key(user_id, binance_uid), scan_index_forward=False, limit=1,
        attributes_to_get=["time_ms"],
    ):
        return int(item.time_ms)
    return None


def resolve_start(mode: str, connection: ConnectionModel, *, ledger: Ledger | None = None,
                  floor_ms: int = BINANCE_LAUNCH_MS) -> SyncStart:
    """What a sync of `connection` in `mode` counts as already covered (module docstring)."""
    if mode not in MODES:
        raise ValueError(f"mode: must be one of {', '.join(MODES)}, not {mode!r}")
    if mode == "since_last":
        newest = newest_stored_ms(connection.user_id, connection.binance_uid)
        if newest is not None:
            return SyncStart(mode, "since_last", floor_ms,
                             "the user's files cover everything up to the account's newest stored "
                             "transaction; the rest of the history is read", use_ledger=True,
                             files_cover_until=newest)
        return SyncStart(mode, "full", floor_ms,
                         "no transaction stored yet, so the user's files cover nothing: everything is read")
    if mode == "incremental":
        if ledger is not None and (ledger.has_reads or ledger.user_files):
            return SyncStart(mode, "incremental", floor_ms,
                             "every interval the coverage ledger does not prove read, plus a 2-day "
                             "late-record overlap and each endpoint's settle period", use_ledger=True)
        return SyncStart(mode, "full", floor_ms,
                         "the coverage ledger proves nothing read yet: everything since Binance's launch")
    return SyncStart(mode, "full", floor_ms, "Binance launch (2017-07-14): no earlier bound is known")
