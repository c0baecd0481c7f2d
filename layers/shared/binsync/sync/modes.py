"""Where a sync starts (issue 5 item 2).

- `full`: everything since the account opened. No endpoint returns the account's opening date
  (spec §7.3: apiRestrictions.createTime is the key's creation), so the floor is Binance's
  launch, 2017-07-14 (rotki's BINANCE_LAUNCH_TS), unless a better bound is known.
- `since_last`: from the newest transaction already stored for that Binance account (e.g. after
  a statement upload), found through the by_account index, newest first.
- `incremental`: from the end of the last successful sync's window, minus an overlap that
  catches late records (deposits credited late, withdrawals completing later, convert orders
  settled after the window end). Writes are idempotent, so the overlap costs requests only.
  Endpoints whose records stay pending for days (catalogue `settle_ms`) start further back still
  (planner).

Every mode plans every endpoint; only the start moves. Endpoints with a retention horizon are
planned in every mode so data about to fall off the horizon is always captured. The one other
difference: an `incremental` sync asks spot myTrades only for the markets that can have new fills
(`planner.select_markets`, decided on the effective mode: a first incremental walks every market).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from binsync.binance.catalogue import DAY_MS
from binsync.storage.models import ConnectionModel, TransactionModel, account_key

Mode = Literal["full", "since_last", "incremental"]
MODES: tuple[str, ...] = ("full", "since_last", "incremental")

BINANCE_LAUNCH_MS = 1_500_001_200_000  # 2017-07-14T03:00:00Z
INCREMENTAL_OVERLAP_MS = 2 * DAY_MS


@dataclass(frozen=True)
class SyncStart:
    mode: str            # the mode asked for
    effective: str       # the mode actually applied (a first incremental sync is a full one)
    start_ms: int
    reason: str


def newest_stored_ms(user_id: str, binance_uid: str) -> int | None:
    """Time of the newest transaction stored for this account, from any source."""
    for item in TransactionModel.by_account.query(
        account_key(user_id, binance_uid), scan_index_forward=False, limit=1,
        attributes_to_get=["time_ms"],
    ):
        return int(item.time_ms)
    return None


def resolve_start(mode: str, connection: ConnectionModel, *, floor_ms: int = BINANCE_LAUNCH_MS) -> SyncStart:
    """The window start of a sync of `connection` in `mode`."""
    if mode not in MODES:
        raise ValueError(f"mode: must be one of {', '.join(MODES)}, not {mode!r}")
    if mode == "incremental":
        if connection.last_success_window_end:
            start = max(floor_ms, int(connection.last_success_window_end) - INCREMENTAL_OVERLAP_MS)
            return SyncStart(mode, "incremental", start,
                             "last successful sync's window end minus a 2-day overlap")
        mode_fallback = "since_last"
    else:
        mode_fallback = mode
    if mode_fallback == "since_last":
        newest = newest_stored_ms(connection.user_id, connection.binance_uid)
        if newest is not None:
            # Inclusive: records sharing the newest millisecond are fetched again (idempotent).
            return SyncStart(mode, "since_last", max(floor_ms, newest),
                             "newest transaction already stored for this account")
    return SyncStart(mode, "full", floor_ms, "Binance launch (2017-07-14): no earlier bound is known")
