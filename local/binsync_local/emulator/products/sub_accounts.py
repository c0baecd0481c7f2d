"""A master account's transfers with its sub-accounts (spec §5.13), seen with the master's key.

Per sub-account: rounds of "the sub-account sends, then the master sends back at most as much"
(through `sub-account/sub/transfer/history`, spot to spot, or `sub-account/universalTransfer`,
whose master side may be the USD-M wallet), so the master's balances never go below what they
were: this family runs after the funding pass and changes no other family's records. A few
transfers between two sub-accounts move no balance of the master (records with no legs).
Futures transfers (`sub-account/futures/internalTransfer`, one history per futures type): the
same rounds between a sub-account's and the master's USD-M or COIN-M wallet, mostly inside the
endpoint's 28-day horizon and a share older than it (beyond reach: statement only), never within
two days of the horizon, so a run's later clock cannot move a record across it.
Statement rows: one per master-side movement (operation names assumed, see STATEMENT_OPERATION;
the futures ones `Sub-account Transfer`, FUTURES_OPERATION).
"""

from __future__ import annotations

import random
from decimal import Decimal
from typing import TYPE_CHECKING

from ..account import ApiRecord
from .common import DAY, HOUR, Ids, amount_of, at, window

if TYPE_CHECKING:
    from ..generator import Gen

ASSETS = ("USDT", "BTC", "BNB")
SPOT, UNIVERSAL = "sub_account.spot_transfers", "sub_account.universal_transfers"
KEY = {SPOT: "sub_transfer", UNIVERSAL: "sub_universal"}  # native key prefixes (docs/ledger.md)
# The statement's operation for these rows is not in the spec (binance-statement.md names none):
# assumed `Transfer In` / `Transfer Out`, the one-row transfers of §4.3 (an unknown name would be
# kept as kind `other`, never merged with the API's record).
STATEMENT_OPERATION = {True: "Transfer Out", False: "Transfer In"}
FUTURES = "sub_account.futures_transfers"
# futuresType -> (the master's wallet, assets transferred): USD-M margin coins, COIN-M coins
FUTURES_TYPES = {"1": ("usdm", ("USDT", "USDC", "BNB")), "2": ("coinm", ("BTC", "ETH"))}
# The operation Binance statements give a sub-account transfer (operations.py names the source).
FUTURES_OPERATION = "Sub-account Transfer"
HORIZON_DAYS = 28  # catalogue sub_account.futures_transfers retention_ms


def _row(endpoint: str, tran: int, sender: str, receiver: str, asset: str, qty: Decimal, t: int,
         master_wallet: str = "SPOT", master_sends: bool = True) -> dict:
    if endpoint == SPOT:
        return {"from": sender, "to": receiver, "asset": asset, "qty": str(qty), "status": "SUCCESS",
                "tranId": tran, "time": t}
    return {"tranId": tran, "fromEmail": sender, "toEmail": receiver, "asset": asset, "amount": str(qty),
            "createTimeStamp": t, "fromAccountType": master_wallet if master_sends else "SPOT",
            "toAccountType": "SPOT" if master_sends else master_wallet, "status": "SUCCESS",
            "clientTranId": ""}


def generate(g: Gen, prices: dict[str, float], rng: random.Random, volumes: dict[str, int]) -> None:
    ids = Ids(rng)
    g.master_email = f"master{rng.randint(10_000, 99_999)}@binsync.test"
    lo, hi = window(g, 720)
    subs = []
    for i in range(volumes["sub_accounts"]):
        created = at(rng, lo, lo + (hi - lo) // 3)
        subs.append({"subUserId": ids.next("sub_uid", 1_000_000_000, 10_000),
                     "email": f"sub{i + 1}_{rng.randint(1000, 9999)}_virtual@binsync.test",
                     "remark": f"desk {i + 1}", "isFreeze": False, "createTime": created,
                     "isManagedSubAccount": False, "isAssetManagementSubAccount": False})
    g.sub_accounts = subs
    for sub in subs:
        for _ in range(volumes["sub_rounds"]):
            endpoint = SPOT if rng.random() < 0.6 else UNIVERSAL
            master_wallet = "USDT_FUTURE" if endpoint == UNIVERSAL and rng.random() < 0.3 else "SPOT"
            asset = "USDT" if master_wallet == "USDT_FUTURE" else rng.choice(ASSETS)
            wallet = "usdm" if master_wallet == "USDT_FUTURE" else "spot"
            t_in = at(rng, sub["createTime"] + DAY, hi - 2 * DAY)
            t_out = at(rng, t_in + 60_000, min(hi, t_in + 20 * DAY))
            qty_in = amount_of(rng.uniform(50, 2000), prices[asset], 6)
            qty_out = (qty_in * Decimal(repr(rng.uniform(0.2, 1.0)))).quantize(Decimal("0.000001"))
            for t, qty, master_sends in ((t_in, qty_in, False), (t_out, qty_out, True)):
                if qty <= 0:
                    continue
                tran = ids.next("sub_tran", 6_489_000_000, 10**5)
                parties = (g.master_email, sub["email"])
                sender, receiver = parties if master_sends else parties[::-1]
                raw = _row(endpoint, tran, sender, receiver, asset, qty, t, master_wallet, master_sends)
                legs = ([(asset, -qty, wallet, "out"), (asset, qty, "external", "in")] if master_sends
                        else [(asset, -qty, "external", "out"), (asset, qty, wallet, "in")])
                rec = ApiRecord(endpoint, f"{KEY[endpoint]}:{tran}", raw, t, legs=tuple(legs))
                g.add("transfer", t, legs, [rec], g.rows_of(t, legs, STATEMENT_OPERATION[master_sends]))
    for _ in range(volumes["sub_between"] if len(subs) > 1 else 0):
        a, b = rng.sample(subs, 2)
        endpoint = rng.choice((SPOT, UNIVERSAL))
        t = at(rng, max(a["createTime"], b["createTime"]) + DAY, hi)
        tran = ids.next("sub_tran", 6_489_000_000, 10**5)
        asset = rng.choice(ASSETS)
        qty = amount_of(rng.uniform(20, 500), prices[asset], 6)
        raw = _row(endpoint, tran, a["email"], b["email"], asset, qty, t)
        # Not a detail of another record: the one record of a movement that is not this account's.
        g.add("transfer", t, [], [ApiRecord(endpoint, f"{KEY[endpoint]}:{tran}", raw, t)], [])


def _futures_row(sender: str, receiver: str, asset: str, qty: Decimal, tran: int, t: int) -> dict:
    return {"from": sender, "to": receiver, "asset": asset, "qty": str(qty), "tranId": tran, "time": t}


def _futures_span(rng: random.Random, hi: int, floor: int) -> tuple[int, int]:
    """A reachable span (inside the horizon, 2 days' margin) or, one time in five, an older one."""
    if rng.random() < 0.2:
        lo, top = hi - 60 * DAY, hi - (HORIZON_DAYS + 3) * DAY
    else:
        lo, top = hi - (HORIZON_DAYS - 2) * DAY, hi - HOUR
    return max(lo, floor), top


def generate_futures(g: Gen, prices: dict[str, float], rng: random.Random, volumes: dict[str, int]) -> None:
    """Futures transfers of the sub-accounts `generate` made (its own stream: the spot and universal
    histories stay as they were)."""
    subs = g.sub_accounts
    ids = Ids(rng)
    _, hi = window(g, 720)
    for sub in subs:
        for _ in range(volumes["sub_futures_rounds"]):
            futures_type = "1" if rng.random() < 0.65 else "2"
            wallet, assets = FUTURES_TYPES[futures_type]
            asset = rng.choice(assets)
            lo, top = _futures_span(rng, hi, sub["createTime"] + DAY)
            if lo >= top:
                continue
            t_in = at(rng, lo, top - 60_000)
            t_out = at(rng, t_in + 60_000, min(top, t_in + 5 * DAY))
            qty_in = amount_of(rng.uniform(50, 3000), prices[asset], 6)
            qty_out = (qty_in * Decimal(repr(rng.uniform(0.2, 1.0)))).quantize(Decimal("0.000001"))
            for t, qty, master_sends in ((t_in, qty_in, False), (t_out, qty_out, True)):
                if qty <= 0:
                    continue
                tran = ids.next("sub_futures_tran", 11_897_000_000, 10**5)
                parties = (g.master_email, sub["email"])
                sender, receiver = parties if master_sends else parties[::-1]
                raw = _futures_row(sender, receiver, asset, qty, tran, t)
                legs = ([(asset, -qty, wallet, "out"), (asset, qty, "external", "in")] if master_sends
                        else [(asset, -qty, "external", "out"), (asset, qty, wallet, "in")])
                rec = ApiRecord(FUTURES, f"sub_futures:{tran}", raw, t, part=(futures_type,),
                                legs=tuple(legs))
                g.add("transfer", t, legs, [rec], g.rows_of(t, legs, FUTURES_OPERATION))
    for _ in range(volumes["sub_futures_between"] if len(subs) > 1 else 0):
        a, b = rng.sample(subs, 2)
        futures_type = rng.choice(tuple(FUTURES_TYPES))
        asset = rng.choice(FUTURES_TYPES[futures_type][1])
        lo, top = _futures_span(rng, hi, max(a["createTime"], b["createTime"]) + DAY)
        if lo >= top:
            continue
        t = at(rng, lo, top)
        tran = ids.next("sub_futures_tran", 11_897_000_000, 10**5)
        qty = amount_of(rng.uniform(20, 500), prices[asset], 6)
        raw = _futures_row(a["email"], b["email"], asset, qty, tran, t)
        # Both sub-accounts' requests return it: one record, no balance of the master moves.
        rec = ApiRecord(FUTURES, f"sub_futures:{tran}", raw, t, part=(futures_type,))
        g.add("transfer", t, [], [rec], [])
