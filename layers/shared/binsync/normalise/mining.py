"""Pool mining earnings (`mining.payments`): +profitAmount coinName into the funding wallet.

Binance pays settled pool income into the Funding wallet ("After settlement is complete, mining
income is sent directly to your Binance Funding wallet", Binance FAQ 360041383531, How to check
my mining earnings); the pool account has no balance endpoint (binance-api.md §5.11), so income
booked to a `mining` wallet could never be reconciled.

Amounts are JSON numbers here (spec §7.5), parsed through str() so floats keep their shortest
decimal form. Only paid rows (status 2) moved a balance; unpaid/paying rows are skipped.
"""

from __future__ import annotations

from binsync.model import Transaction

from .base import Row, RowContext, Skip, dstr, leg
from .wallet import status_code

PAID = 2
PAYOUT_WALLET = "funding"


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
    return ctx.tx(f"mining:{coin}:{time_ms}:{pay_type}", "mining", [leg(coin, amount, PAYOUT_WALLET)],
                  time_ms,
                  meta=meta, description=f"Mining payout {dstr(amount)} {coin}")


def extra_bonus(row: Row, ctx: RowContext) -> Transaction | Skip:
    """Extra Bonus List (`/sapi/v1/mining/payment/other`): merged mining, activity bonus, rebate,
    smart pool... +profitAmount coinName into the funding wallet, paid rows only."""
    if row.has("status") and status_code(row) != PAID:
        return Skip(f"status={status_code(row)} (only 2, paid, is an event)")
    coin, amount = row.text("coinName"), row.dec("profitAmount", nonneg=True)
    time_ms, bonus_type = row.ms("time"), row.ident("type")
    meta = {"type": bonus_type, "userName": ctx.param("userName"), "algo": ctx.param("algo")}
    return ctx.tx(f"mining_other:{coin}:{time_ms}:{bonus_type}", "mining", [leg(coin, amount, PAYOUT_WALLET)],
                  time_ms, meta=meta, description=f"Mining extra bonus {dstr(amount)} {coin}")


def account_earnings(row: Row, ctx: RowContext) -> Transaction:
    """Mining Account Earning (`/sapi/v1/mining/payment/uid`): referral, refund and rebate
    earnings per mining account (`puid`, `subName`), +amount coinName into the funding wallet."""
    coin, amount = row.text("coinName"), row.dec("amount", nonneg=True)
    time_ms, earning_type, puid = row.ms("time"), row.ident("type"), row.ident("puid")
    meta = {"type": earning_type, "puid": puid, "subName": row.get("subName"), "algo": ctx.param("algo")}
    return ctx.tx(f"mining_account:{coin}:{time_ms}:{earning_type}:{puid}", "mining",
                  [leg(coin, amount, PAYOUT_WALLET)], time_ms, meta=meta,
                  description=f"Mining account earning {dstr(amount)} {coin}")


NORMALISERS = {"mining.payments": payments, "mining.other": extra_bonus,
               "mining.account_earnings": account_earnings}
