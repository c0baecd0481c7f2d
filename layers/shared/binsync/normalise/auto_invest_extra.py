"""Auto-Invest index-linked plan rebalances (`auto_invest.rebalance`, spec §5.9.5).

One row per rebalance of an index-linked plan: `transactionDetails` lists each asset bought or
sold (`rebalanceDirection` BUY/SELL, `rebalanceAmount` in that asset) and the plan pays
`rebalanceFee` `rebalanceFeeUnit`. The holdings are booked in spot like the plan's purchases
(`auto_invest.history`), so a rebalance is a trade there: +amount per BUY, -amount per SELL, and
the fee. Only SUCCESS rows moved anything (the other documented status, INIT, has not run yet).

Redemptions of an index-linked plan are not read: /sapi/v1/lending/auto-invest/redeem/history
requires the `requestId` of the user's own redeem call, and no endpoint lists those ids (neither
the subscription history nor the redeem response, which returns only `redemptionId`). The
catalogue row of this endpoint names that gap on the plan's coverage (`statement_only`).
"""

from __future__ import annotations

from decimal import Decimal

from binsync.model import Transaction

from .base import Row, RowContext, RowError, Skip, dstr, fee_legs, leg

_SIGN = {"BUY": 1, "SELL": -1}


def rebalance(row: Row, ctx: RowContext) -> Transaction | Skip:
    status = row.text("status")
    if status.upper() != "SUCCESS":
        return Skip(f"status={status} (only SUCCESS is an event)")
    details = row.get("transactionDetails")
    if not isinstance(details, list) or not details:
        raise RowError(row.name("transactionDetails"), "a rebalance without transactionDetails")
    legs, times = [], []
    for index, detail in enumerate(details):
        where = f"{row.name('transactionDetails')}[{index}]"
        direction = str(detail.get("rebalanceDirection", "")).upper() if isinstance(detail, dict) else ""
        if direction not in _SIGN:
            raise RowError(where, f"rebalanceDirection {direction or '(missing)'} is not BUY or SELL")
        try:
            amount = Decimal(str(detail["rebalanceAmount"]))
            times.append(int(detail["transactionDateTime"]))
        except (KeyError, ArithmeticError, ValueError, TypeError) as exc:
            raise RowError(where, f"unreadable rebalanceAmount/transactionDateTime ({exc})") from exc
        if not amount.is_finite() or amount < 0:
            raise RowError(where, f"negative rebalanceAmount {amount}")
        asset = str(detail.get("asset") or "")
        if not asset:
            raise RowError(where, "asset missing")
        legs.append(leg(asset, _SIGN[direction] * amount, "spot", "in" if direction == "BUY" else "out"))
    fee = row.dec("rebalanceFee", nonneg=True, default=Decimal(0))
    legs += fee_legs(row.text("rebalanceFeeUnit", default="USDT"), fee, "spot")
    meta = {"indexId": row.get("indexId"), "indexName": row.get("indexName"), "fee": dstr(fee)}
    return ctx.tx(f"auto_invest_rebalance:{row.ident('rebalanceId')}", "trade", legs, max(times), meta=meta,
                  description=f"Auto-Invest rebalance of {row.get('indexName')} ({len(details)} assets)")


NORMALISERS = {"auto_invest.rebalance": rebalance}
