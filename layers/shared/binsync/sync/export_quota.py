"""The monthly quota of the asynchronous futures exports, counted across runs (spec §5.6.2, §5.7.2).

Binance allows `monthly_quota` download requests per export endpoint a month ("Request
Limitation is 5 times per month, shared by front end download page and rest api"). A run that
does not know what earlier runs (or the user, on the website) spent would plan requests Binance
then refuses. So each connection keeps, on its row (`ConnectionModel.export_quota`), the requests
spent per month and endpoint: `{"2026-12": {"usdm.income_export": 3}}`.

- Plan: `remaining` per endpoint for this month; the planner asks for no more windows than that
  and names the others as gaps with the month they can be read (`retry_month`).
- Fetch: every download id obtained is counted (`spend`, a conditional update, safe against the
  parallel tasks of a run). A refusal for the quota sets this month's count to the quota
  (`exhaust`): the user spent the rest on the website, and no later run of this month asks again.

Assumptions (spec ❓): the month is the UTC calendar month of Binance's clock (the plan's server
time); the quota is counted here per connection (two connections of one Binance account each
count their own requests: the refusal path still stops the second one). Only the current and
the previous month are kept.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from pynamodb.exceptions import UpdateError

from binsync.binance.catalogue import Endpoint
from binsync.storage.models import ConnectionModel

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8  # concurrent increments retry on a changed row


def month_of(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m")


def next_month(month: str) -> str:
    year, mon = (int(x) for x in month.split("-"))
    return f"{year + mon // 12:04d}-{mon % 12 + 1:02d}"


def quota_of(ep: Endpoint) -> int:
    return int(ep.extra.get("monthly_quota") or 0)  # type: ignore[call-overload]


def used(ledger: Mapping[str, Any] | None, endpoint: str, month: str) -> int:
    try:
        return int(((ledger or {}).get(month) or {}).get(endpoint) or 0)
    except (TypeError, ValueError):
        return 0


def remaining(ledger: Mapping[str, Any] | None, endpoints: Iterable[Endpoint], now_ms: int) -> dict[str, int]:
    """Export endpoint -> requests left this month (never below 0)."""
    month = month_of(now_ms)
    return {ep.name: max(0, quota_of(ep) - used(ledger, ep.name, month)) for ep in endpoints}


def _update(user_id: str, connection_id: str, endpoint: str, month: str, value_of: Any) -> None:
    """Set this month's count of `endpoint` to `value_of(current)`, retried on a concurrent change."""
    for _ in range(MAX_ATTEMPTS):
        connection = ConnectionModel.get(user_id, connection_id, consistent_read=True)
        before = connection.export_quota
        ledger = {m: dict(v) for m, v in (before or {}).items() if m >= _previous(month)}
        ledger.setdefault(month, {})[endpoint] = value_of(used(before, endpoint, month))
        condition = (ConnectionModel.export_quota.does_not_exist() if before is None
                     else ConnectionModel.export_quota == before)
        try:
            connection.update(actions=[ConnectionModel.export_quota.set(ledger)], condition=condition)
            return
        except UpdateError as exc:
            if "ConditionalCheckFailed" not in str(exc):
                raise
    log.warning("export quota of %s not recorded after %d attempts", endpoint, MAX_ATTEMPTS)


def _previous(month: str) -> str:
    year, mon = (int(x) for x in month.split("-"))
    return f"{year - (mon == 1):04d}-{(mon - 2) % 12 + 1:02d}"


def spend(user_id: str, connection_id: str, ep: Endpoint, now_ms: int) -> None:
    _update(user_id, connection_id, ep.name, month_of(now_ms), lambda n: n + 1)


def exhaust(user_id: str, connection_id: str, ep: Endpoint, now_ms: int) -> None:
    _update(user_id, connection_id, ep.name, month_of(now_ms), lambda n: max(n, quota_of(ep)))
