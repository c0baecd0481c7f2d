"""Auto-Invest purchases (`auto_invest.history`): source −(amount−fee) (out), −fee (fee),
target +targetAssetAmount, all in spot (docs/ledger.md)."""

from __future__ import annotations

from decimal import Decimal

from binsync.model import Transaction

from .base import Row, RowContext, RowError, Skip, dstr, fee_legs, leg


def history(row: Row, ctx: RowContext) -> Transaction | Skip:
    status = row.text("transactionStatus")
    if status.upper() != "SUCCESS":
        return Skip(f"transactionStatus={status} (only SUCCESS is an event)")
    source, target = row.text("sourceAsset"), row.text("targetAsset")
    spent, received = row.dec("sourceAssetAmount", nonneg=True), row.dec("targetAssetAmount", nonneg=True)
    fee = row.dec("transactionFee", nonneg=True, default=Decimal(0))
    if fee > spent:
        raise RowError(row.name("transactionFee"), f"fee {dstr(fee)} exceeds sourceAssetAmount {dstr(spent)}")
    fee_asset = row.text("transactionFeeUnit", default=source)
    legs = [leg(source, -(spent - fee), "spot", "out"), *fee_legs(fee_asset, fee, "spot"),
            leg(target, received, "spot", "in")]
    meta = {"planId": row.get("planId"), "planType": row.get("planType"), "planName": row.get("planName"),
            "executionPrice": row.get("executionPrice"), "executionType": row.get("executionType"),
            "sourceWallet": row.get("sourceWallet"), "fee": dstr(fee)}
    return ctx.tx(f"auto_invest:{row.ident('id')}", "trade", legs, row.ms("transactionDateTime"), meta=meta,
                  description=f"Auto-Invest {dstr(spent)} {source} -> {dstr(received)} {target}")


NORMALISERS = {"auto_invest.history": history}
