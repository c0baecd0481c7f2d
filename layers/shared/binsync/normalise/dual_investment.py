"""Dual investment positions (`dual_investment.positions`, spec §5.9.6).

`GET /sapi/v1/dci/product/positions` is the only dual-investment endpoint with the user's history:
one row per position with `investCoin`, `subscriptionAmount`, `strikePrice`, `settleDate` and
`purchaseStatus`, and nothing about the outcome. Binance's documented response (developers.binance.com
dual_investment/trade/Get-Dual-Investment-positions) has no settled price, no returned coin and no
returned amount. So a position books its subscription only: `subscriptionAmount` of `investCoin`
leaves spot for the earn wallet. The settlement (which coin and how much came back at `settleDate`)
is statement-only: the catalogue row says so and the plan reports it on the product's coverage
(`statement_only`), so the earn balance it leaves is a named gap, never a silent one.

Statuses: a subscription moved the coin once the purchase succeeded (PURCHASE_SUCCESS, SETTLING,
SETTLED); PENDING is not final yet (read again on the next sync: the endpoint has no time filter);
PURCHASE_FAIL, REFUNDING and REFUND_SUCCESS moved nothing for good (the coin stays or comes back).
"""

from __future__ import annotations

from binsync.model import Transaction

from .base import Row, RowContext, Skip, dstr, leg

SUBSCRIBED = frozenset({"PURCHASE_SUCCESS", "SETTLING", "SETTLED"})


def positions(row: Row, ctx: RowContext) -> Transaction | Skip:
    status = row.text("purchaseStatus")
    if status not in SUBSCRIBED:
        return Skip(f"purchaseStatus={status} (no lasting balance change)")
    coin, amount = row.text("investCoin"), row.dec("subscriptionAmount", nonneg=True)
    keys = ("exercisedCoin", "strikePrice", "duration", "settleDate", "apr", "orderId", "optionType",
            "autoCompoundPlan")
    meta = {key: row.get(key) for key in keys}
    meta.update(purchaseStatus=status, settlement="statement only (no endpoint returns it)")
    return ctx.tx(f"dual_investment:{row.ident('id')}", "transfer",
                  [leg(coin, -amount, "spot", "out"), leg(coin, amount, "earn", "in")],
                  row.ms("purchaseEndTime"), meta=meta,
                  description=f"Dual investment subscription: {dstr(amount)} {coin} ({row.get('optionType')} "
                              f"{row.get('exercisedCoin')} at {row.get('strikePrice')})")


NORMALISERS = {"dual_investment.positions": positions}
