"""Deposits, withdrawals, fiat, convert, dust, dividends and internal transfers."""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal
from typing import ClassVar

from ..account import ApiRecord, Event, LegT
from .base import (
    DAY,
    DUST_CAPITAL_FROM,
    E2,
    E8,
    GenBase,
    _ms,
    fmt_utc,
    plain,
    s8,
)


class WalletMixin(GenBase):
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
        if method == "Cash Balance":
            rows = self.net_rows(t, legs, "Buy Crypto With Fiat")  # fiat debited from Spot
        else:
            # Real exports show a card buy's fiat on Spot: the card charge credited, then spent
            # with the crypto received (tests/statement/data/real/everytrade_buy_crypto_czk.csv).
            # Spot nets to zero, as the card payment record (fiat `external`) says.
            rows = [(t, "spot", "Buy Crypto", cur, src, ""), (t, "spot", "Buy Crypto", cur, -src, ""),
                    (t, "spot", "Buy Crypto", crypto, obtain, "")]
        return self.add("card_buy", t, legs, [rec], rows)

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
