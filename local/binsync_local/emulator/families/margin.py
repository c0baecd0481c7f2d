"""Cross and isolated margin: fills, borrow/repay, interest, liquidations, transfers."""

from __future__ import annotations

import itertools
from collections import defaultdict
from decimal import ROUND_UP, Decimal

from ..account import ApiRecord, LegT, Market
from .base import (
    DAY,
    E8,
    HOUR,
    GenBase,
    plain,
    s8,
)


class MarginMixin(GenBase):
    def margin(self, markets: dict[str, Market], prices: dict[str, float]) -> None:
        rng = self.rng
        n = self.n("margin_fills")
        lo, hi = max(self.opened + 60 * DAY, self.now - 3 * 365 * DAY), self.now - 2 * HOUR
        cross = [markets["BTCUSDT"], markets["ETHUSDT"]]
        iso = markets["BNBUSDT"]
        evs = []
        for m in cross:
            evs += self.fills(m, prices, int(n * 0.4), lo, hi, "margin_cross")
        evs += self.fills(
            iso, prices, max(2, n - 2 * int(n * 0.4) - 3), lo, hi, "margin_isolated", isolated=True
        )
        # One liquidation: three SELL fills of one order, plus the forceLiquidationRec detail.
        liq_t = self.t_between(lo, hi)
        liq = self.fills(markets["ETHUSDT"], prices, 3, liq_t, liq_t, "margin_cross", force_side="SELL")
        qty = sum((Decimal(e.api[0].raw["qty"]) for e in liq), Decimal(0))
        first = liq[0].api[0].raw
        lraw = {
            "avgPrice": first["price"],
            "executedQty": s8(qty),
            "orderId": first["orderId"],
            "price": first["price"],
            "qty": s8(qty),
            "side": "SELL",
            "symbol": "ETHUSDT",
            "timeInForce": "IOC",
            "isIsolated": False,
            "updatedTime": liq[-1].time_ms,
        }
        liq[0].api.append(
            ApiRecord(
                "margin.liquidations",
                f"margin_liquidation:{first['orderId']}",
                lraw,
                liq[-1].time_ms,
                (),
                0,
                (),
                detail=True,
            )
        )
        for e in liq:
            e.note = "liquidation"
        evs += liq
        by_part: dict[tuple, list[ApiRecord]] = defaultdict(list)
        for e in evs:
            by_part[e.api[0].part].append(e.api[0])
        for (sym, iso_flag), recs in by_part.items():
            self.renumber(recs, f"margin_trade:{sym}:{'isolated' if iso_flag else 'cross'}:")
        # Loans: borrow, hourly-ish interest (detail), repay principal + interest.
        for i in range(self.n("loans")):
            is_iso = i % 4 == 1  # every 4th loan isolated; `small` (2 loans) gets one
            wallet = "margin_isolated" if is_iso else "margin_cross"
            sym = "BNBUSDT" if is_iso else None
            # an isolated pair lends only its own base or quote (BNB or USDT in BNBUSDT)
            asset = "USDT" if i % 3 else ("BNB" if is_iso else "BTC")
            principal = self.amount(rng.uniform(100, 2000), prices[asset])
            t0 = self.t_between(lo, hi - 10 * DAY)
            days = rng.randint(1, 8)
            t1 = t0 + days * DAY + rng.randint(0, DAY)
            rate = Decimal("0.00000416")
            interest_rows = []
            total_int = Decimal(0)
            for d in range(days + 1):
                it = t0 + d * DAY
                amt_i = (principal * rate * 24).quantize(E8, ROUND_UP)
                total_int += amt_i
                txid = self.seq("margin_interest", 1_352_286_576_452_864_800, 10**9)
                iraw = {
                    "txId": txid,
                    "interestAccuredTime": it,
                    "asset": asset,
                    "rawAsset": asset,
                    "principal": plain(principal),
                    "interest": s8(amt_i),
                    "interestRate": s8(rate * 24),
                    "type": "ON_BORROW" if d == 0 else "PERIODIC",
                }
                if sym:
                    iraw["isolatedSymbol"] = sym
                interest_rows.append(
                    ApiRecord("margin.interest", f"margin_interest:{txid}", iraw, it, (), 0, (), detail=True)
                )
            btx = self.seq("margin_borrow", 2_970_933_056, 100_000)
            braw = {
                "type": "MANUAL",
                "amount": s8(principal),
                "asset": asset,
                "interest": "0",
                "principal": s8(principal),
                "status": "CONFIRMED",
                "timestamp": t0,
                "txId": btx,
            }
            if sym:
                braw["isolatedSymbol"] = sym
            blegs: list[LegT] = [(asset, principal, wallet, "in")]
            brec = ApiRecord(
                "margin.borrow_repay", f"margin_BORROW:{btx}", braw, t0, ("BORROW", sym), btx, tuple(blegs)
            )
            ev = self.add(
                "borrow",
                t0,
                blegs,
                [brec],
                self.rows_of(t0, blegs, "Isolated Margin Loan" if is_iso else "Margin Loan"),
            )
            ev.api += [r for r in interest_rows if r.time_ms <= t1]
            rtx = self.seq("margin_borrow", 2_970_933_056, 100_000)
            rraw = {
                "type": "MANUAL",
                "amount": s8(principal + total_int),
                "asset": asset,
                "interest": s8(total_int),
                "principal": s8(principal),
                "status": "CONFIRMED",
                "timestamp": t1,
                "txId": rtx,
            }
            if sym:
                rraw["isolatedSymbol"] = sym
            rlegs: list[LegT] = [(asset, -principal, wallet, "out"), (asset, -total_int, wallet, "fee")]
            rrec = ApiRecord(
                "margin.borrow_repay", f"margin_REPAY:{rtx}", rraw, t1, ("REPAY", sym), rtx, tuple(rlegs)
            )
            self.add(
                "repay",
                t1,
                rlegs,
                [rrec],
                self.net_rows(t1, rlegs, "Isolated Margin Repayment" if is_iso else "Margin Repayment"),
            )
            evs += [self.events[-2], self.events[-1]]
        # Capital flow (detail): one row per margin leg, ids ascending with time.
        flows = []
        for e in evs:
            rec = e.api[0]
            sym = rec.raw.get("symbol") or rec.raw.get("isolatedSymbol")
            for a, amt, _w, role in e.legs:
                if rec.endpoint == "margin.my_trades":
                    ftype = (
                        "TRADING_COMMISSION"
                        if role == "fee"
                        else (
                            ("BUY_INCOME" if amt > 0 else "BUY_EXPENSE")
                            if rec.raw["isBuyer"]
                            else ("SELL_INCOME" if amt > 0 else "SELL_EXPENSE")
                        )
                    )
                else:
                    ftype = "BORROW" if amt > 0 else "REPAY"
                flows.append((e.time_ms, e, a, amt, ftype, sym, rec.cursor or rec.raw.get("txId", 0)))
        flows.sort(key=lambda f: f[0])
        fid = 123_456
        for t, e, a, amt, ftype, sym, tran in flows:
            fid += rng.randint(1, 9)
            isolated_pair = sym if any(w == "margin_isolated" for _a, _v, w, _r in e.legs) else None
            fraw = {
                "id": fid,
                "tranId": tran,
                "timestamp": t,
                "asset": a,
                "symbol": sym or "",
                "type": ftype,
                "amount": plain(amt),
            }
            e.api.append(
                ApiRecord(
                    "margin.capital_flow", f"margin_flow:{fid}", fraw, t, (isolated_pair,), fid, (),
                    detail=True,
                )
            )

    def renumber(self, recs: list[ApiRecord], prefix: str) -> None:
        """Make ids strictly increasing with time (id cursors walk in time order)."""
        recs.sort(key=lambda r: (r.time_ms, r.cursor))
        ids = [r.cursor for r in recs]
        if all(a < b for a, b in itertools.pairwise(ids)):
            return
        nid = min(ids)
        for r in recs:
            r.raw["id"], r.cursor, r.native_key = nid, nid, f"{prefix}{nid}"
            nid += self.rng.randint(1, 40)
