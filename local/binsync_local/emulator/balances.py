"""Wallet-balance responses served from the ledger (issue 14 item 6, issue 15 item 2).

Every balance is the sum of the ledger's legs in that wallet (`Truth.balances`), rendered in the
shape Binance documents for the endpoint (catalogue rows with a `balance` shape). Spot, cross
margin, isolated margin and USD-M live in reference.py; this module adds funding, Simple Earn
flexible and locked positions, COIN-M, options and loan collateral (served as flexible-rate
loans; the stable-rate list is empty). Binance has no balance endpoint for the mining wallet.
"""

from __future__ import annotations

import json
from collections import defaultdict
from decimal import Decimal
from typing import Any

from .account import Account


def _s8(v: Decimal) -> str:
    return f"{v:.8f}"


def _dumps(body: Any) -> str:
    return json.dumps(body, separators=(",", ":"))


class Balances:
    """Renders one wallet's ledger balances; `wallet(name)` is Reference.wallet."""

    def __init__(self, account: Account, wallet: Any):
        self.account = account
        self.wallet = wallet
        self._locked_earn = self._locked_earn_balances()

    def _locked_earn_balances(self) -> dict[str, Decimal]:
        """The part of the earn wallet held by locked products: legs of locked-product events."""
        out: dict[str, Decimal] = defaultdict(Decimal)
        for ev in self.account.events:
            if any(r.endpoint.startswith("earn.locked_") for r in ev.api):
                for asset, amount, wallet, _role in ev.legs:
                    if wallet == "earn":
                        out[asset] += amount
        return dict(out)

    def funding(self, params: dict[str, str]) -> str:
        wanted = params.get("asset")
        rows = [{"asset": a, "free": _s8(v), "locked": "0", "freeze": "0", "withdrawing": "0",
                 "btcValuation": "0"}
                for a, v in self.wallet("funding").items() if v and (not wanted or a == wanted)]
        return _dumps(rows)

    def _earn_split(self) -> tuple[dict[str, Decimal], dict[str, Decimal]]:
        total = self.wallet("earn")
        locked = {a: v for a, v in self._locked_earn.items() if v > 0 and total.get(a, 0) >= v}
        flexible = {a: v - locked.get(a, Decimal(0)) for a, v in total.items()}
        return {a: v for a, v in flexible.items() if v}, locked

    @staticmethod
    def _page(rows: list[dict[str, Any]], params: dict[str, str]) -> str:
        try:
            current = max(1, int(params.get("current") or 1))
            size = min(100, max(1, int(params.get("size") or 10)))
        except ValueError:
            current, size = 1, 10
        return _dumps({"rows": rows[(current - 1) * size: current * size], "total": len(rows)})

    def earn_flexible(self, params: dict[str, str]) -> str:
        flexible, _ = self._earn_split()
        rows = [{"totalAmount": _s8(v), "tierAnnualPercentageRate": {}, "latestAnnualPercentageRate": "0.02",
                 "asset": a, "canRedeem": True, "collateralAmount": "0", "productId": f"{a}001",
                 "yesterdayRealTimeRewards": "0", "cumulativeBonusRewards": "0",
                 "cumulativeRealTimeRewards": "0", "cumulativeTotalRewards": "0", "autoSubscribe": True}
                for a, v in sorted(flexible.items()) if not params.get("asset") or a == params["asset"]]
        return self._page(rows, params)

    def earn_locked(self, params: dict[str, str]) -> str:
        _, locked = self._earn_split()
        rows = [{"positionId": 100_000 + i, "parentPositionId": 0, "projectId": f"{a}*90", "asset": a,
                 "amount": _s8(v), "purchaseTime": str(self.account.opened_ms), "duration": "90",
                 "accrualDays": "4", "rewardAsset": a, "APY": "0.05", "isRenewable": True,
                 "isAutoRenew": True, "redeemDate": str(self.account.now_ms)}
                for i, (a, v) in enumerate(sorted(locked.items()))
                if not params.get("asset") or a == params["asset"]]
        return self._page(rows, params)

    def coinm(self) -> str:
        rows = [{"accountAlias": "SgsR", "asset": a, "balance": _s8(v), "withdrawAvailable": _s8(v),
                 "crossWalletBalance": _s8(v), "crossUnPnl": "0.00000000", "availableBalance": _s8(v),
                 "updateTime": self.account.now_ms}
                for a, v in self.wallet("coinm").items()]
        return _dumps(rows)

    def loan_collateral(self, params: dict[str, str]) -> str:
        """The ledger's loan wallet as flexible-rate loan collateral, one order per collateral coin."""
        rows = [{"loanCoin": "USDT", "totalDebt": "0", "collateralCoin": a, "collateralAmount": _s8(v),
                 "currentLTV": "0.5"} for a, v in self.wallet("loan").items() if v]
        return self._page(rows, {"current": params.get("current", "1"), "size": params.get("limit", "10")})

    @staticmethod
    def no_orders() -> str:
        return _dumps({"rows": [], "total": 0})

    def options(self) -> str:
        rows = [{"asset": a, "marginBalance": _s8(v), "equity": _s8(v), "available": _s8(v), "locked": "0",
                 "unrealizedPNL": "0"} for a, v in self.wallet("options").items()]
        return _dumps({"asset": rows, "greek": [], "time": self.account.now_ms, "canTrade": True,
                       "canDeposit": True, "canWithdraw": True, "reduceOnly": False})
