"""Live balances of every wallet Binance reports, read through the catalogue's balance shapes.

Each catalogue endpoint with a `balance` shape names the binsync wallet it reports and where the
asset and amount sit in its answer; this module only walks those shapes (and Simple Earn's
pages). A wallet whose endpoint cannot be read (a key without futures permission, a product the
account never opened) is reported as unread with the reason, never as zero.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from binsync.binance.catalogue import BalanceShape, Endpoint, balance_endpoints
from binsync.binance.errors import TransientError

MAX_PAGES = 50  # Simple Earn positions: 100 per page; 5000 positions is far beyond any account


@dataclass
class LiveBalances:
    """Per wallet: asset -> balance; per wallet and part (isolated pair): asset -> balance."""

    wallets: dict[str, dict[str, Decimal]] = field(default_factory=dict)
    parts: dict[str, dict[str, dict[str, Decimal]]] = field(default_factory=dict)
    read: dict[str, list[str]] = field(default_factory=dict)  # wallet -> endpoints read
    unread: dict[str, dict[str, str]] = field(default_factory=dict)  # wallet -> endpoint -> reason


def _dig(body: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        body = body.get(key) if isinstance(body, dict) else None
    return body


def _amount(row: dict[str, Any], fields: tuple[str, ...]) -> Decimal:
    total = Decimal(0)
    for name in fields:
        value = row.get(name)
        if value in (None, ""):
            continue
        try:
            total += Decimal(str(value))
        except InvalidOperation:
            raise ValueError(f"balance field {name!r} is not a number: {value!r}") from None
    return total


def rows_of(ep: Endpoint, body: Any) -> list[dict[str, Any]]:
    rows = _dig(body, ep.rows_path) if ep.rows_path else body
    return [r for r in rows or [] if isinstance(r, dict)]


def balances_in(shape: BalanceShape, rows: list[dict[str, Any]]) -> dict[str | None, dict[str, Decimal]]:
    """part (None when the wallet has no parts) -> asset -> balance, from one answer's rows."""
    out: dict[str | None, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for row in rows:
        part = str(row.get(shape.part_field)) if shape.part_field else None
        for entry in ([row.get(n) for n in shape.nested] if shape.nested else [row]):
            if isinstance(entry, dict) and entry.get(shape.asset_field):
                out[part][str(entry[shape.asset_field])] += _amount(entry, shape.amount_fields)
    return {p: dict(v) for p, v in out.items()}


def _fetch_rows(client: Any, ep: Endpoint) -> list[dict[str, Any]]:
    shape = ep.balance
    assert shape is not None
    params: dict[str, Any] = dict(shape.params)
    if not shape.paged:
        return rows_of(ep, client.request(ep.name, params))
    rows: list[dict[str, Any]] = []
    size = ep.max_page_size or 100
    for page in range(1, MAX_PAGES + 1):
        page_params = {**params, ep.cursor_param or "current": page, ep.limit_param or "size": size}
        body = client.request(ep.name, page_params)
        got = rows_of(ep, body)
        rows.extend(got)
        total = _dig(body, ep.total_path) if ep.total_path else None
        if len(got) < size or (total is not None and len(rows) >= int(total)):
            break
    return rows


def _unreachable(exc: Exception) -> bool:
    """The server cannot be reached at all (not one endpoint refusing): stop asking."""
    text = str(exc)
    return isinstance(exc, TransientError) and ("ConnectionError" in text or "Timeout" in text)


def read_live_balances(client: Any, endpoints: list[Endpoint] | None = None) -> LiveBalances:
    live = LiveBalances()
    unreachable: str | None = None
    for ep in endpoints if endpoints is not None else balance_endpoints():
        shape = ep.balance
        assert shape is not None
        if unreachable is not None:
            live.unread.setdefault(shape.wallet, {})[ep.name] = unreachable
            continue
        try:
            rows = _fetch_rows(client, ep)
        except Exception as exc:  # named, never counted as an empty wallet
            reason = f"{type(exc).__name__}: {str(exc)[:200]}"
            live.unread.setdefault(shape.wallet, {})[ep.name] = reason
            if _unreachable(exc):
                unreachable = f"not asked, Binance was unreachable ({reason})"
            continue
        wallet = live.wallets.setdefault(shape.wallet, {})
        for part, assets in balances_in(shape, rows).items():
            for asset, amount in assets.items():
                wallet[asset] = wallet.get(asset, Decimal(0)) + amount
                if part is not None:
                    bucket = live.parts.setdefault(shape.wallet, {}).setdefault(part, {})
                    bucket[asset] = bucket.get(asset, Decimal(0)) + amount
        live.read.setdefault(shape.wallet, []).append(ep.name)
    return live
