"""Margin small-liability exchange (`margin.small_liability`, spec §5.5.8).

Binance pays off a tiny cross-margin debt of `asset` (`amount`) with `targetAmount` of
`targetAsset` taken from the cross-margin wallet. The debt is not a wallet balance in the ledger
(a borrow credits the free balance, a repayment debits it), so the only balance that moves is
`-targetAmount targetAsset` in margin_cross: a repayment paid in another coin. Rows have no id:
the native key is (timestamp, asset).
"""

from __future__ import annotations

from binsync.model import Transaction

from .base import Row, RowContext, dstr, leg


def small_liability(row: Row, ctx: RowContext) -> Transaction:
    time_ms = row.ms("timestamp")
    asset, debt = row.text("asset"), row.dec("amount", nonneg=True)
    target, paid = row.text("targetAsset"), row.dec("targetAmount", nonneg=True)
    meta = {"asset": asset, "amount": dstr(debt), "bizType": row.get("bizType")}
    return ctx.tx(f"small_liability:{time_ms}:{asset}", "repay", [leg(target, -paid, "margin_cross", "out")],
                  time_ms, meta=meta,
                  description=f"Small liability exchange: {dstr(debt)} {asset} debt paid with "
                              f"{dstr(paid)} {target}")


NORMALISERS = {"margin.small_liability": small_liability}
