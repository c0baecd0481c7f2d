"""Crypto loans: flexible rate (v2), stable rate and VIP (spec §5.12, docs/ledger.md).

Flexible and stable loans move money through `loans.income` rows, one per movement (collateral
posted, loan credited, collateral added, repayment, collateral returned). The order histories
(borrow, repay, LTV adjustment) are detail records attached to the same events. A flexible-loan
liquidation seizes part of the collateral (`loans.flexible_liquidation`, legs in the loan wallet)
and returns the rest through `collateralReturnAfterLiquidation`. VIP loans are outside
loan/income: the borrow is statement-only, the repayment is `loans.vip_repay`.
"""

from __future__ import annotations

import random
from decimal import Decimal
from typing import TYPE_CHECKING

from ..account import ApiRecord, LegT
from .common import DAY, HOUR, Ids, amount_of, at, window

if TYPE_CHECKING:
    from ..generator import Gen

E8 = Decimal("1E-8")
COLLATERALS = ("BNB", "ETH", "BTC")


def _s(d: Decimal) -> str:
    return f"{d:.8f}"


class _Loans:
    def __init__(self, g: Gen, prices: dict[str, float], rng: random.Random):
        self.g, self.prices, self.rng, self.ids = g, prices, rng, Ids(rng)

    def income(
        self,
        typ: str,
        t: int,
        asset: str,
        amt: Decimal,
        legs: list[LegT],
        kind: str,
        op: str,
        details: list[ApiRecord] = (),
    ) -> None:  # type: ignore[assignment]
        tran = str(self.ids.next("loan_tran", 90_000_000_000, 10**6))
        raw = {"asset": asset, "type": typ, "amount": _s(amt), "timestamp": t, "tranId": tran}
        rec = ApiRecord("loans.income", f"loan_income:{typ}:{tran}", raw, t, (typ,), 0, tuple(legs))
        self.g.add(kind, t, list(legs), [rec, *details], self.g.rows_of(t, legs, op))

    def loan(self, flexible: bool, liquidated: bool) -> None:
        g, rng = self.g, self.rng
        lo, hi = window(g, 540 if flexible else 900)
        t0 = at(rng, lo, max(lo, hi - 40 * DAY))
        coll = rng.choice(COLLATERALS)
        coll_amt = amount_of(rng.uniform(800, 5000), self.prices[coll])
        loan_coin = "USDT"
        borrowed = Decimal(rng.randint(200, 2000))
        prefix = "Flexible Loan" if flexible else "Crypto Loan"
        order = self.ids.next("loan_order", 756_783_308_056_000_000, 10**9)  # beyond 2^53, an int
        if flexible:
            borrow_detail = ApiRecord(
                "loans.flexible_borrow",
                f"flex_loan_borrow:{t0}:{loan_coin}:{coll}",
                {
                    "loanCoin": loan_coin,
                    "initialLoanAmount": str(borrowed),
                    "collateralCoin": coll,
                    "initialCollateralAmount": _s(coll_amt),
                    "borrowTime": t0,
                    "status": "Succeeds",
                },
                t0,
                detail=True,
            )
        else:
            borrow_detail = ApiRecord(
                "loans.stable_borrow",
                f"stable_loan_borrow:{order}",
                {
                    "orderId": order,
                    "loanCoin": loan_coin,
                    "initialLoanAmount": str(borrowed),
                    "hourlyInterestRate": "0.000057",
                    "loanTerm": "30",
                    "collateralCoin": coll,
                    "initialCollateralAmount": _s(coll_amt),
                    "borrowTime": t0,
                    "status": "Liquidated" if liquidated else "Repaid",
                },
                t0,
                detail=True,
            )
        self.income(
            "collateralSpent",
            t0,
            coll,
            coll_amt,
            [(coll, -coll_amt, "spot", "out"), (coll, coll_amt, "loan", "in")],
            "loan",
            f"{prefix} - Collateral",
            [borrow_detail],
        )
        self.income(
            "borrowIn",
            t0 + 1000,
            loan_coin,
            borrowed,
            [(loan_coin, borrowed, "spot", "in")],
            "borrow",
            f"{prefix} - Borrow",
        )
        t1 = t0 + rng.randint(3, 10) * DAY
        added = (coll_amt * Decimal(repr(round(rng.uniform(0.05, 0.3), 4)))).quantize(E8)
        ltv_name, ltv_key = (
            ("loans.flexible_ltv", f"flex_loan_ltv:{t1}:{loan_coin}:{coll}:ADDITIONAL")
            if flexible
            else ("loans.stable_ltv", f"stable_loan_ltv:{order}:{t1}")
        )
        ltv_raw = {
            "loanCoin": loan_coin,
            "collateralCoin": coll,
            "direction": "ADDITIONAL",
            ("collateralAmount" if flexible else "amount"): _s(added),
            "preLTV": "0.78",
            "afterLTV": "0.65",
            "adjustTime": t1,
            **({} if flexible else {"orderId": order}),
        }
        self.income(
            "addCollateral",
            t1,
            coll,
            added,
            [(coll, -added, "spot", "out"), (coll, added, "loan", "in")],
            "loan",
            f"{prefix} - Collateral",
            [ApiRecord(ltv_name, ltv_key, ltv_raw, t1, detail=True)],
        )
        total = coll_amt + added
        t2 = min(t1 + rng.randint(3, 20) * DAY, g.now - 2 * HOUR)
        if liquidated:
            seized = (total * Decimal(repr(round(rng.uniform(0.6, 0.9), 4)))).quantize(E8)
            back = total - seized
            legs: list[LegT] = [(coll, -seized, "loan", "out")]
            raw = {
                "loanCoin": loan_coin,
                "liquidationDebt": str(borrowed),
                "collateralCoin": coll,
                "liquidationCollateralAmount": _s(seized),
                "returnCollateralAmount": _s(back),
                "liquidationFee": _s((seized * Decimal("0.02")).quantize(E8)),
                "liquidationStartingPrice": f"{self.prices[coll] * 0.7:.2f}",
                "liquidationStartingTime": t2,
                "status": "Liquidated",
            }
            rec = ApiRecord(
                "loans.flexible_liquidation",
                f"flex_loan_liquidation:{t2}:{loan_coin}:{coll}",
                raw,
                t2,
                legs=tuple(legs),
            )
            g.add("liquidation", t2, legs, [rec], g.rows_of(t2, legs, f"{prefix} - Liquidation"))
            self.income(
                "collateralReturnAfterLiquidation",
                t2 + 1000,
                coll,
                back,
                [(coll, -back, "loan", "out"), (coll, back, "spot", "in")],
                "loan",
                f"{prefix} - Collateral Return",
            )
            return
        repaid = (borrowed * Decimal("1.0035")).quantize(E8)
        if flexible:
            repay_detail = ApiRecord(
                "loans.flexible_repay",
                f"flex_loan_repay:{t2}:{loan_coin}:{coll}",
                {
                    "loanCoin": loan_coin,
                    "repayAmount": _s(repaid),
                    "collateralCoin": coll,
                    "collateralReturn": _s(total),
                    "repayStatus": "REPAID",
                    "repayTime": t2,
                },
                t2,
                detail=True,
            )
        else:
            repay_detail = ApiRecord(
                "loans.stable_repay",
                f"stable_loan_repay:{order}:{t2}",
                {
                    "loanCoin": loan_coin,
                    "repayAmount": _s(repaid),
                    "collateralCoin": coll,
                    "collateralUsed": "0",
                    "collateralReturn": _s(total),
                    "repayType": "1",
                    "repayStatus": "Repaid",
                    "repayTime": t2,
                    "orderId": order,
                },
                t2,
                detail=True,
            )
        self.income(
            "repayAmount",
            t2,
            loan_coin,
            repaid,
            [(loan_coin, -repaid, "spot", "out")],
            "repay",
            f"{prefix} - Repay",
            [repay_detail],
        )
        self.income(
            "collateralReturn",
            t2 + 1000,
            coll,
            total,
            [(coll, -total, "loan", "out"), (coll, total, "spot", "in")],
            "loan",
            f"{prefix} - Collateral Return",
        )

    def vip(self) -> None:
        g, rng = self.g, self.rng
        lo, hi = window(g, 700)
        t0 = at(rng, lo, max(lo, hi - 60 * DAY))
        principal = Decimal(rng.randint(50, 400)) * 100
        order = self.ids.next("vip_order", 756_783_308_100_000_000, 10**9)
        legs: list[LegT] = [("USDT", principal, "spot", "in")]
        g.add(
            "borrow",
            t0,
            legs,
            [],
            g.rows_of(t0, legs, "VIP Loan - Borrow"),
            note="VIP loan borrow: no API history (statement only)",
        )
        t, left = t0, principal * Decimal("1.004")
        for part in (Decimal("0.4"), None):
            t = min(t + rng.randint(5, 25) * DAY, g.now - 2 * HOUR)
            amt = (left * part).quantize(E8) if part else left.quantize(E8)
            left -= amt
            legs = [("USDT", -amt, "spot", "out")]
            raw = {
                "loanCoin": "USDT",
                "repayAmount": _s(amt),
                "collateralCoin": "BNB",
                "repayStatus": "Repaid",
                "repayTime": t,
                "orderId": order,
            }
            rec = ApiRecord("loans.vip_repay", f"vip_loan_repay:{order}:{t}", raw, t, legs=tuple(legs))
            g.add("repay", t, legs, [rec], g.rows_of(t, legs, "VIP Loan - Repay"))
        self.vip_interest(order, principal, t0, t)

    def vip_interest(self, order: int, principal: Decimal, start: int, end: int) -> None:
        """Daily accruals of the interest the repayments include (0.4 % in all), as detail records.
        Drawn from no random stream: adding them changes no other record."""
        days = max(1, (end - start) // DAY)
        daily = (principal * Decimal("0.004") / days).quantize(E8)
        rate = _s((Decimal("0.004") * 365 / days).quantize(Decimal("0.000001")))
        for k in range(1, days + 1):
            t = start + k * DAY
            raw = {"loanCoin": "USDT", "principalAmount": _s(principal), "interestAmount": _s(daily),
                   "annualInterestRate": rate, "accrualTime": t, "orderId": order}
            key = f"vip_loan_interest:{order}:{t}"
            rec = ApiRecord("loans.vip_accrued_interest", key, raw, t, detail=True)
            self.g.add("loan", t, [], [rec], [])


def generate(g: Gen, prices: dict[str, float], rng: random.Random, volumes: dict[str, int]) -> None:
    loans = _Loans(g, prices, rng)
    for _ in range(volumes["flexible_loans"]):
        loans.loan(flexible=True, liquidated=False)
    for _ in range(volumes["flexible_liquidations"]):
        loans.loan(flexible=True, liquidated=True)
    for _ in range(volumes["stable_loans"]):
        loans.loan(flexible=False, liquidated=False)
    for _ in range(volumes["vip_loans"]):
        loans.vip()
