"""Crypto-loan order histories: flexible rate (v2), stable rate and VIP loans (spec §5.12).

Flexible and stable loans move balances through `loans.income` (one row per movement: borrowIn,
collateralSpent, repayAmount, collateralReturn, add/removeCollateral,
collateralReturnAfterLiquidation; `loans.py`). Their borrow, repay and LTV histories repeat those
movements per order, so they are detail records (no legs) of `loans.income`, kept for the loan's
terms (rates, LTV, order id). Two histories carry movements loan/income has no type for:

- a flexible-loan liquidation seizes `liquidationCollateralAmount` of the collateral (it leaves the
  loan wallet to pay the debt; `liquidationFee` is part of it); what is left comes back through
  loan/income `collateralReturnAfterLiquidation`.
- VIP loans are not in loan/income: a repayment is `-repayAmount loanCoin` from spot; the interest
  accrued on the debt is a detail of the repayments that pay it (no legs).

History rows without an order id are keyed by (time, loan coin, collateral coin).
"""

from __future__ import annotations

from collections.abc import Callable

from binsync.model import Transaction

from .base import Row, RowContext, Skip, dstr, leg

LEDGER = "loans.income"
_DONE = ("SUCCEEDS", "SUCCEED", "SUCCESS", "REPAID", "REPAYING", "LIQUIDATED", "COMPLETED")


def _done(row: Row, key: str) -> Skip | None:
    """Only completed rows: a failed or pending order moved nothing (rows without status pass)."""
    if not row.has(key):
        return None
    status = row.text(key)
    if status.upper() in _DONE:
        return None
    return Skip(f"{row.name(key)}={status} (only completed orders are events)")


def _detail(prefix: str, time_key: str, status_key: str | None, label: str,
            with_time: bool = False) -> Callable[[Row, RowContext], Transaction | Skip]:
    """Rows with an order id: keyed by orderId (and the row's time when an order has several)."""
    def normalise(row: Row, ctx: RowContext) -> Transaction | Skip:
        skip = _done(row, status_key) if status_key else None
        if skip:
            return skip
        time_ms = row.ms(time_key)
        parts = [row.ident("orderId")] + ([str(time_ms)] if with_time else [])
        meta = {k: v for k, v in row.data.items() if not isinstance(v, dict | list)}
        return ctx.tx(":".join([prefix, *parts]), "loan", [], time_ms, meta=meta, detail_of=LEDGER,
                      description=f"{label} {row.get('loanCoin', '')} / {row.get('collateralCoin', '')}")
    return normalise


def _time_key(prefix: str, time_key: str, status_key: str | None, label: str,
              with_direction: bool = False) -> Callable[[Row, RowContext], Transaction | Skip]:
    """Rows without an order id: keyed by (time, loanCoin, collateralCoin[, direction])."""
    def normalise(row: Row, ctx: RowContext) -> Transaction | Skip:
        skip = _done(row, status_key) if status_key else None
        if skip:
            return skip
        time_ms = row.ms(time_key)
        parts = [str(time_ms), row.text("loanCoin"), row.text("collateralCoin")]
        if with_direction:
            parts.append(row.text("direction"))
        meta = {k: v for k, v in row.data.items() if not isinstance(v, dict | list)}
        return ctx.tx(":".join([prefix, *parts]), "loan", [], time_ms, meta=meta, detail_of=LEDGER,
                      description=f"{label} {parts[1]} / {parts[2]}")
    return normalise


def flexible_liquidation(row: Row, ctx: RowContext) -> Transaction | Skip:
    skip = _done(row, "status")
    if skip:
        return skip
    time_ms = row.ms("liquidationStartingTime")
    loan_coin, collateral = row.text("loanCoin"), row.text("collateralCoin")
    seized = row.dec("liquidationCollateralAmount", nonneg=True)
    meta = {"liquidationDebt": row.get("liquidationDebt"), "liquidationFee": row.get("liquidationFee"),
            "returnCollateralAmount": row.get("returnCollateralAmount"),
            "liquidationStartingPrice": row.get("liquidationStartingPrice"), "status": row.get("status")}
    return ctx.tx(f"flex_loan_liquidation:{time_ms}:{loan_coin}:{collateral}", "liquidation",
                  [leg(collateral, -seized, "loan", "out")], time_ms, meta=meta,
                  description=f"Flexible loan liquidated: {dstr(seized)} {collateral} collateral for "
                              f"{row.get('liquidationDebt')} {loan_coin} debt")


def vip_repay(row: Row, ctx: RowContext) -> Transaction | Skip:
    skip = _done(row, "repayStatus")
    if skip:
        return skip
    time_ms = row.ms("repayTime")
    coin, amount = row.text("loanCoin"), row.dec("repayAmount", nonneg=True)
    order = row.ident("orderId")
    meta = {"orderId": order, "collateralCoin": row.get("collateralCoin"),
            "repayStatus": row.get("repayStatus")}
    return ctx.tx(f"vip_loan_repay:{order}:{time_ms}", "repay", [leg(coin, -amount, "spot", "out")], time_ms,
                  meta=meta, description=f"VIP loan repayment {dstr(amount)} {coin}")


def vip_accrued_interest(row: Row, ctx: RowContext) -> Transaction | Skip:
    """Interest accrued on a VIP loan: paid with the repayment (loans.vip_repay), so no legs."""
    time_ms = row.ms("accrualTime")
    order, coin = row.ident("orderId"), row.text("loanCoin")
    interest = row.dec("interestAmount", nonneg=True)
    meta = {"orderId": order, "loanCoin": coin, "interestAmount": dstr(interest),
            "principalAmount": row.get("principalAmount"),
            "annualInterestRate": row.get("annualInterestRate")}
    return ctx.tx(f"vip_loan_interest:{order}:{time_ms}", "loan", [], time_ms, meta=meta,
                  detail_of="loans.vip_repay",
                  description=f"VIP loan interest accrued {dstr(interest)} {coin}")


NORMALISERS = {
    "loans.flexible_borrow": _time_key("flex_loan_borrow", "borrowTime", "status",
                                       "Flexible loan borrowed"),
    "loans.flexible_repay": _time_key("flex_loan_repay", "repayTime", "repayStatus", "Flexible loan repaid"),
    "loans.flexible_ltv": _time_key("flex_loan_ltv", "adjustTime", None, "Flexible loan LTV adjusted",
                                    with_direction=True),
    "loans.flexible_liquidation": flexible_liquidation,
    "loans.stable_borrow": _detail("stable_loan_borrow", "borrowTime", None, "Loan borrowed"),
    "loans.stable_repay": _detail("stable_loan_repay", "repayTime", "repayStatus", "Loan repaid",
                                  with_time=True),
    "loans.stable_ltv": _detail("stable_loan_ltv", "adjustTime", None, "Loan LTV adjusted", with_time=True),
    "loans.vip_repay": vip_repay,
    "loans.vip_accrued_interest": vip_accrued_interest,
}
