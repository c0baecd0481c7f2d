"""Convert trades (`convert.trade_flow`): −fromAmount fromAsset, +toAmount toAsset, spot."""

from __future__ import annotations

from binsync.model import Transaction

from .base import Row, RowContext, Skip, dstr, leg


def trade_flow(row: Row, ctx: RowContext) -> Transaction | Skip:
    status = row.text("orderStatus")
    if status.upper() != "SUCCESS":
        return Skip(f"orderStatus={status} (only SUCCESS is an event)")
    order_id = row.ident("orderId")  # > 2^53 (spec §7.5): kept as exact digits
    from_asset, to_asset = row.text("fromAsset"), row.text("toAsset")
    from_amount, to_amount = row.dec("fromAmount", nonneg=True), row.dec("toAmount", nonneg=True)
    legs = [leg(from_asset, -from_amount, "spot", "out"), leg(to_asset, to_amount, "spot", "in")]
    meta = {"orderId": order_id, "quoteId": row.get("quoteId"), "ratio": row.get("ratio"),
            "inverseRatio": row.get("inverseRatio")}
    return ctx.tx(f"convert:{order_id}", "convert", legs, row.ms("createTime"), meta=meta,
                  description=f"Convert {dstr(from_amount)} {from_asset} to {dstr(to_amount)} {to_asset}")


NORMALISERS = {"convert.trade_flow": trade_flow}
