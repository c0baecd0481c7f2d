"""Cloud-mining payments (`mining.cloud_mining`), spec §5.11 (extra bonuses are `mining.other`,
in `mining.py`).

Cloud mining answers only SUCCESS rows: type 248 is a payment for a
cloud-mining contract (-amount from spot), 249 a refund (+amount to spot); keyed by tranId.
"""

from __future__ import annotations

from binsync.model import Transaction

from .base import Row, RowContext, RowError, Skip, dstr, leg

CLOUD_PAYMENT, CLOUD_REFUND = 248, 249


def cloud_mining(row: Row, ctx: RowContext) -> Transaction | Skip:
    if row.has("status") and row.text("status").upper() not in ("S", "SUCCESS"):
        return Skip(f"status={row.text('status')} (only S, success, is an event)")
    kind = row.ident("type")
    if kind not in (str(CLOUD_PAYMENT), str(CLOUD_REFUND)):
        raise RowError(row.name("type"), f"unknown cloud-mining type {kind} (248 payment, 249 refund)")
    asset, amount = row.text("asset"), row.dec("amount", nonneg=True)
    sign = -1 if kind == str(CLOUD_PAYMENT) else 1
    label = "payment" if sign < 0 else "refund"
    return ctx.tx(f"cloud_mining:{row.ident('tranId')}", "pay", [leg(asset, sign * amount, "spot")],
                  row.ms("createTime"), meta={"type": kind},
                  description=f"Cloud mining {label} {dstr(amount)} {asset}")


NORMALISERS = {"mining.cloud_mining": cloud_mining}
