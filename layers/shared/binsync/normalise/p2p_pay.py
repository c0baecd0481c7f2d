"""P2P (C2C) orders and Binance Pay transactions.

P2P: the crypto moves in the funding wallet; the fiat is paid to / received from the counterparty
outside Binance (wallet `external`). Pay: `amount` is signed ("positive is income, negative is
expenditure"); walletType 1 is funding, 2 spot (Pay's own coding).
"""

from __future__ import annotations

from decimal import Decimal

from binsync.model import Transaction

from .base import Row, RowContext, RowError, Skip, dstr, fee_legs, leg

PAY_WALLETS = {1: "funding", 2: "spot"}


def p2p_orders(row: Row, ctx: RowContext) -> Transaction | Skip:
    status = row.text("orderStatus")
    if status.upper() != "COMPLETED":
        return Skip(f"orderStatus={status} (only COMPLETED is an event)")
    side = str(row.get("tradeType") or ctx.param("tradeType") or "").upper()
    if side not in ("BUY", "SELL"):
        raise RowError(row.name("tradeType"), f"must be BUY or SELL (row or request), got {side!r}")
    asset, fiat = row.text("asset"), row.text("fiat")
    amount, total = row.dec("amount", nonneg=True), row.dec("totalPrice", nonneg=True)
    commission = row.dec("commission", nonneg=True, default=Decimal(0))
    sign = 1 if side == "BUY" else -1
    legs = [leg(asset, sign * amount, "funding"), leg(fiat, -sign * total, "external"),
            *fee_legs(asset, commission, "funding")]
    meta = {"tradeType": side, "fiat": fiat, "unitPrice": row.get("unitPrice"), "totalPrice": dstr(total),
            "commission": dstr(commission), "advNo": row.get("advNo"),
            "counterPartNickName": row.get("counterPartNickName"), "payMethodName": row.get("payMethodName"),
            "advertisementRole": row.get("advertisementRole")}
    verb = "Buy" if side == "BUY" else "Sell"
    return ctx.tx(f"p2p:{row.ident('orderNumber')}", "p2p", legs, row.ms("createTime"), meta=meta,
                  description=f"P2P {verb.lower()} {dstr(amount)} {asset} for {dstr(total)} {fiat}")


def pay_wallet(row: Row) -> str:
    code = row.get("walletType")
    if code is None:
        types = row.get("walletTypes")
        if isinstance(types, list) and len(types) == 1:
            code = types[0]
    try:
        return PAY_WALLETS[int(str(code))]
    except (KeyError, ValueError):
        raise RowError(row.name("walletType"), f"unknown or missing Pay wallet type {code!r}") from None


def pay_transactions(row: Row, ctx: RowContext) -> Transaction:
    currency, amount = row.text("currency"), row.dec("amount")
    wallet = pay_wallet(row)
    counterparty = row.get("receiverInfo" if amount < 0 else "payerInfo")
    if not isinstance(counterparty, dict):
        counterparty = {}
    meta = {"orderType": row.get("orderType"), "counterparty": counterparty.get("name"),
            "counterpartyBinanceId": counterparty.get("binanceId")}
    return ctx.tx(f"pay:{row.ident('transactionId')}", "pay", [leg(currency, amount, wallet)],
                  row.ms("transactionTime"), meta=meta, description=f"Pay {dstr(amount)} {currency}")


NORMALISERS = {"p2p.orders": p2p_orders, "pay.transactions": pay_transactions}
