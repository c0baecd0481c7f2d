"""P2P orders, Binance Pay and card spending."""

from __future__ import annotations

from decimal import Decimal

from ..account import ApiRecord, LegT
from .base import (
    E8,
    GenBase,
    plain,
    s8,
)


class P2pMixin(GenBase):
    def p2p(self, prices: dict[str, float]) -> None:
        rng = self.rng
        for i in range(self.n("p2p") + 1):
            t = self.t_any(300, 0.5)
            side = "BUY" if rng.random() < 0.7 else "SELL"
            amt = Decimal(rng.randint(20, 800))
            unit = Decimal(repr(round(1 / prices["EUR"] * rng.uniform(0.98, 1.02), 2)))
            total = (amt * unit).quantize(E8)
            comm = Decimal(0) if rng.random() < 0.7 else (amt * Decimal("0.001")).quantize(E8)
            status = "CANCELLED" if i == 0 else "COMPLETED"
            num = str(self.seq("p2p", 20_219_644_646_554_779_648, 10**12))
            raw = {
                "orderNumber": num,
                "advNo": str(rng.randint(10**19, 2 * 10**19)),
                "tradeType": side,
                "asset": "USDT",
                "fiat": "EUR",
                "fiatSymbol": "€",
                "amount": s8(amt),
                "totalPrice": s8(total),
                "unitPrice": plain(unit),
                "orderStatus": status,
                "createTime": t,
                "commission": plain(comm),
                "counterPartNickName": "ab***",
                "payMethodName": "BANK",
                "additionalKycVerify": 0,
                "takerCommissionRate": "0",
                "takerCommission": "0",
                "takerAmount": s8(amt),
                "advertisementRole": "TAKER",
            }
            s = 1 if side == "BUY" else -1
            legs: list[LegT] = [
                ("USDT", s * amt, "funding", "in" if s > 0 else "out"),
                ("EUR", -s * total, "external", "out" if s > 0 else "in"),
            ]
            if comm:
                legs.append(("USDT", -comm, "funding", "fee"))
            rec = ApiRecord(
                "p2p.orders", f"p2p:{num}", raw, t, (side,), 0, tuple(legs), completed=status == "COMPLETED"
            )
            if status != "COMPLETED":
                rec.legs = ()
                self.noise.append(rec)
                continue
            self.add("p2p", t, legs, [rec], self.net_rows(t, legs, "P2P Trading"))
        for _ in range(self.n("pay")):
            t = self.t_any(300, 0.5)
            cur = rng.choice(["USDT", "BNB", "USDT"])
            amt = self.amount(rng.uniform(5, 200), prices[cur])
            if rng.random() < 0.6:
                amt = -amt
            wt = rng.choice([1, 1, 2])
            tid = f"M_P_{self.seq('pay', 71_505_104_267_788_288, 10**9)}"
            raw = {
                "orderType": rng.choice(["C2C", "PAY"]),
                "transactionId": tid,
                "transactionTime": t,
                "amount": s8(amt),
                "currency": cur,
                "walletType": wt,
                "walletTypes": [wt],
                "fundsDetail": [{"currency": cur, "amount": s8(abs(amt))}],
                "payerInfo": {"name": "Jack", "type": "USER", "binanceId": "12345678"},
                "receiverInfo": {"name": "Alan", "type": "USER", "binanceId": "34355667"},
            }
            legs = [(cur, amt, "funding" if wt == 1 else "spot", "in" if amt > 0 else "out")]
            rec = ApiRecord("pay.transactions", f"pay:{tid}", raw, t, (), 0, tuple(legs))
            self.add("pay", t, legs, [rec], self.rows_of(t, legs, "Binance Pay"))
        for _ in range(self.n("card")):
            t = self.t_any(500, 0.5)
            eur = Decimal(rng.randint(300, 9000)).scaleb(-2)
            legs = [("EUR", -eur, "funding", "out"), ("EUR", eur, "external", "in")]
            self.add(
                "other", t, legs, [], self.rows_of(t, legs, "Binance Card Spending"), note="card spending"
            )
            cb = self.amount(float(eur) * 0.02, prices["BNB"])
            legs = [("BNB", cb, "spot", "in")]
            self.add(
                "reward",
                t + 3000,
                legs,
                [],
                self.rows_of(t + 3000, legs, "Binance Card Cashback"),
                note="card cashback",
            )
