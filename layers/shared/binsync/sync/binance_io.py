"""The few direct Binance reads the sync makes besides task pages, in one place.

Everything goes through `binsync.binance.client.BinanceClient` (weights, buckets, signing,
error classification); this module only names the calls and shapes their answers.
"""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

from binsync.connections.secrets import load_credentials
from binsync.runtime import egress_ip
from binsync.storage.models import ConnectionModel

# exchangeInfo hides symbols of the TRD_GRP_* permissions unless they are asked for
# explicitly (spec §5.1.1), so every permission is named.
ALL_PERMISSIONS: tuple[str, ...] = ("SPOT", "MARGIN", "LEVERAGED",
                                    *(f"TRD_GRP_{n:03d}" for n in range(2, 26)))


# Binance's clock offset, learned by one client and reused by the next ones of this execution
# environment for a while: a task then makes no /api/v3/time request of its own.
_OFFSET_TTL_S = 60.0
_offsets: dict[str, tuple[float, int]] = {}


def make_client(connection: ConnectionModel) -> Any:
    from binsync.binance.client import BinanceClient

    credentials = load_credentials(connection.secret_name, changed_at_ms=connection.status_changed_at)
    client = BinanceClient(credentials=credentials, base_url=connection.base_url,
                           source_address=egress_ip())
    known = _offsets.get(connection.base_url)
    if known is not None and time.monotonic() - known[0] < _OFFSET_TTL_S:
        client.offset_ms = known[1]
    return client


def remember_offset(client: Any) -> None:
    """Keep the clock offset a client learned for the next clients (call after it worked)."""
    offset = getattr(client, "offset_ms", None)
    server = getattr(client, "server", None)
    if offset is not None and server:
        for base_url in {server, server.rstrip("/")}:
            _offsets[base_url] = (time.monotonic(), int(offset))


def call(client: Any, endpoint: str, params: dict[str, Any] | None = None) -> Any:
    return client.request(endpoint, params=params or {})


def exchange_markets(client: Any) -> dict[str, dict[str, str]]:
    """symbol -> {base, quote, status}: the union of every permission and of BREAK symbols."""
    markets: dict[str, dict[str, str]] = {}
    permissions = "[" + ",".join(f'"{p}"' for p in ALL_PERMISSIONS) + "]"
    for params in ({"permissions": permissions}, {"permissions": permissions, "symbolStatus": "BREAK"}):
        body = call(client, "spot.exchange_info", params)
        for entry in (body or {}).get("symbols", []):
            markets[str(entry["symbol"])] = {"base": str(entry["baseAsset"]),
                                             "quote": str(entry["quoteAsset"]),
                                             "status": str(entry.get("status", ""))}
    return markets


def account_info(client: Any) -> dict[str, Any]:
    """/sapi/v1/account/info product flags (isMarginEnabled, isFutureEnabled, ...)."""
    return dict(call(client, "account.info") or {})


def api_restrictions(client: Any) -> dict[str, Any]:
    return dict(call(client, "account.api_restrictions") or {})


def spot_balances(client: Any) -> dict[str, Decimal]:
    """asset -> free + locked, from /api/v3/account (non-zero only)."""
    body = call(client, "account.spot", {"omitZeroBalances": "true"}) or {}
    out: dict[str, Decimal] = {}
    for entry in body.get("balances", []):
        total = Decimal(str(entry.get("free", "0"))) + Decimal(str(entry.get("locked", "0")))
        if total:
            out[str(entry["asset"])] = total
    return out


def server_time_ms(client: Any) -> int | None:
    try:
        body = call(client, "system.time")
    except Exception:  # the local clock is a fine fallback for planning
        return None
    value = (body or {}).get("serverTime")
    return int(value) if value is not None else None


def client_stats(client: Any) -> dict[str, int]:
    """requests, weight (all buckets), http_429, http_418 the client has seen so far."""
    stats = getattr(client, "stats", None)
    if stats is None:
        return {}
    weight = getattr(stats, "weight", 0)
    if isinstance(weight, dict):
        weight = sum(int(v) for v in weight.values())
    return {"requests": int(getattr(stats, "requests", 0)), "weight": int(weight or 0),
            "http_429": int(getattr(stats, "http_429", 0)), "http_418": int(getattr(stats, "http_418", 0))}
