"""Margin capital flow as a cross-check of the margin ledger (issue 14 item 1).

`GET /sapi/v1/margin/capital-flow` is the margin wallets' own ledger: one row per balance change
(BUY_INCOME, SELL_EXPENSE, TRADING_COMMISSION, BORROW, REPAY, TRANSFER, ...), reachable for the
last 90 days. binsync stores those rows as detail records (no legs) and books the balance
changes from the fills, loans and transfers. Over the capital flow's horizon, the two must agree
per asset: the sum of the capital-flow amounts equals the sum of the margin-wallet legs of the
other records. A difference names a margin movement one side has and the other has not.

Scope: fills, commissions, borrow and repay (their ledger side: margin.my_trades and
margin.borrow_repay). Transfer, liquidation, small-balance and commission-return flows are
counted apart (`not_compared`): their ledger side is booked by endpoints that are not
margin-specific (universal transfers, dust), whose horizons differ.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation, localcontext
from typing import Any

from binsync.model import format_decimal
from binsync.storage.models import TransactionModel, account_key, transaction_sk

MARGIN_WALLETS = frozenset({"margin_cross", "margin_isolated"})
COMPARED_FLOWS = frozenset({"BUY_INCOME", "BUY_EXPENSE", "SELL_INCOME", "SELL_EXPENSE", "TRADING_COMMISSION",
                            "BORROW", "REPAY"})
LEDGER_ENDPOINTS = frozenset({"margin.my_trades", "margin.borrow_repay"})
PRECISION = 60


def cross_check(bodies: Iterable[dict[str, Any]], since_ms: int) -> dict[str, Any]:
    """Per asset: capital flow total vs margin ledger total, over records at or after `since_ms`."""
    flow: dict[str, Decimal] = defaultdict(Decimal)
    ledger: dict[str, Decimal] = defaultdict(Decimal)
    not_compared: dict[str, int] = defaultdict(int)
    flows = 0
    with localcontext() as ctx:
        ctx.prec = PRECISION
        for body in bodies:
            if int(body.get("time_ms") or 0) < since_ms:
                continue
            ref = (body.get("source") or {}).get("ref")
            refs = {ref} | {s.get("ref") for s in (body.get("meta") or {}).get("sources") or []}
            if ref == "margin.capital_flow":
                meta = body.get("meta") or {}
                flow_type = str(meta.get("type") or "").upper()
                if flow_type not in COMPARED_FLOWS:
                    not_compared[flow_type] += 1
                    continue
                try:
                    flow[str(meta.get("asset"))] += Decimal(str(meta.get("amount")))
                    flows += 1
                except (InvalidOperation, ValueError):
                    not_compared["unreadable"] += 1
            elif refs & LEDGER_ENDPOINTS:
                for leg in body.get("legs") or []:
                    if leg.get("wallet") in MARGIN_WALLETS:
                        ledger[str(leg["asset"])] += Decimal(str(leg["amount"]))
    differences = [{"asset": a, "capital_flow": format_decimal(flow[a]), "ledger": format_decimal(ledger[a]),
                    "difference": format_decimal(flow[a] - ledger[a])}
                   for a in sorted(set(flow) | set(ledger)) if flow[a] != ledger[a]]
    return {"since": since_ms, "flows": flows, "assets": len(set(flow) | set(ledger)),
            "differences": differences, "agrees": not differences, "not_compared": dict(not_compared)}


def check_stored(user_id: str, binance_uid: str, since_ms: int) -> dict[str, Any]:
    """`cross_check` over the account's stored records from `since_ms` (one range query)."""
    items = TransactionModel.by_account.query(
        account_key(user_id, binance_uid), TransactionModel.sk >= transaction_sk(since_ms, ""),
        attributes_to_get=["body"])
    return cross_check((item.body or {} for item in items), since_ms)
