"""Spot and margin fills (myTrades rows, statement trade rows)."""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal

from ..account import ApiRecord, Event, LegT, Market
from ..universe import price_decimals
from .base import (
    BUY_SELL_OPS_UNTIL,
    DAY,
    E8,
    HOUR,
    LEGACY_TRADE_OPS_UNTIL,
    GenBase,
    _ms,
    s8,
)


class FillsMixin(GenBase):
    def fills(
        self,
        m: Market,
        prices: dict[str, float],
        n: int,
        lo: int,
        hi: int,
        wallet: str,
        isolated: bool = False,
        force_side: str | None = None,
    ) -> list[Event]:
        rng = self.rng
        base_usd, quote_usd = prices[m.base], prices[m.quote]
        px = base_usd / quote_usd
        pdp = price_decimals(px)
        qdp = 8 - pdp
        out_fills: list[tuple[int, bool, Decimal, Decimal, int]] = []
        order_id = rng.randint(10_000, 5_000_000)
        while len(out_fills) < n:
            t = self.t_between(lo, hi)
            k = min(n - len(out_fills), 1 + int(rng.expovariate(0.6)))
            buyer = (rng.random() < 0.55) if force_side is None else force_side == "BUY"
            order_id += rng.randint(1, 400)
            notional = 10 ** rng.uniform(1, 3.3)
            for _ in range(k):
                price = max(
                    Decimal(round(px * rng.uniform(0.97, 1.03) * 10**pdp)).scaleb(-pdp),
                    Decimal(1).scaleb(-pdp),
                )
                qty = self.amount(notional / k / base_usd, 1.0, qdp)
                out_fills.append((t, buyer, price, qty, order_id))
                t += rng.randint(0, 700)
        out_fills.sort(key=lambda f: f[0])
        trade_id = rng.randint(100_000, 90_000_000)
        events = []
        for t, buyer, price, qty, oid in out_fills:
            trade_id += rng.randint(1, 40)
            quote_qty = price * qty
            got_asset, got = (m.base, qty) if buyer else (m.quote, quote_qty)
            if rng.random() < 0.3:
                fee_asset = "BNB"
                fee = self.amount(float(got) * prices[got_asset] * 0.00075, prices["BNB"])
            else:
                fee_asset = got_asset
                fee = (got * Decimal("0.001")).quantize(E8, ROUND_DOWN)
            sign = 1 if buyer else -1
            legs: list[LegT] = [
                (m.base, sign * qty, wallet, "in" if buyer else "out"),
                (m.quote, -sign * quote_qty, wallet, "out" if buyer else "in"),
            ]
            if fee > 0:
                legs.append((fee_asset, -fee, wallet, "fee"))
            if wallet == "spot":
                raw = {
                    "symbol": m.symbol,
                    "id": trade_id,
                    "orderId": oid,
                    "orderListId": -1,
                    "price": s8(price),
                    "qty": s8(qty),
                    "quoteQty": s8(quote_qty),
                    "commission": s8(fee),
                    "commissionAsset": fee_asset,
                    "time": t,
                    "isBuyer": buyer,
                    "isMaker": rng.random() < 0.4,
                    "isBestMatch": True,
                }
                rec = ApiRecord(
                    "spot.my_trades",
                    f"spot_trade:{m.symbol}:{trade_id}",
                    raw,
                    t,
                    (m.symbol,),
                    trade_id,
                    tuple(legs),
                    symbol=m.symbol,
                )
            else:
                mode = "isolated" if isolated else "cross"
                raw = {
                    "commission": s8(fee),
                    "commissionAsset": fee_asset,
                    "id": trade_id,
                    "isBestMatch": True,
                    "isBuyer": buyer,
                    "isMaker": rng.random() < 0.4,
                    "orderId": oid,
                    "price": s8(price),
                    "qty": s8(qty),
                    "symbol": m.symbol,
                    "isIsolated": isolated,
                    "time": t,
                }
                rec = ApiRecord(
                    "margin.my_trades",
                    f"margin_trade:{m.symbol}:{mode}:{trade_id}",
                    raw,
                    t,
                    (m.symbol, isolated),
                    trade_id,
                    tuple(legs),
                    symbol=m.symbol,
                )
            events.append(self.add("trade", t, legs, [rec], self.trade_rows(t, buyer, legs)))
        return events

    @staticmethod
    def trade_rows(t: int, buyer: bool, legs: list[LegT]) -> list:
        rows = []
        for a, amt, w, role in legs:
            if t < LEGACY_TRADE_OPS_UNTIL:
                op = "Fee" if role == "fee" else "Transaction Related"
            elif t < BUY_SELL_OPS_UNTIL:
                op = "Fee" if role == "fee" else ("Buy" if buyer else "Sell")
            elif role == "fee":
                op = "Transaction Fee"
            elif buyer:
                op = "Transaction Buy" if amt > 0 else "Transaction Spend"
            else:
                op = "Transaction Revenue" if amt > 0 else "Transaction Sold"
            rows.append((t, w, op, a, amt, ""))
        return rows

    def spot(self, markets: list[Market], prices: dict[str, float]) -> None:
        traded = [m for m in markets if m.traded]
        total = self.n("spot_fills")
        weights = [1.0 / (i + 1) ** 0.8 for i in range(len(traded))]
        wsum = sum(weights)
        start = self.opened + 2 * DAY
        for i, m in enumerate(traded):
            n = max(3, int(total * weights[i] / wsum))
            hi = self.now - HOUR
            lo = start
            if m.status in ("BREAK", "REMOVED"):
                # Delisted years ago (REMOVED) or within the last two years (BREAK).
                span = self.now - start
                hi = start + int(span * (0.35 if m.status == "REMOVED" else 0.7))
                lo = start + int(span * 0.05)
            elif m.quote == "FDUSD":
                lo = max(lo, _ms("2023-08-01"))
            self.fills(m, prices, n, lo, hi, "spot")
