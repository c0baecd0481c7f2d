"""The funding pass: money arrives before any wallet would go negative."""

from __future__ import annotations

from collections import defaultdict
from decimal import ROUND_UP, Decimal

from ..universe import FIAT, STABLE
from .base import (
    E2,
    HOUR,
    GenBase,
)


class FundingMixin(GenBase):
    def fund(self, prices: dict[str, float]) -> None:
        """Make every non-external balance non-negative at all times: money arrives first."""
        rng = self.rng
        self.events.sort(key=lambda e: e.time_ms)
        deficits, first_use = self._deficits()
        topup_wallet = {
            "funding": ("MAIN", "FUNDING"),
            "usdm": ("MAIN", "UMFUTURE"),
            "coinm": ("MAIN", "CMFUTURE"),
            "margin_cross": ("MAIN", "MARGIN"),
            "options": ("MAIN", "OPTION"),
        }
        iso_need: list[tuple[str, Decimal]] = []
        for (asset, wallet), need in sorted(deficits.items()):
            if wallet in ("spot", "external"):
                continue
            amt = self._round_up(need * Decimal(repr(rng.uniform(1.05, 1.5))), asset)
            t = max(self.opened + HOUR, first_use[(asset, wallet)] - rng.randint(10, 120) * 60_000)
            if wallet in topup_wallet:
                self.transfer(t, *topup_wallet[wallet], asset, amt)
            elif wallet == "margin_isolated":
                self.transfer(t - 60_000, "MAIN", "MARGIN", asset, amt)
                self.transfer(t, "MARGIN", "ISOLATEDMARGIN", asset, amt, symbol="BNBUSDT")
                iso_need.append((asset, amt))
            elif wallet == "earn":
                self._flexible_subscription(t, asset, amt)
            elif wallet == "loan":
                raise AssertionError("loan collateral is always posted before it returns")
        self.events.sort(key=lambda e: e.time_ms)
        deficits, _ = self._deficits()
        t = self.opened
        for (asset, wallet), need in sorted(deficits.items()):
            if wallet != "spot":
                continue
            t += rng.randint(1_000, 30_000)
            amt = self._round_up(need * Decimal(repr(rng.uniform(1.05, 1.6))), asset)
            if asset in FIAT:
                self.fiat_order(t, 0, asset, amt.quantize(E2, ROUND_UP), Decimal(0))
            else:
                self.deposit(t, asset, amt)
        self.events.sort(key=lambda e: e.time_ms)

    @staticmethod
    def _round_up(d: Decimal, asset: str) -> Decimal:
        if asset in FIAT or asset in STABLE:
            return d.quantize(Decimal(1), ROUND_UP)
        return d.quantize(Decimal("0.0001"), ROUND_UP)

    def _deficits(self) -> tuple[dict[tuple[str, str], Decimal], dict[tuple[str, str], int]]:
        bal: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
        low: dict[tuple[str, str], Decimal] = {}
        first: dict[tuple[str, str], int] = {}
        for ev in self.events:
            for a, amt, w, _r in ev.legs:
                k = (a, w)
                if k not in first:
                    first[k] = ev.time_ms
                v = bal[k] + amt
                bal[k] = v
                if v < 0 and (k not in low or v < low[k]):
                    low[k] = v
        return {k: -v for k, v in low.items()}, first
