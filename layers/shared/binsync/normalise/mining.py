"""Pool mining earnings (`mining.payments`): +profitAmount coinName into the mining wallet.

Amounts are JSON numbers here (spec §7.5), parsed through str() so floats keep their shortest
decimal form. Only paid rows (status 2) moved a balance; unpaid/paying rows are skipped.
"""

from __future__ import annotations

from binsync.model import Transaction

from .base import Row, RowContext, Skip, dstr, leg
from .wallet import status_code

PAID = 2


def payments(row: Row, ctx: RowContext) -> Transaction | Skip:
    if row.has("status"):
        status = status_code(row)
        if status != PAID:
            return Skip(f"status={status} (only 2, paid, is an event)")
    coin, amount = row.text("coinName"), row.dec("profitAmount", nonneg=True)
    time_ms = row.ms("time")
    pay_type = row.ident("type")
    meta = {"type": pay_type, "hashTransfer": row.get("hashTransfer"),
            "transferAmount": dstr(row.dec("transferAmount")) if row.has("transferAmount") else None,
            "dayHashRate": row.get("dayHashRate"), "userName": ctx.param("userName"),
            "algo": ctx.param("algo")}
    return ctx.tx(f"mining:{coin}:{time_ms}:{pay_type}", "mining", [leg(coin, amount, "mining")], time_ms,
                  meta=meta, description=f"Mining payout {dstr(amount)} {coin}")


NORMALISERS = {"mining.payments": payments}
