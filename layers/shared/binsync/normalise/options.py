"""Vanilla options: the bill (funding flow) carries the balance; fills and exercises are detail."""

from __future__ import annotations

from binsync.model import Transaction

from .base import Row, RowContext, dstr, leg


def user_trades(row: Row, ctx: RowContext) -> Transaction:
    trade_id = row.ident("id")  # > 2^53 (spec §7.5)
    meta = {"symbol": row.get("symbol"), "orderId": row.ident("orderId") if row.has("orderId") else None,
            "tradeId": row.ident("tradeId") if row.has("tradeId") else None, "side": row.get("side"),
            "price": row.get("price"), "quantity": row.get("quantity"), "fee": row.get("fee"),
            "realizedProfit": row.get("realizedProfit"), "quoteAsset": row.get("quoteAsset"),
            "liquidity": row.get("liquidity"), "optionSide": row.get("optionSide")}
    return ctx.tx(f"options_trade:{trade_id}", "options", [], row.ms("time"), meta=meta,
                  detail_of="options.bill",
                  description=f"Option fill {meta['side']} {meta['quantity']} {meta['symbol']} "
                              f"@ {meta['price']}")


def bill(row: Row, ctx: RowContext) -> Transaction:
    bill_id = row.ident("id")
    bill_type = row.text("type")
    asset, amount = row.text("asset"), row.dec("amount")
    meta = {"type": bill_type, "amount": dstr(amount)}
    key, time_ms = f"options_bill:{bill_id}", row.ms("createDate")
    text = f"Options {bill_type} {dstr(amount)} {asset}"
    if bill_type.upper() == "TRANSFER":
        return ctx.tx(key, "transfer", [], time_ms, meta=meta, detail_of="wallet.universal_transfer",
                      description=text)
    if bill_type.upper() == "FEE":
        return ctx.tx(key, "fee", [leg(asset, amount, "options", "fee")], time_ms, meta=meta,
                      description=text)
    return ctx.tx(key, "options", [leg(asset, amount, "options")], time_ms, meta=meta, description=text)


def exercise(row: Row, ctx: RowContext) -> Transaction:
    meta = {"symbol": row.get("symbol"), "currency": row.get("currency"),
            "exercisePrice": row.get("exercisePrice"), "markPrice": row.get("markPrice"),
            "quantity": row.get("quantity"), "amount": row.get("amount"), "fee": row.get("fee"),
            "positionSide": row.get("positionSide"), "optionSide": row.get("optionSide")}
    return ctx.tx(f"options_exercise:{row.ident('id')}", "options", [], row.ms("createDate"), meta=meta,
                  detail_of="options.bill",
                  description=f"Option exercise {meta['quantity']} {meta['symbol']} -> {meta['amount']}")


NORMALISERS = {
    "options.user_trades": user_trades,
    "options.bill": bill,
    "options.exercise": exercise,
}
