"""Crypto loans (`loans.income`): borrowings, repayments and collateral moves per docs/ledger.md.

`amount` is unsigned; its sign and wallets come from `type`. An unknown type cannot be booked
without guessing, so it is rejected (reported), not skipped.
"""

from __future__ import annotations

from binsync.model import Transaction

from .base import Row, RowContext, RowError, dstr, leg

# type -> (kind, [(wallet, sign), ...])
LOAN_TYPES: dict[str, tuple[str, tuple[tuple[str, int], ...]]] = {
    "borrowIn": ("borrow", (("spot", 1),)),
    "repayAmount": ("repay", (("spot", -1),)),
    "collateralSpent": ("loan", (("spot", -1), ("loan", 1))),
    "addCollateral": ("loan", (("spot", -1), ("loan", 1))),
    "collateralReturn": ("loan", (("loan", -1), ("spot", 1))),
    "removeCollateral": ("loan", (("loan", -1), ("spot", 1))),
    "collateralReturnAfterLiquidation": ("loan", (("loan", -1), ("spot", 1))),
}


def income(row: Row, ctx: RowContext) -> Transaction:
    income_type = row.text("type")
    if income_type not in LOAN_TYPES:
        raise RowError(row.name("type"), f"unknown loan income type {income_type}: no legs in docs/ledger.md")
    kind, sides = LOAN_TYPES[income_type]
    asset, amount = row.text("asset"), row.dec("amount", nonneg=True)
    legs = [leg(asset, sign * amount, wallet) for wallet, sign in sides]
    return ctx.tx(f"loan_income:{income_type}:{row.ident('tranId')}", kind, legs, row.ms("timestamp"),
                  meta={"type": income_type}, description=f"Loan {income_type} {dstr(amount)} {asset}")


NORMALISERS = {"loans.income": income}
