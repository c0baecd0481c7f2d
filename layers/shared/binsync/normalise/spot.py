"""Spot fills (`spot.my_trades`) and the fill legs shared with margin trades.

A fill row says the symbol but not its base and quote assets; those come from the request
context (the planner passes `base`/`quote` for a symbol task, or the exchangeInfo `symbols` map).
Splitting a symbol string into assets is never guessed: a missing mapping rejects the row.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from binsync.model import Leg, Transaction

from .base import Row, RowContext, RowError, dstr, fee_legs, leg


def market(row: Row, ctx: RowContext) -> tuple[str, str, str]:
    """(symbol, base, quote) of a fill, from the row's symbol and the request context."""
    requested = ctx.param("symbol")
    symbol = row.get("symbol") or requested
    if not symbol:
        raise RowError(row.name("symbol"), "missing in the row and in the request context")
    symbol = str(symbol)
    if requested and str(requested) != symbol:
        raise RowError(row.name("symbol"), f"{symbol} does not match the requested symbol {requested}")
    base, quote = ctx.param("base"), ctx.param("quote")
    if not (base and quote):
        base, quote = _lookup(ctx.context.get("symbols"), symbol)
    if not (base and quote):
        raise RowError(row.name("symbol"), f"base/quote assets of {symbol} unknown: pass context "
                       "base and quote, or the exchangeInfo symbols map")
    return symbol, str(base), str(quote)


def _lookup(symbols: object, symbol: str) -> tuple[str | None, str | None]:
    """symbols map entry: (base, quote) pair or an exchangeInfo-like {baseAsset, quoteAsset}."""
    if not isinstance(symbols, Mapping):
        return None, None
    entry = symbols.get(symbol)
    if isinstance(entry, list | tuple) and len(entry) == 2:
        return entry[0], entry[1]
    if isinstance(entry, Mapping):
        return (entry.get("base") or entry.get("baseAsset"), entry.get("quote") or entry.get("quoteAsset"))
    return None, None


def fill_legs(row: Row, base: str, quote: str, wallet: str) -> tuple[list[Leg], dict[str, object]]:
    """Legs of one fill: base ±qty, quote ∓quoteQty, −commission (fee); plus the facts for meta."""
    qty = row.dec("qty", nonneg=True)
    price = row.dec("price", nonneg=True)
    # quoteQty is absent from margin fills and possibly from very old spot fills (spec §5.2.1).
    quote_qty = row.dec("quoteQty", nonneg=True) if row.has("quoteQty") else price * qty
    is_buyer = row.flag("isBuyer")
    commission = row.dec("commission", nonneg=True, default=Decimal(0))
    sign = 1 if is_buyer else -1
    legs = [leg(base, sign * qty, wallet), leg(quote, -sign * quote_qty, wallet)]
    if commission:
        legs += fee_legs(row.text("commissionAsset"), commission, wallet)
    facts = {
        "side": "BUY" if is_buyer else "SELL",
        "price": dstr(price), "qty": dstr(qty), "quoteQty": dstr(quote_qty),
        "commission": dstr(commission), "commissionAsset": row.get("commissionAsset"),
        "isBuyer": is_buyer, "isMaker": row.flag("isMaker", default=False),
        "orderId": row.ident("orderId") if row.has("orderId") else None,
        "tradeId": row.ident("id"),
    }
    return legs, facts


def describe_fill(facts: dict[str, object], base: str, quote: str) -> str:
    verb = "Buy" if facts["isBuyer"] else "Sell"
    return f"{verb} {facts['qty']} {base} for {facts['quoteQty']} {quote}"


def my_trades(row: Row, ctx: RowContext) -> Transaction:
    symbol, base, quote = market(row, ctx)
    trade_id = row.ident("id")
    legs, facts = fill_legs(row, base, quote, "spot")
    meta = {"symbol": symbol, "base": base, "quote": quote, **facts}
    if row.has("orderListId"):
        meta["orderListId"] = row.ident("orderListId")
    return ctx.tx(f"spot_trade:{symbol}:{trade_id}", "trade", legs, row.ms("time"), meta=meta,
                  description=describe_fill(facts, base, quote))


NORMALISERS = {"spot.my_trades": my_trades}
