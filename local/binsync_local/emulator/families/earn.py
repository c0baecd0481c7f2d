"""Simple Earn, staking, auto-invest, mining, crypto loans (loan/income) and rebates."""

from __future__ import annotations

from decimal import Decimal

from ..account import ApiRecord, Event, LegT
from .base import (
    DAY,
    E8,
    HOUR,
    MINING_PAYOUT_WALLET,
    PAYOUT,
    GenBase,
    _ms,
    plain,
    s8,
)

REWARD_RECORDS_SINCE_MS = _ms("2024-01-01")


class EarnMixin(GenBase):
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
                    self._reward_record("interest", rt, "Simple Earn Flexible - Rewards Income",
                                        asset, reward)
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
                self._reward_record("reward", rt, "Simple Earn Locked - Rewards Income", asset, r)
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

    def _reward_record(self, kind: str, paid_ms: int, operation: str, asset: str, amount: Decimal) -> None:
        """The Account Earn twin that exports since 2024 write before each Simple Earn reward's
        payment (binance-statement.md §11; GiacenzeCrypto's fixtures): same coin and amount, no
        balance moved, so an event with no legs and only its statement row. The gap (0-2 h
        earlier) comes from the time, not the random stream, so the API history is unchanged."""
        if paid_ms < REWARD_RECORDS_SINCE_MS:
            return
        t = paid_ms - (paid_ms // 1000 * 2_654_435_761) % (2 * HOUR // 1000) * 1000
        self.add(kind, t, [], [], [(t, "earn", operation, asset, amount, "")])

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
