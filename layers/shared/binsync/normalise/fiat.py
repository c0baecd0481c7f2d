"""Fiat deposits/withdrawals (`fiat.orders`) and card/bank crypto buys and sells (`fiat.payments`).

Neither row says whether it is a deposit or a withdrawal, a buy or a sell: that is the request's
`transactionType` (0 or 1), which the planner passes in the context. Without it the row is
rejected, never guessed. The event time is `createTime`, the field the endpoint's window filters on
(so a record's time lies inside the window that fetched it); `updateTime` goes to meta.
"""

from __future__ import annotations

from decimal import Decimal

from binsync.model import Transaction

from .base import Row, RowContext, RowError, Skip, dstr, fee_legs, leg


def transaction_type(ctx: RowContext) -> int:
    value = ctx.param("transactionType")
    if str(value).strip() not in ("0", "1"):
        raise RowError("transactionType", f"request context must say 0 or 1, got {value!r}")
    return int(str(value).strip())


def _status(row: Row, accepted: tuple[str, ...]) -> Skip | None:
    status = row.text("status")
    if status not in accepted:
        return Skip(f"status={status} (only {'/'.join(accepted)} is an event)")
    return None


def _update_time(row: Row) -> int | None:
    return row.ms("updateTime") if row.has("updateTime") else None


def orders(row: Row, ctx: RowContext) -> Transaction | Skip:
    withdraw = transaction_type(ctx) == 1
    skip = _status(row, ("Successful", "Finished"))
    if skip:
        return skip
    currency = row.text("fiatCurrency")
    fee = row.dec("totalFee", nonneg=True, default=Decimal(0))
    if withdraw:
        amount = row.dec("amount", nonneg=True)
        legs = [leg(currency, -amount, "spot", "out"), *fee_legs(currency, fee, "spot")]
        kind, text = "fiat_withdrawal", f"Fiat withdrawal {dstr(amount)} {currency}"
    else:
        # indicatedAmount is what the user sent; the fee comes out of it: net +amount.
        gross = row.dec("indicatedAmount", nonneg=True)
        legs = [leg(currency, gross, "spot", "in"), *fee_legs(currency, fee, "spot")]
        kind, text = "fiat_deposit", f"Fiat deposit {dstr(gross - fee)} {currency}"
    meta = {"method": row.get("method"), "fiatCurrency": currency, "fee": dstr(fee),
            "indicatedAmount": row.get("indicatedAmount"), "amount": row.get("amount"),
            "transactionType": 1 if withdraw else 0, "updateTime": _update_time(row)}
    return ctx.tx(f"fiat_order:{row.ident('orderNo')}", kind, legs,
                  row.ms("createTime"), meta=meta, description=text)


def payments(row: Row, ctx: RowContext) -> Transaction | Skip:
    sell = transaction_type(ctx) == 1
    skip = _status(row, ("Completed",))
    if skip:
        return skip
    fiat, crypto = row.text("fiatCurrency"), row.text("cryptoCurrency")
    source = row.dec("sourceAmount", nonneg=True)
    obtain = row.dec("obtainAmount", nonneg=True)
    fee = row.dec("totalFee", nonneg=True, default=Decimal(0))
    if fee > source:
        raise RowError(row.name("totalFee"), f"fee {dstr(fee)} exceeds sourceAmount {dstr(source)}")
    method = row.get("paymentMethod")
    if sell:
        # docs/ledger.md: −obtainAmount crypto, +(sourceAmount−totalFee) fiat into spot, "fee".
        # Read so that the spot fiat nets to +(sourceAmount−totalFee): +sourceAmount (in) and
        # −totalFee (fee). (An in-leg of sourceAmount−totalFee plus a fee leg would take the
        # fee twice.)
        legs = [leg(crypto, -obtain, "spot", "out"), leg(fiat, source, "spot", "in"),
                *fee_legs(fiat, fee, "spot")]
        text = f"Sell {dstr(obtain)} {crypto} for {dstr(source)} {fiat}"
    else:
        # The fiat comes from outside Binance (a card) unless paid from the fiat balance.
        pay_wallet = "spot" if method == "Cash Balance" else "external"
        legs = [leg(crypto, obtain, "spot", "in"), leg(fiat, -(source - fee), pay_wallet, "out"),
                *fee_legs(fiat, fee, pay_wallet)]
        text = f"Buy {dstr(obtain)} {crypto} for {dstr(source)} {fiat}"
    meta = {"paymentMethod": method, "price": row.get("price"), "fee": dstr(fee),
            "fiatCurrency": fiat, "cryptoCurrency": crypto, "transactionType": 1 if sell else 0,
            "updateTime": _update_time(row)}
    return ctx.tx(f"fiat_payment:{row.ident('orderNo')}", "card_buy", legs,
                  row.ms("createTime"), meta=meta, description=text)


NORMALISERS = {"fiat.orders": orders, "fiat.payments": payments}
