"""Deterministic account generator: `generate_account(profile, seed, now_ms)`.

The account is built family by family (spot fills, deposits, futures, earn...), each builder
creating the economic event, its legs (docs/ledger.md), its raw API records and its statement
rows in one place, so the three can never disagree. A final funding pass makes every balance
plausible: wherever a wallet would go negative, money arrives first (crypto deposits or fiat
orders into spot at account opening, transfers from spot shortly before other wallets are used).
"""

from __future__ import annotations

import hashlib
import itertools
import random
from collections import defaultdict
from datetime import UTC, datetime
from decimal import ROUND_DOWN, ROUND_UP, Decimal
from typing import ClassVar

from .account import Account, ApiKey, ApiRecord, Event, LegT, Market
from .products import generate_after_funding
from .products import generate_all as generate_products
from .universe import FIAT, STABLE, build_universe, price_decimals, quantize_price

DAY = 86_400_000
HOUR = 3_600_000
PAYOUT = MINING_PAYOUT_WALLET = "funding"  # as binsync.normalise.mining: Binance pays pool income there
E8 = Decimal("1E-8")
E2 = Decimal("0.01")

PROFILES: dict[str, dict[str, float]] = {
    "small": dict(
        opened="2022-03-01",
        listed=60,
        traded=8,
        brk=2,
        removed=1,
        hidden=1,
        spot_fills=120,
        deposits=10,
        withdrawals=5,
        fiat_orders=4,
        fiat_payments=3,
        converts=6,
        dust=5,
        earn_days=45,
        earn_assets=1,
        locked=1,
        usdm_fills=24,
        usdm_funding=20,
        coinm_fills=8,
        margin_fills=16,
        loans=2,
        p2p=3,
        pay=4,
        mining=4,
        options=3,
        crypto_loans=1,
        rebates=4,
        airdrops=4,
        card=4,
        transfers=6,
        eth=2,
        sol=2,
        auto_invest=3,
        wbeth_days=10,
    ),
    "reference": dict(
        opened="2018-01-15",
        listed=1500,
        traded=60,
        brk=25,
        removed=15,
        hidden=3,
        spot_fills=20000,
        deposits=400,
        withdrawals=150,
        fiat_orders=40,
        fiat_payments=12,
        converts=300,
        dust=120,
        earn_days=1095,
        earn_assets=3,
        locked=6,
        usdm_fills=5000,
        usdm_funding=7500,
        coinm_fills=500,
        margin_fills=1000,
        loans=40,
        p2p=30,
        pay=30,
        mining=40,
        options=20,
        crypto_loans=5,
        rebates=40,
        airdrops=30,
        card=40,
        transfers=80,
        eth=6,
        sol=4,
        auto_invest=30,
        wbeth_days=200,
    ),
}
PROFILES["heavy"] = {
    k: (
        v * 5
        if isinstance(v, (int, float))
        and k not in ("listed", "earn_days", "earn_assets", "hidden", "wbeth_days")
        else v
    )
    for k, v in PROFILES["reference"].items()
}
PROFILES["heavy"]["earn_assets"] = 6


def _ms(day: str) -> int:
    return int(datetime.strptime(day, "%Y-%m-%d").replace(tzinfo=UTC).timestamp() * 1000)


LEGACY_TRADE_OPS_UNTIL = _ms("2019-06-01")  # "Transaction Related" rows before this
BUY_SELL_OPS_UNTIL = _ms("2023-01-01")  # "Buy"/"Sell"/"Fee" before, "Transaction *" after
DUST_CAPITAL_FROM = _ms("2021-01-01")  # "Small assets exchange BNB" -> "... Assets Exchange ..."


def s8(d: Decimal) -> str:
    return f"{d:.8f}"


def plain(d: Decimal) -> str:
    text = format(d, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def fmt_utc(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M:%S")


class Gen:
    def __init__(self, profile: str, seed: int, now_ms: int):
        self.p = PROFILES[profile]
        self.profile = profile
        self.rng = random.Random(f"binsync-emulator:{profile}:{seed}")
        self.now = now_ms
        self.opened = _ms(str(self.p["opened"])) + self.rng.randint(0, 10) * DAY + self.rng.randint(0, DAY)
        self.events: list[Event] = []
        self.noise: list[ApiRecord] = []
        self._seq: dict[str, int] = defaultdict(int)
        self.master_email = ""  # set by products/sub_accounts.py (a master account)
        self.sub_accounts: list[dict] = []

    # ---- helpers -----------------------------------------------------------------------------
    def n(self, key: str) -> int:
        return int(self.p[key])

    def seq(self, name: str, start: int, step_max: int = 1) -> int:
        if name not in self._seq:
            self._seq[name] = start
        self._seq[name] += self.rng.randint(1, step_max)
        return self._seq[name]

    def t_between(self, lo: int, hi: int) -> int:
        return self.rng.randint(lo, max(lo, hi))

    def t_any(self, lo_days_after_open: int = 3, recent_bias: float = 1.0) -> int:
        lo = self.opened + lo_days_after_open * DAY
        hi = self.now - HOUR
        u = self.rng.random() ** recent_bias
        return int(hi - (1 - u) * (hi - lo)) if recent_bias != 1.0 else self.t_between(lo, hi)

    def hexid(self, n: int = 32) -> str:
        return f"{self.rng.getrandbits(4 * n):0{n}x}"

    def amount(self, usd: float, price: float, dp: int = 8) -> Decimal:
        q = Decimal(repr(usd / price)).quantize(Decimal(1).scaleb(-dp), ROUND_DOWN)
        return q if q > 0 else Decimal(1).scaleb(-dp)

    def add(self, kind: str, t: int, legs: list[LegT], api: list[ApiRecord], rows, note: str = "") -> Event:
        ev = Event(kind=kind, time_ms=t, legs=legs, api=api, rows=rows, note=note)
        self.events.append(ev)
        return ev

    @staticmethod
    def rows_of(t: int, legs: list[LegT], op: str, remark: str = "") -> list:
        return [(t, w, op, a, amt, remark) for a, amt, w, _r in legs if w != "external"]

    @staticmethod
    def net_rows(t: int, legs: list[LegT], op: str, remark: str = "") -> list:
        """One row per (asset, wallet): Binance shows fee-inclusive net amounts for these."""
        acc: dict[tuple[str, str], Decimal] = {}
        for a, amt, w, _r in legs:
            if w != "external":
                acc[(a, w)] = acc.get((a, w), Decimal(0)) + amt
        return [(t, w, op, a, v, remark) for (a, w), v in acc.items()]

    # ---- spot and margin fills --------------------------------------------------------------
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

    # ---- wallet ------------------------------------------------------------------------------
    def deposit(self, t: int, coin: str, amt: Decimal, wallet_type: int = 0, status: int = 1) -> Event | None:
        did = self.seq("deposit", 700_000_000_000_000_000, 9_999_999_999)
        raw = {
            "id": str(did),
            "amount": plain(amt),
            "coin": coin,
            "network": "BSC" if coin != "BTC" else "BTC",
            "status": status,
            "address": "0x" + self.hexid(40),
            "addressTag": "",
            "txId": "0x" + self.hexid(64),
            "insertTime": t,
            "completeTime": t + 60_000,
            "transferType": 0,
            "confirmTimes": "12/12",
            "unlockConfirm": 0,
            "walletType": wallet_type,
            "travelRuleStatus": 0,
        }
        wallet = "funding" if wallet_type == 1 else "spot"
        legs: list[LegT] = [(coin, amt, wallet, "in")]
        rec = ApiRecord(
            "wallet.deposits", f"deposit:{did}", raw, t, (), 0, tuple(legs), completed=status == 1
        )
        if status != 1:
            rec.legs = ()
            self.noise.append(rec)
            return None
        return self.add("deposit", t, legs, [rec], self.rows_of(t, legs, "Deposit"))

    def withdrawal(
        self, t: int, coin: str, amt: Decimal, fee: Decimal, wallet_type: int = 0, status: int = 6
    ) -> Event | None:
        t = t - t % 1000
        raw = {
            "id": self.hexid(32),
            "amount": s8(amt),
            "transactionFee": plain(fee),
            "coin": coin,
            "status": status,
            "address": "0x" + self.hexid(40),
            "txId": "0x" + self.hexid(64),
            "applyTime": fmt_utc(t),
            "network": "BSC" if coin != "BTC" else "BTC",
            "transferType": 0,
            "info": "",
            "confirmNo": 12,
            "walletType": wallet_type,
            "txKey": "",
            "completeTime": fmt_utc(t + 300_000),
        }
        wallet = "funding" if wallet_type == 1 else "spot"
        legs: list[LegT] = [(coin, -amt, wallet, "out"), (coin, -fee, wallet, "fee")]
        rec = ApiRecord(
            "wallet.withdrawals", f"withdrawal:{raw['id']}", raw, t, (), 0, tuple(legs), completed=status == 6
        )
        if status != 6:
            rec.legs = ()
            self.noise.append(rec)
            return None
        return self.add(
            "withdrawal", t, legs, [rec], self.net_rows(t, legs, "Withdraw", "Withdraw fee is included")
        )

    def fiat_order(
        self, t: int, ttype: int, cur: str, amt: Decimal, fee: Decimal, status: str = "Successful"
    ) -> Event | None:
        order_no = self.hexid(32)
        indicated = amt + fee if ttype == 0 else amt
        raw = {
            "orderNo": order_no,
            "fiatCurrency": cur,
            "indicatedAmount": f"{indicated:.2f}",
            "amount": f"{amt:.2f}",
            "totalFee": f"{fee:.2f}",
            "method": self.rng.choice(["BankAccount", "Card"]),
            "status": status,
            "createTime": t,
            "updateTime": t + 120_000,
        }
        if ttype == 0:
            legs: list[LegT] = [(cur, indicated, "spot", "in"), (cur, -fee, "spot", "fee")]
        else:
            legs = [(cur, -amt, "spot", "out"), (cur, -fee, "spot", "fee")]
        ok = status in ("Successful", "Finished")
        rec = ApiRecord(
            "fiat.orders", f"fiat_order:{order_no}", raw, t, (str(ttype),), 0, tuple(legs), completed=ok
        )
        if not ok:
            rec.legs = ()
            self.noise.append(rec)
            return None
        kind = "fiat_deposit" if ttype == 0 else "fiat_withdrawal"
        return self.add(
            kind, t, legs, [rec], self.net_rows(t, legs, "Fiat Deposit" if ttype == 0 else "Fiat Withdraw")
        )

    def fiat_payment(
        self,
        t: int,
        cur: str,
        src: Decimal,
        fee: Decimal,
        crypto: str,
        price: float,
        method: str,
        status: str = "Completed",
    ) -> Event | None:
        order_no = self.hexid(32)
        obtain = self.amount(float(src - fee), price)
        raw = {
            "orderNo": order_no,
            "sourceAmount": plain(src),
            "fiatCurrency": cur,
            "obtainAmount": plain(obtain),
            "cryptoCurrency": crypto,
            "totalFee": plain(fee),
            "price": f"{price:.6f}",
            "status": status,
            "paymentMethod": method,
            "createTime": t,
            "updateTime": t + 5_000,
        }
        fiat_wallet = "spot" if method == "Cash Balance" else "external"
        legs: list[LegT] = [
            (crypto, obtain, "spot", "in"),
            (cur, -(src - fee), fiat_wallet, "out"),
            (cur, -fee, fiat_wallet, "fee"),
        ]
        rec = ApiRecord(
            "fiat.payments",
            f"fiat_payment:{order_no}",
            raw,
            t,
            ("0",),
            0,
            tuple(legs),
            completed=status == "Completed",
        )
        if status != "Completed":
            rec.legs = ()
            self.noise.append(rec)
            return None
        op = "Buy Crypto With Fiat" if method == "Cash Balance" else "Buy Crypto"
        return self.add("card_buy", t, legs, [rec], self.net_rows(t, legs, op))

    def convert(
        self, t: int, fa: str, famt: Decimal, ta: str, tamt: Decimal, status: str = "SUCCESS"
    ) -> None:
        oid = self.seq("convert", 940_708_407_462_087_200, 10**12)
        ratio = (tamt / famt).quantize(E8) if famt else Decimal(0)
        raw = {
            "quoteId": self.hexid(32),
            "orderId": oid,
            "orderStatus": status,
            "fromAsset": fa,
            "fromAmount": plain(famt),
            "toAsset": ta,
            "toAmount": plain(tamt),
            "ratio": plain(ratio),
            "inverseRatio": plain((famt / tamt).quantize(E8)) if tamt else "0",
            "createTime": t,
        }
        legs: list[LegT] = [(fa, -famt, "spot", "out"), (ta, tamt, "spot", "in")]
        rec = ApiRecord(
            "convert.trade_flow",
            f"convert:{oid}",
            raw,
            t,
            (),
            oid,
            tuple(legs),
            completed=status == "SUCCESS",
        )
        if status != "SUCCESS":
            rec.legs = ()
            self.noise.append(rec)
            return
        self.add("convert", t, legs, [rec], self.rows_of(t, legs, "Binance Convert"))

    def dust(self, t: int, coins: list[tuple[str, Decimal, Decimal]], margin: bool = False) -> None:
        trans_id = self.seq("dust", 45_178_372_831, 5_000_000)
        wallet = "margin_cross" if margin else "spot"
        details, legs, rows = [], [], []
        tot_t, tot_s = Decimal(0), Decimal(0)
        op = "Small Assets Exchange BNB" if t >= DUST_CAPITAL_FROM else "Small assets exchange BNB"
        for coin, amt, bnb in coins:
            charge = (bnb * Decimal("0.02")).quantize(E8, ROUND_DOWN)
            transfered = bnb - charge
            tot_t += transfered
            tot_s += charge
            details.append(
                {
                    "transId": self.seq("dust_detail", 4_359_321, 50),
                    "serviceChargeAmount": s8(charge),
                    "amount": s8(amt),
                    "operateTime": t,
                    "transferedAmount": s8(transfered),
                    "fromAsset": coin,
                    "targetAsset": "BNB",
                }
            )
            legs += [
                (coin, -amt, wallet, "out"),
                ("BNB", transfered + charge, wallet, "in"),
                ("BNB", -charge, wallet, "fee"),
            ]
            rows += [(t, wallet, op, coin, -amt, ""), (t, wallet, op, "BNB", transfered, "")]
        raw = {
            "operateTime": t,
            "totalTransferedAmount": s8(tot_t),
            "totalServiceChargeAmount": s8(tot_s),
            "transId": trans_id,
            "userAssetDribbletDetails": details,
        }
        rec = ApiRecord(
            "wallet.dust",
            f"dust:{trans_id}",
            raw,
            t,
            ("MARGIN" if margin else "SPOT",),
            trans_id,
            tuple(legs),
        )
        self.add("dust", t, legs, [rec], rows)

    def dividend(self, t: int, asset: str, amt: Decimal, en_info: str, op: str) -> None:
        did = self.seq("dividend", 1_637_366_104, 90_000)
        raw = {
            "id": did,
            "amount": s8(amt),
            "asset": asset,
            "divTime": t,
            "enInfo": en_info,
            "tranId": self.seq("dividend_tran", 2_968_885_920, 500_000),
            "direction": 1,
        }
        legs: list[LegT] = [(asset, amt, "spot", "in")]
        rec = ApiRecord("wallet.dividends", f"dividend:{did}", raw, t, (), did, tuple(legs))
        kind = "airdrop" if "irdrop" in en_info or "distribution" in en_info.lower() else "reward"
        self.add(kind, t, legs, [rec], self.rows_of(t, legs, op))

    TRANSFER_WALLETS: ClassVar[dict[str, str]] = {
        "MAIN": "spot",
        "UMFUTURE": "usdm",
        "CMFUTURE": "coinm",
        "MARGIN": "margin_cross",
        "ISOLATEDMARGIN": "margin_isolated",
        "FUNDING": "funding",
        "OPTION": "options",
    }
    TRANSFER_OPS: ClassVar[dict[frozenset[str], str]] = {
        frozenset({"MAIN", "FUNDING"}): "Transfer Between Main and Funding Wallet",
        frozenset({"MAIN", "UMFUTURE"}): "Transfer Between Spot Account and UM Futures Account",
        frozenset({"MAIN", "CMFUTURE"}): "Transfer Between Spot Account and CM Futures Account",
        frozenset({"MAIN", "MARGIN"}): "Transfer Between Main Account/Futures and Margin Account",
        frozenset({"MARGIN", "ISOLATEDMARGIN"}): "Transfer Between Main Account/Futures and Margin Account",
    }
    MARGIN_SIDE: ClassVar[dict[str, str]] = {
        "MAIN": "SPOT",
        "MARGIN": "CROSS_MARGIN",
        "ISOLATEDMARGIN": "ISOLATED_MARGIN",
    }

    def transfer(
        self,
        t: int,
        src: str,
        dst: str,
        asset: str,
        amt: Decimal,
        symbol: str | None = None,
        status: str = "CONFIRMED",
    ) -> None:
        tran_id = self.seq("transfer", 11_415_955_596, 3_000_000)
        ttype = f"{src}_{dst}"
        raw = {
            "asset": asset,
            "amount": plain(amt),
            "type": ttype,
            "status": status,
            "tranId": tran_id,
            "timestamp": t,
        }
        if symbol and src == "ISOLATEDMARGIN":
            raw["fromSymbol"] = symbol
        if symbol and dst == "ISOLATEDMARGIN":
            raw["toSymbol"] = symbol
        legs: list[LegT] = [
            (asset, -amt, self.TRANSFER_WALLETS[src], "out"),
            (asset, amt, self.TRANSFER_WALLETS[dst], "in"),
        ]
        ok = status == "CONFIRMED"
        recs = [
            ApiRecord(
                "wallet.universal_transfer",
                f"transfer:{tran_id}",
                raw,
                t,
                (ttype,),
                tran_id,
                tuple(legs) if ok else (),
                completed=ok,
            )
        ]
        if {src, dst} & {"MARGIN", "ISOLATEDMARGIN"} and {src, dst} <= {"MAIN", "MARGIN", "ISOLATEDMARGIN"}:
            mraw = {
                "amount": s8(amt),
                "asset": asset,
                "status": status,
                "timestamp": t,
                "txId": tran_id,
                "type": "ROLL_IN" if dst in ("MARGIN", "ISOLATEDMARGIN") else "ROLL_OUT",
                "transFrom": self.MARGIN_SIDE[src],
                "transTo": self.MARGIN_SIDE[dst],
            }
            if symbol:
                mraw["fromSymbol" if src == "ISOLATEDMARGIN" else "toSymbol"] = symbol
            recs.append(
                ApiRecord(
                    "margin.transfers",
                    f"transfer:{tran_id}",
                    mraw,
                    t,
                    (),
                    tran_id,
                    tuple(legs) if ok else (),
                    completed=ok,
                )
            )
        for fam, ep, asset_ok in (("UMFUTURE", "usdm.income", True), ("CMFUTURE", "coinm.income", True)):
            if fam in (src, dst) and asset_ok and ok:
                inc_id = self.seq("income_tran", 9_689_322_392, 1000)
                sign = 1 if dst == fam else -1
                iraw = {
                    "symbol": "",
                    "incomeType": "TRANSFER",
                    "income": s8(sign * amt),
                    "asset": asset,
                    "info": "TRANSFER",
                    "time": t,
                    "tranId": inc_id,
                    "tradeId": "",
                }
                recs.append(
                    ApiRecord(
                        ep,
                        f"{ep.split('.')[0]}_income:TRANSFER:{inc_id}",
                        iraw,
                        t,
                        (),
                        inc_id,
                        (),
                        detail=True,
                    )
                )
        if "OPTION" in (src, dst) and ok:
            bid = self.seq("options_bill", 1_125_899_906_842_624_000, 10**9)
            braw = {
                "id": bid,
                "asset": asset,
                "amount": s8(amt if dst == "OPTION" else -amt),
                "type": "TRANSFER",
                "createDate": t,
            }
            recs.append(
                ApiRecord("options.bill", f"options_bill:{bid}", braw, t, (asset,), bid, (), detail=True)
            )
        if not ok:
            self.noise.extend(recs)
            return
        op = self.TRANSFER_OPS.get(frozenset({src, dst}))
        rows = []
        for a, v, w, _r in legs:
            rows.append((t, w, op or ("transfer_in" if v > 0 else "transfer_out"), a, v, ""))
        self.add("transfer", t, legs, recs, rows)

    def wallet(self, prices: dict[str, float], holdable: list[str]) -> None:
        rng = self.rng
        main = ["USDT", "BTC", "ETH", "BNB", "SOL", "XRP", "ADA", "DOGE"]
        for _ in range(self.n("deposits")):
            coin = rng.choice(main + holdable[:10])
            self.deposit(
                self.t_any(1),
                coin,
                self.amount(10 ** rng.uniform(1.5, 3.5), prices[coin]),
                1 if rng.random() < 0.1 else 0,
            )
        for status in (0, 7):
            self.deposit(self.t_any(30), "USDT", Decimal("125.5"), 0, status)
        for _ in range(self.n("withdrawals")):
            coin = rng.choice(main)
            amt = self.amount(10 ** rng.uniform(1.3, 2.7), prices[coin])
            self.withdrawal(
                self.t_any(30, 0.6), coin, amt, self.amount(0.8, prices[coin]), 1 if rng.random() < 0.1 else 0
            )
        self.withdrawal(self.t_any(30), "USDT", Decimal("50"), Decimal("1"), 0, 1)
        for i in range(self.n("fiat_orders")):
            ttype = 0 if i % 5 else 1
            amt = Decimal(rng.randint(50, 3000))
            self.fiat_order(self.t_any(1, 0.8), ttype, "EUR", amt, (amt * Decimal("0.01")).quantize(E2))
        self.fiat_order(self.t_any(30), 0, "EUR", Decimal(100), Decimal(1), "Failed")
        for _ in range(self.n("fiat_payments")):
            crypto = rng.choice(["BTC", "ETH", "USDT", "BNB"])
            src = Decimal(rng.randint(20, 500))
            fee = (src * Decimal("0.018")).quantize(E2)
            self.fiat_payment(
                self.t_any(10),
                "EUR",
                src,
                fee,
                crypto,
                prices[crypto] / prices["EUR"],
                rng.choice(["Credit Card", "Credit Card", "Cash Balance"]),
            )
        self.fiat_payment(
            self.t_any(10),
            "EUR",
            Decimal(20),
            Decimal("0.2"),
            "BTC",
            prices["BTC"] / prices["EUR"],
            "Credit Card",
            "Failed",
        )
        for _ in range(self.n("converts")):
            fa, ta = rng.sample(["USDT", "BTC", "ETH", "BNB", "FDUSD", "SOL", "USDC"], 2)
            usd = 10 ** rng.uniform(1, 3)
            t = self.t_any(400, 0.7)
            self.convert(t, fa, self.amount(usd, prices[fa]), ta, self.amount(usd * 0.998, prices[ta]))
        self.convert(self.t_any(400), "USDT", Decimal(10), "BNB", Decimal("0.03"), "FAIL")
        dust_from = max(self.opened + 30 * DAY, _ms("2019-01-01"))
        dust_coins = [c for c in holdable if c not in ("BNB", "BTC", "ETH")] or ["XRP", "ADA", "DOGE"]
        for i in range(self.n("dust")):
            t = self.t_between(dust_from, self.now - DAY)
            picks = rng.sample(dust_coins, min(len(dust_coins), 1 + int(rng.expovariate(1.2))))
            coins = [
                (
                    c,
                    self.amount(rng.uniform(0.2, 5), prices[c]),
                    self.amount(rng.uniform(0.2, 5) * 0.97, prices["BNB"]),
                )
                for c in picks
            ]
            self.dust(t, coins, margin=(i % 17 == 16))
        infos = [
            ("BHFT distribution", "Distribution"),
            ("HODLer Airdrops", "HODLer Airdrops Distribution"),
            ("Airdrop", "Airdrop Assets"),
            ("Launchpool Airdrop", "Launchpool Airdrop"),
            ("BNB Vault", "BNB Vault Rewards"),
        ]
        for _ in range(self.n("airdrops")):
            en, op = rng.choice(infos)
            asset = rng.choice(holdable[:20] or ["BNB"])
            self.dividend(self.t_any(200), asset, self.amount(rng.uniform(1, 40), prices[asset]), en, op)
        for _ in range(self.n("transfers")):
            pair = rng.choice(
                [
                    ("MAIN", "FUNDING"),
                    ("FUNDING", "MAIN"),
                    ("MAIN", "UMFUTURE"),
                    ("UMFUTURE", "MAIN"),
                    ("MAIN", "MARGIN"),
                    ("MARGIN", "MAIN"),
                ]
            )
            asset = "USDT"
            self.transfer(self.t_any(60, 0.5), pair[0], pair[1], asset, Decimal(rng.randint(10, 300)))
        self.transfer(self.t_any(60, 0.3), "MAIN", "FUNDING", "USDT", Decimal(5), status="FAILED")

    # ---- P2P, Pay, card ----------------------------------------------------------------------
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

    # ---- margin ------------------------------------------------------------------------------
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

    # ---- futures and options -------------------------------------------------------------------
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

    # ---- earn, staking, auto-invest, mining, loans, rebates -----------------------------------
    def earn(self, prices: dict[str, float]) -> None:
        rng = self.rng
        days = self.n("earn_days")
        start = max(self.opened + 10 * DAY, self.now - days * DAY)
        assets = ["USDT", "BNB", "ETH", "BTC", "SOL", "FDUSD"][: self.n("earn_assets")]
        for asset in assets:
            amt = self.amount(rng.uniform(500, 5000), prices[asset])
            t = start + rng.randint(0, HOUR)
            self._flexible_subscription(t, asset, amt)
            day = start - start % DAY + DAY
            while day < self.now - HOUR:
                rt = day + rng.randint(0, 3 * HOUR)
                for rtype in ("REALTIME",) + (("BONUS",) if rng.random() < 0.05 else ()):
                    reward = (amt * Decimal(repr(rng.uniform(0.00005, 0.0002)))).quantize(E8)
                    raw = {
                        "asset": asset,
                        "rewards": s8(reward),
                        "projectId": f"{asset}001",
                        "type": rtype,
                        "time": rt,
                    }
                    leg = (asset, reward, "earn", "in")
                    rec = ApiRecord(
                        "earn.flexible_rewards",
                        f"earn_flex_reward:{rtype}:{asset}:{rt}",
                        raw,
                        rt,
                        (rtype,),
                        0,
                        (leg,),
                    )
                    self.add(
                        "interest",
                        rt,
                        [leg],
                        [rec],
                        [(rt, "earn", "Simple Earn Flexible Interest", asset, reward, "")],
                    )
                day += DAY
            # Part of the principal comes back before now.
            red = (amt / 2).quantize(E8)
            rt = self.t_between(start + 5 * DAY, self.now - HOUR)
            rid = self.seq("earn_redeem", 40_607, 1000)
            self._earn_move(
                "earn.flexible_redemptions",
                f"earn_flex_red:{rid}",
                rt,
                asset,
                red,
                False,
                {
                    "amount": s8(red),
                    "asset": asset,
                    "time": rt,
                    "projectId": f"{asset}001",
                    "redeemId": rid,
                    "destAccount": "SPOT",
                    "status": "PAID",
                },
                "Simple Earn Flexible Redemption",
            )
        self.noise.append(
            ApiRecord(
                "earn.flexible_subscriptions",
                "earn_flex_sub:1",
                {
                    "amount": "10.00000000",
                    "asset": "USDT",
                    "time": self.now - 5 * DAY,
                    "purchaseId": 1,
                    "productId": "USDT001",
                    "type": "NORMAL",
                    "sourceAccount": "SPOT",
                    "amtFromSpot": "10",
                    "amtFromFunding": "0",
                    "status": "FAILED",
                },
                self.now - 5 * DAY,
                (),
                0,
                (),
                completed=False,
            )
        )
        for _ in range(self.n("locked")):
            asset = rng.choice(["BNB", "DOT", "SOL", "ETH"])
            amt = self.amount(rng.uniform(200, 2000), prices[asset])
            t = self.t_between(max(self.opened, self.now - 2 * 365 * DAY), self.now - 40 * DAY)
            pos = self.seq("locked_pos", 123_123, 1000)
            pid = self.seq("earn_purchase", 26_055, 1000)
            self._earn_move(
                "earn.locked_subscriptions",
                f"earn_locked_sub:{pid}",
                t,
                asset,
                amt,
                True,
                {
                    "positionId": pos,
                    "purchaseId": str(pid),
                    "projectId": f"{asset}*30",
                    "time": t,
                    "asset": asset,
                    "amount": s8(amt),
                    "lockPeriod": "30",
                    "type": "NORMAL",
                    "sourceAccount": "SPOT",
                    "amtFromSpot": s8(amt),
                    "amtFromFunding": "0",
                    "status": "SUCCESS",
                },
                "Simple Earn Locked Subscription",
            )
            for d in range(1, 31):
                rt = t + d * DAY
                r = (amt * Decimal("0.0002")).quantize(E8)
                raw = {
                    "positionId": pos,
                    "time": rt,
                    "asset": asset,
                    "lockPeriod": "30",
                    "amount": s8(r),
                    "type": "Locked Rewards",
                }
                leg = (asset, r, "spot", "in")
                rec = ApiRecord(
                    "earn.locked_rewards",
                    f"earn_locked_reward:{pos}:{rt}:Locked Rewards",
                    raw,
                    rt,
                    (),
                    0,
                    (leg,),
                )
                self.add(
                    "reward", rt, [leg], [rec], [(rt, "spot", "Simple Earn Locked Rewards", asset, r, "")]
                )
            mt = t + 30 * DAY + HOUR
            rid = self.seq("earn_redeem", 40_607, 1000)
            self._earn_move(
                "earn.locked_redemptions",
                f"earn_locked_red:{rid}",
                mt,
                asset,
                amt,
                False,
                {
                    "positionId": pos,
                    "redeemId": rid,
                    "time": mt,
                    "asset": asset,
                    "lockPeriod": "30",
                    "amount": s8(amt),
                    "originalAmount": s8(amt),
                    "type": "MATURE",
                    "deliverDate": mt,
                    "lossAmount": "0",
                    "isComplete": True,
                    "status": "PAID",
                },
                "Simple Earn Locked Redemption",
            )

    def _flexible_subscription(self, t: int, asset: str, amt: Decimal) -> None:
        """Spot -> flexible Earn subscription, as Binance's subscriptionRecord renders it."""
        pid = self.seq("earn_purchase", 26_055, 1000)
        self._earn_move(
            "earn.flexible_subscriptions",
            f"earn_flex_sub:{pid}",
            t,
            asset,
            amt,
            True,
            {
                "amount": s8(amt),
                "asset": asset,
                "time": t,
                "purchaseId": pid,
                "productId": f"{asset}001",
                "type": "NORMAL",
                "sourceAccount": "SPOT",
                "amtFromSpot": s8(amt),
                "amtFromFunding": "0",
                "status": "SUCCESS",
            },
            "Simple Earn Flexible Subscription",
        )

    def _earn_move(
        self, ep: str, key: str, t: int, asset: str, amt: Decimal, subscribe: bool, raw: dict, op: str
    ) -> Event:
        s = 1 if subscribe else -1
        legs: list[LegT] = [
            (asset, -s * amt, "spot", "out" if subscribe else "in"),
            (asset, s * amt, "earn", "in" if subscribe else "out"),
        ]
        rec = ApiRecord(ep, key, raw, t, (), 0, tuple(legs))
        return self.add("transfer", t, legs, [rec], self.rows_of(t, legs, op, "Binance Earn"))

    def staking(self, prices: dict[str, float]) -> None:
        rng = self.rng
        for coin, wrapped, n, ep, op_in, op_out in (
            ("ETH", "WBETH", self.n("eth"), "eth", "ETH 2.0 Staking", "ETH 2.0 Staking Withdrawals"),
            ("SOL", "BNSOL", self.n("sol"), "sol", "Staking Purchase", "Staking Redemption"),
        ):
            lo = max(self.opened + 30 * DAY, self.now - 2 * 365 * DAY)
            for i in range(n):
                t = self.t_between(lo, self.now - DAY)
                ratio = Decimal(repr(round(rng.uniform(1.0, 1.08), 8)))
                stake = i % 3 != 2
                amt = self.amount(rng.uniform(200, 3000), prices[coin if stake else wrapped])
                dist = (amt / ratio if stake else amt * ratio).quantize(E8)
                src, dst = (coin, wrapped) if stake else (wrapped, coin)
                raw = {
                    "time": t,
                    "asset": src,
                    "amount": s8(amt),
                    "distributeAsset": dst,
                    "distributeAmount": s8(dist),
                    ("conversionRatio" if ep == "eth" else "exchangeRate"): s8(ratio),
                    "status": "SUCCESS",
                }
                if not stake:
                    raw = {"time": t, "arrivalTime": t + DAY, **{k: v for k, v in raw.items() if k != "time"}}
                kind = "stake" if stake else "redeem"
                legs: list[LegT] = [(src, -amt, "spot", "out"), (dst, dist, "spot", "in")]
                rec = ApiRecord(
                    f"staking.{ep}_{kind}", f"{ep}_{kind}:{t}:{s8(amt)}", raw, t, (), 0, tuple(legs)
                )
                self.add("trade", t, legs, [rec], self.rows_of(t, legs, op_in if stake else op_out))
            # Rewards accrue in the exchange rate: detail records only.
            days = self.n("wbeth_days")
            ev = self.events[-1]
            for d in range(days):
                rt = self.now - (d + 1) * DAY
                if rt < lo:
                    break
                amt = Decimal(rng.randint(100, 100_000)).scaleb(-8)
                name = "wbeth_rewards" if ep == "eth" else "bnsol_rewards"
                unit = "ETH" if ep == "eth" else "SOL"
                raw = {
                    "time": rt,
                    f"amountIn{unit}": s8(amt),
                    "holding": "2.32230000",
                    f"holdingIn{unit}": "2.42310000",
                    "annualPercentageRate": "0.035",
                }
                ev.api.append(
                    ApiRecord(f"staking.{name}", f"{name[:-8]}_reward:{rt}", raw, rt, (), 0, (), detail=True)
                )

    def auto_invest(self, prices: dict[str, float]) -> None:
        rng = self.rng
        lo = max(self.opened + 30 * DAY, self.now - 2 * 365 * DAY)
        for _ in range(self.n("auto_invest")):
            t = self.t_between(lo, self.now - DAY)
            target = rng.choice(["BTC", "ETH", "BNB"])
            src = Decimal(rng.randint(20, 300))
            fee = (src * Decimal("0.001")).quantize(E8)
            got = self.amount(float(src - fee), prices[target])
            aid = self.seq("auto_invest", 1111, 1000)
            raw = {
                "id": aid,
                "targetAsset": target,
                "planType": "SINGLE",
                "planName": target,
                "planId": 1234,
                "transactionDateTime": t,
                "transactionStatus": "SUCCESS",
                "failedType": "NONE",
                "sourceAsset": "USDT",
                "sourceAssetAmount": plain(src),
                "targetAssetAmount": plain(got),
                "sourceWallet": "SPOT_WALLET",
                "flexibleUsed": "false",
                "transactionFee": plain(fee),
                "transactionFeeUnit": "USDT",
                "executionPrice": f"{prices[target]:.2f}",
                "executionType": "RECURRING",
                "subscriptionCycle": "WEEKLY",
            }
            legs: list[LegT] = [
                ("USDT", -(src - fee), "spot", "out"),
                ("USDT", -fee, "spot", "fee"),
                (target, got, "spot", "in"),
            ]
            rec = ApiRecord("auto_invest.history", f"auto_invest:{aid}", raw, t, (), aid, tuple(legs))
            self.add("trade", t, legs, [rec], self.net_rows(t, legs, "Auto-Invest Transaction"))

    def mining(self) -> None:
        """Daily pool payouts. Binance sends settled mining income to the Funding wallet ("After
        settlement is complete, mining income is sent directly to your Binance Funding wallet",
        Binance FAQ 360041383531 "How to check my mining earnings"); the pool account itself
        has no balance endpoint (binance-api.md §5.11 lists earnings and statistics only)."""
        rng = self.rng
        lo = max(self.opened + 60 * DAY, self.now - 400 * DAY)
        day0 = lo - lo % DAY
        for i in range(self.n("mining")):
            t = day0 + i * DAY
            if t >= self.now - DAY:
                break
            profit = Decimal(rng.randint(10_000, 200_000)).scaleb(-8)
            raw = {
                "time": t,
                "type": 0,
                "hashTransfer": None,
                "transferAmount": None,
                "dayHashRate": rng.randint(10**12, 10**14),
                "profitAmount": profit,
                "coinName": "BTC",
                "status": 2,
            }
            leg = ("BTC", profit, MINING_PAYOUT_WALLET, "in")
            rec = ApiRecord("mining.payments", f"mining:BTC:{t}:0", raw, t, (), 0, (leg,))
            self.add("mining", t, [leg], [rec], [(t, PAYOUT, "Pool Distribution", "BTC", profit, "")])
            if i % 5 == 2:  # an extra bonus (Extra Bonus List: type 2, activity bonus)
                bonus = Decimal(rng.randint(1_000, 20_000)).scaleb(-8)
                braw = {"time": t, "coinName": "BTC", "type": 2, "profitAmount": bonus, "status": 2}
                bleg = ("BTC", bonus, MINING_PAYOUT_WALLET, "in")
                brec = ApiRecord("mining.other", f"mining_other:BTC:{t}:2", braw, t, (), 0, (bleg,))
                self.add("mining", t, [bleg], [brec], [(t, PAYOUT, "Pool Distribution", "BTC", bonus, "")])
            if i % 7 == 3:  # an account earning (Mining Account Earning: type 0, referral)
                earned = Decimal(rng.randint(1_000, 9_000)).scaleb(-8)
                puid = 59_985_472
                eraw = {"time": t, "coinName": "BTC", "type": 0, "puid": puid, "subName": "miner",
                        "amount": earned}
                eleg = ("BTC", earned, MINING_PAYOUT_WALLET, "in")
                erec = ApiRecord("mining.account_earnings", f"mining_account:BTC:{t}:0:{puid}", eraw, t, (),
                                 0, (eleg,))
                self.add("mining", t, [eleg], [erec], [(t, PAYOUT, "Pool Distribution", "BTC", earned, "")])

    def crypto_loans(self, prices: dict[str, float]) -> None:
        rng = self.rng
        lo = max(self.opened + 60 * DAY, self.now - 500 * DAY)
        for _ in range(self.n("crypto_loans")):
            t0 = self.t_between(lo, self.now - 20 * DAY)
            coll = self.amount(rng.uniform(500, 3000), prices["BNB"])
            borrow = Decimal(rng.randint(100, 1000))
            repay = (borrow * Decimal("1.004")).quantize(E8)
            t1 = t0 + rng.randint(2, 15) * DAY
            steps = [
                (
                    "collateralSpent",
                    t0,
                    "BNB",
                    coll,
                    [("BNB", -coll, "spot", "out"), ("BNB", coll, "loan", "in")],
                    "loan",
                    "Crypto Loan - Collateral",
                ),
                (
                    "borrowIn",
                    t0 + 1000,
                    "USDT",
                    borrow,
                    [("USDT", borrow, "spot", "in")],
                    "borrow",
                    "Crypto Loan - Borrow",
                ),
                (
                    "repayAmount",
                    t1,
                    "USDT",
                    repay,
                    [("USDT", -repay, "spot", "out")],
                    "repay",
                    "Crypto Loan - Repay",
                ),
                (
                    "collateralReturn",
                    t1 + 1000,
                    "BNB",
                    coll,
                    [("BNB", -coll, "loan", "out"), ("BNB", coll, "spot", "in")],
                    "loan",
                    "Crypto Loan - Collateral Return",
                ),
            ]
            for typ, t, asset, amt, legs, kind, op in steps:
                tran = str(self.seq("loan_tran", 80_423_589_583, 10**6))
                raw = {"asset": asset, "type": typ, "amount": plain(amt), "timestamp": t, "tranId": tran}
                rec = ApiRecord("loans.income", f"loan_income:{typ}:{tran}", raw, t, (typ,), 0, tuple(legs))
                self.add(kind, t, list(legs), [rec], self.rows_of(t, legs, op))

    def rebates(self, prices: dict[str, float]) -> None:
        rng = self.rng
        lo = max(self.opened + 30 * DAY, _ms("2020-06-10"))
        for _ in range(self.n("rebates")):
            t = self.t_between(lo, self.now - HOUR)
            typ = 1 if rng.random() < 0.6 else 2
            asset = rng.choice(["USDT", "BNB"])
            amt = self.amount(rng.uniform(0.01, 3), prices[asset])
            raw = {"asset": asset, "type": typ, "amount": plain(amt), "updateTime": t}
            leg = (asset, amt, "spot", "in")
            rec = ApiRecord(
                "rebates.tax_query", f"rebate:{typ}:{asset}:{t}:{plain(amt)}", raw, t, (), 0, (leg,)
            )
            self.add(
                "rebate",
                t,
                [leg],
                [rec],
                [(t, "spot", "Commission Rebate" if typ == 1 else "Referral Kickback", asset, amt, "")],
            )

    # ---- funding pass --------------------------------------------------------------------------
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


def _make_keys(rng: random.Random, uid: int, now: int) -> list[ApiKey]:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

    def token() -> str:
        return "".join(rng.choice(alphabet) for _ in range(64))

    def restrictions(created: int) -> dict:
        return {
            "ipRestrict": False,
            "createTime": created,
            "enableReading": True,
            "enableWithdrawals": False,
            "enableInternalTransfer": False,
            "enableMargin": False,
            "enableFutures": True,
            "permitsUniversalTransfer": False,
            "enableVanillaOptions": False,
            "enableFixApiTrade": False,
            "enableFixReadOnly": False,
            "enableSpotAndMarginTrading": False,
            "enablePortfolioMarginTrading": False,
        }

    created = now - rng.randint(30, 300) * DAY
    created -= created % 1000
    return [
        ApiKey(token(), token(), restrictions=restrictions(created)),
        ApiKey(token(), token(), restrictions=restrictions(created + 7 * DAY)),
    ]


def generate_account(
    profile: str, seed: int, now_ms: int | None = None, scale: float | None = None
) -> Account:
    """A complete, deterministic account for (profile, seed, now_ms).

    `scale` multiplies every record count of the profile (e.g. to reach a statement size).
    """
    if profile not in PROFILES:
        raise ValueError(f"profile must be one of {sorted(PROFILES)}, got {profile!r}")
    if now_ms is None:
        import time

        now_ms = int(time.time() * 1000)
    g = Gen(profile, seed, now_ms)
    if scale:
        g.p = {
            k: (
                max(1, round(v * scale))
                if isinstance(v, (int, float))
                and k not in ("listed", "earn_days", "hidden", "wbeth_days", "earn_assets")
                else v
            )
            for k, v in g.p.items()
        }
    rng = g.rng
    uid = rng.randint(100_000_000, 9_999_999_999)
    markets, prices = build_universe(
        rng, g.n("listed"), g.n("traded"), g.n("brk"), g.n("removed"), g.n("hidden")
    )
    by_symbol = {m.symbol: m for m in markets}
    holdable = sorted({m.base for m in markets if m.traded and m.status == "TRADING"} - {"BTC", "ETH", "BNB"})
    g.spot(markets, prices)
    g.wallet(prices, holdable)
    g.p2p(prices)
    g.margin(by_symbol, prices)
    g.futures(prices, coin_m=False)
    g.futures(prices, coin_m=True)
    g.options()
    g.earn(prices)
    g.staking(prices)
    g.auto_invest(prices)
    g.mining()
    g.crypto_loans(prices)
    g.rebates(prices)
    generate_products(g, prices, seed)  # issue 14 families, one module each (products/)
    g.fund(prices)
    generate_after_funding(g, prices, seed)  # sub-account transfers: never below the funded balances
    g.renumber([r for e in g.events for r in e.api if r.endpoint == "options.bill"], "options_bill:")
    keys = _make_keys(rng, uid, now_ms)
    digest = hashlib.sha256(f"{profile}:{seed}".encode()).hexdigest()[:6]
    return Account(
        profile=profile,
        seed=seed,
        uid=uid,
        opened_ms=g.opened,
        now_ms=now_ms,
        events=g.events,
        noise=sorted(g.noise, key=lambda r: r.time_ms),
        markets=markets,
        keys=keys,
        mining_user=f"miner{digest}",
        master_email=g.master_email,
        sub_accounts=g.sub_accounts,
    )
