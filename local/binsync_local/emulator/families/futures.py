"""USD-M and COIN-M futures, and vanilla options."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_UP, Decimal

from ..account import ApiRecord, LegT
from ..universe import quantize_price
from .base import (
    DAY,
    E8,
    HOUR,
    GenBase,
    plain,
    s8,
)


class FuturesMixin(GenBase):
    def futures(self, prices: dict[str, float], coin_m: bool) -> None:
        rng = self.rng
        fam = "coinm" if coin_m else "usdm"
        n = self.n("coinm_fills" if coin_m else "usdm_fills")
        symbols = ["BTCUSD_PERP", "ETHUSD_PERP"] if coin_m else ["BTCUSDT", "ETHUSDT", "SOLUSDT", "BNBUSDT"]
        lo, hi = max(self.opened + 90 * DAY, self.now - 2 * 365 * DAY), self.now - 2 * HOUR
        per = max(2, n // len(symbols))
        for sym in symbols:
            base = sym[:3]
            margin_asset = base if coin_m else "USDT"
            times = sorted(self.t_between(lo, hi) for _ in range(per))
            tid = rng.randint(100_000, 9_000_000)
            oid = rng.randint(10_000_000, 90_000_000)
            pos = 0
            for i, t in enumerate(times):
                tid += rng.randint(1, 30)
                oid += rng.randint(1, 50) if i % 3 == 0 else 0
                buyer = pos <= 0 if rng.random() < 0.8 else pos > 0
                closing = (pos > 0 and not buyer) or (pos < 0 and buyer)
                price = quantize_price(prices[base] * rng.uniform(0.95, 1.05))
                if coin_m:
                    qty = Decimal(rng.randint(1, 20))
                    cval = Decimal(100 if base == "BTC" else 10)
                    base_qty = (qty * cval / price).quantize(E8)
                    notional_asset = base_qty
                    comm = (base_qty * Decimal("0.0005")).quantize(E8, ROUND_UP)
                    pnl = (
                        (base_qty * Decimal(repr(rng.uniform(-0.04, 0.05)))).quantize(E8)
                        if closing
                        else Decimal(0)
                    )
                else:
                    qty = self.amount(10 ** rng.uniform(2, 3.5), prices[base], 3)
                    notional_asset = price * qty
                    comm = (notional_asset * Decimal("0.0004")).quantize(E8, ROUND_UP)
                    pnl = (
                        (notional_asset * Decimal(repr(rng.uniform(-0.04, 0.05)))).quantize(E8)
                        if closing
                        else Decimal(0)
                    )
                pos += 1 if buyer else -1
                side = "BUY" if buyer else "SELL"
                if coin_m:
                    raw = {
                        "symbol": sym,
                        "id": tid,
                        "orderId": oid,
                        "pair": sym.split("_")[0],
                        "side": side,
                        "price": plain(price),
                        "qty": plain(qty),
                        "realizedPnl": s8(pnl),
                        "marginAsset": base,
                        "baseQty": s8(base_qty),
                        "quoteQty": plain(qty * cval),
                        "commission": s8(comm),
                        "commissionAsset": base,
                        "time": t,
                        "positionSide": "BOTH",
                        "buyer": buyer,
                        "maker": rng.random() < 0.3,
                    }
                else:
                    raw = {
                        "buyer": buyer,
                        "commission": s8(comm),
                        "commissionAsset": "USDT",
                        "id": tid,
                        "maker": rng.random() < 0.3,
                        "orderId": oid,
                        "price": plain(price),
                        "qty": plain(qty),
                        "quoteQty": s8(notional_asset),
                        "realizedPnl": s8(pnl),
                        "side": side,
                        "positionSide": "BOTH",
                        "symbol": sym,
                        "time": t,
                        "marginAsset": "USDT",
                    }
                recs = [
                    ApiRecord(
                        f"{fam}.user_trades", f"{fam}_trade:{sym}:{tid}", raw, t, (sym,), tid, (), detail=True
                    )
                ]
                legs: list[LegT] = []
                rows = []
                for itype, amount, role, op in (
                    ("COMMISSION", -comm, "fee", "Fee"),
                    ("REALIZED_PNL", pnl, "in" if pnl > 0 else "out", "Realized Profit and Loss"),
                ):
                    if amount == 0:
                        continue
                    inc = self.seq("income_tran", 9_689_322_392, 1000)
                    iraw = {
                        "symbol": sym,
                        "incomeType": itype,
                        "income": s8(amount),
                        "asset": margin_asset,
                        "info": itype,
                        "time": t,
                        "tranId": inc,
                        "tradeId": str(tid),
                    }
                    leg = (margin_asset, amount, fam, role)
                    legs.append(leg)
                    rows.append((t, fam, op, margin_asset, amount, ""))
                    recs.append(
                        ApiRecord(f"{fam}.income", f"{fam}_income:{itype}:{inc}", iraw, t, (), inc, (leg,))
                    )
                self.add("trade", t, legs, recs, rows)
        # Funding fees every 8 hours on random days, and a few rebates.
        n_funding = self.n("usdm_funding") if not coin_m else self.n("coinm_fills")
        extras = [("FUNDING_FEE", "Funding Fee", "funding_fee")] * n_funding
        if not coin_m:
            extras += [("COMMISSION_REBATE", "Commission Rebate", "rebate")] * max(2, n_funding // 300)
            extras += [("INSURANCE_CLEAR", "Insurance Fund Compensation", "liquidation")]
        for itype, op, _kind in extras:
            sym = rng.choice(symbols)
            asset = sym[:3] if coin_m else "USDT"
            t = self.t_between(lo, hi)
            t = t - t % (8 * HOUR) + rng.randint(0, 3000)
            scale = prices[asset]
            if itype == "FUNDING_FEE":
                amount = self.amount(rng.uniform(0.01, 3), scale) * (1 if rng.random() < 0.3 else -1)
            elif itype == "INSURANCE_CLEAR":
                amount = -self.amount(rng.uniform(1, 20), scale)
            else:
                amount = self.amount(rng.uniform(0.01, 2), scale)
            inc = self.seq("income_tran", 9_689_322_392, 1000)
            iraw = {
                "symbol": sym,
                "incomeType": itype,
                "income": s8(amount),
                "asset": asset,
                "info": itype,
                "time": t,
                "tranId": inc,
                "tradeId": "",
            }
            leg = (asset, amount, fam, "in" if amount > 0 else "out")
            rec = ApiRecord(f"{fam}.income", f"{fam}_income:{itype}:{inc}", iraw, t, (), inc, (leg,))
            self.add(_kind, t, [leg], [rec], [(t, fam, op, asset, amount, "")])

    def options(self) -> None:
        rng = self.rng
        lo, hi = max(self.opened + 90 * DAY, self.now - 300 * DAY), self.now - 2 * HOUR
        for t in sorted(self.t_between(lo, hi) for _ in range(self.n("options"))):
            tid = self.seq("options_trade", 4_611_875_134_427_365_377, 10**6)
            price = Decimal(rng.randint(50, 2000))
            q = Decimal(rng.randint(1, 20)).scaleb(-2)
            side = rng.choice(["BUY", "SELL"])
            fee = (price * q * Decimal("0.003")).quantize(E8)
            sym = f"BTC-{datetime.fromtimestamp((t + 30 * DAY) / 1000, tz=UTC):%y%m%d}-60000-C"
            raw = {
                "id": tid,
                "tradeId": rng.randint(1, 10**6),
                "orderId": tid + 7,
                "symbol": sym,
                "price": plain(price),
                "quantity": plain(q),
                "fee": plain(fee),
                "realizedProfit": "0.00000000",
                "side": side,
                "type": "LIMIT",
                "volatility": "0.9",
                "liquidity": "TAKER",
                "quoteAsset": "USDT",
                "time": t,
                "priceScale": 2,
                "quantityScale": 2,
                "optionSide": "CALL",
            }
            recs = [
                ApiRecord("options.user_trades", f"options_trade:{tid}", raw, t, (sym,), tid, (), detail=True)
            ]
            premium = price * q * (-1 if side == "BUY" else 1)
            legs: list[LegT] = []
            rows = []
            for btype, amount in (("CONTRACT", premium), ("FEE", -fee)):
                bid = self.seq("options_bill", 1_125_899_906_842_624_000, 10**9)
                braw = {"id": bid, "asset": "USDT", "amount": s8(amount), "type": btype, "createDate": t}
                leg = (
                    "USDT",
                    amount,
                    "options",
                    "fee" if btype == "FEE" else ("in" if amount > 0 else "out"),
                )
                legs.append(leg)
                rows.append(
                    (
                        t,
                        "options",
                        "Fee" if btype == "FEE" else "Realized Profit and Loss",
                        "USDT",
                        amount,
                        "",
                    )
                )
                recs.append(ApiRecord("options.bill", f"options_bill:{bid}", braw, t, ("USDT",), bid, (leg,)))
            ex_id = self.seq("options_ex", 1_125_899_906_842_624_042, 10**6)
            eraw = {
                "id": str(ex_id),
                "currency": "USDT",
                "symbol": sym,
                "exercisePrice": "60000.00000000",
                "markPrice": "59000.00000000",
                "quantity": s8(q),
                "amount": "0.00000000",
                "fee": "0.00000000",
                "createDate": t + 30 * DAY,
                "priceScale": 2,
                "quantityScale": 2,
                "optionSide": "CALL",
                "positionSide": "LONG",
                "quoteAsset": "USDT",
            }
            if t + 30 * DAY < self.now:
                recs.append(
                    ApiRecord(
                        "options.exercise",
                        f"options_exercise:{ex_id}",
                        eraw,
                        t + 30 * DAY,
                        (),
                        0,
                        (),
                        detail=True,
                    )
                )
            self.add("options", t, legs, recs, rows)
