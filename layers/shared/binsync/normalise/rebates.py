"""Spot commission rebates and referral kickbacks (`rebates.tax_query`): +amount into spot.

Rows carry no id; the native key is (type, asset, updateTime, amount) with the amount rendered
as the response renders it, as docs/ledger.md says.
"""

from __future__ import annotations

from binsync.model import Transaction

from .base import Row, RowContext, dstr, leg

REBATE_TYPES = {"1": "commission rebate", "2": "referral kickback"}


def tax_query(row: Row, ctx: RowContext) -> Transaction:
    rebate_type = row.ident("type")
    asset, amount = row.text("asset"), row.dec("amount", nonneg=True)
    time_ms = row.ms("updateTime")
    label = REBATE_TYPES.get(rebate_type, f"rebate type {rebate_type}")
    return ctx.tx(f"rebate:{rebate_type}:{asset}:{time_ms}:{row.key_text('amount')}", "rebate",
                  [leg(asset, amount, "spot")], time_ms, meta={"type": rebate_type, "label": label},
                  description=f"Spot {label} {dstr(amount)} {asset}")


NORMALISERS = {"rebates.tax_query": tax_query}
