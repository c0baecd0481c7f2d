"""Reconcile a connection's wallets now: after a sync (Finish) and after a statement import.

Gathers what `reconcile_wallets` infers causes from (the run's beyond-retention periods and
unread products, the uploaded statements' periods, the markets listed now, when the first sync
started), reads every live balance and returns the plain report.
"""

from __future__ import annotations

import logging
import time
from calendar import timegm
from typing import Any

from binsync.storage import documents
from binsync.storage.models import ConnectionModel, RunModel, UploadModel
from binsync.sync import binance_io
from binsync.sync.reconcile_wallets import Context, StoredLedger, reconcile, stored_ledger
from binsync.sync.wallet_balances import read_live_balances

log = logging.getLogger(__name__)


def text_ms(text: str) -> int:
    return timegm(time.strptime(text, "%Y-%m-%d %H:%M:%S")) * 1000


def statement_periods(user_id: str, connection_id: str) -> list[tuple[int, int]]:
    """The first-to-last-row periods of the statements uploaded for this connection."""
    out = []
    for upload in UploadModel.query(user_id):
        period = (upload.report or {}).get("period") if upload.status == "done" else None
        if upload.connection_id == connection_id and period:
            try:
                out.append((text_ms(period["from"]), text_ms(period["to"]) + 999))
            except (KeyError, ValueError):
                continue
    return out


NO_MINING_ACCOUNT = ("not read: no mining account is named for this connection (Binance lists "
                     "none by key: binance-api.md §5.11); pool income is paid to Funding")


def unread_products(run: RunModel | None) -> dict[str, str]:
    out = {}
    for product, entry in ((documents.load(run.coverage) or {}) if run else {}).items():
        if entry.get("not_planned"):
            reasons = [str(n.get("reason", "")) for n in entry["not_planned"] if isinstance(n, dict)]
            out[product] = "not planned: " + "; ".join(sorted(set(reasons)))[:200]
        elif entry.get("complete") is False:
            out[product] = "not completely read"
    return out


def _first_sync_ms(connection_id: str, fallback: int) -> int:
    for run in RunModel.query(connection_id, limit=1):
        return int(run.started_at)
    return fallback


def _latest_run(connection_id: str) -> RunModel | None:
    latest = None
    for run in RunModel.query(connection_id):
        if run.status == "succeeded" and (latest is None or run.started_at > latest.started_at):
            latest = run
    return latest


def reconcile_connection(user_id: str, connection_id: str, *, run: RunModel | None = None,
                         client: Any = None, ledger: StoredLedger | None = None) -> dict[str, Any]:
    """The reconciliation report of every wallet; `run` defaults to the latest succeeded run."""
    connection = ConnectionModel.get(user_id, connection_id)
    run = run or _latest_run(connection_id)
    if client is None:
        client = binance_io.make_client(connection)
        client.max_retries = min(client.max_retries, 1)  # it informs: never hold an import up
    now = int(time.time() * 1000)
    live = read_live_balances(client)
    try:
        listed: set[str] | None = set()
        for market in binance_io.exchange_markets(client).values():
            listed.update((market["base"], market["quote"]))  # type: ignore[union-attr]
    except Exception as exc:  # without it no difference is put down to a delisted market
        log.warning("exchangeInfo for reconciliation failed: %s", type(exc).__name__)
        listed = None
    ctx = Context(now_ms=now, first_sync_ms=_first_sync_ms(connection_id, now),
                  beyond_retention=list((documents.load(run.beyond_retention) or []) if run else []),
                  statement_periods=statement_periods(user_id, connection_id), listed_assets=listed,
                  unread_products=unread_products(run))
    if not connection.mining_accounts:  # pool payouts move Funding: a difference there may be one
        ctx.unread_products.setdefault("mining", NO_MINING_ACCOUNT)
    report = reconcile(ledger or stored_ledger(user_id, str(connection.binance_uid)), live, ctx)
    report["at"] = now
    return report
