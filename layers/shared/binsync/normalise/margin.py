"""Margin records: fills, borrow/repay, transfers, and the detail-only interest, liquidation and
capital-flow records (docs/ledger.md: their balance effect is carried by another endpoint)."""

from __future__ import annotations

from decimal import Decimal

from binsync.model import Transaction

from .base import Row, RowContext, RowError, Skip, dstr, fee_legs, leg, to_flag
from .derived_keys import ident_or_derived
from .spot import describe_fill, fill_legs, market

# Key of an interest row recorded without `txId` (docs/ledger.md).
INTEREST_KEY_FIELDS = ("asset", "isolatedSymbol", "type", "interest", "principal", "interestAccuredTime")

# transFrom/transTo of /sapi/v1/margin/transfer (spec §5.5.6) -> our wallets. Sub-account and
# mother-account sides (SUB_SPOT, SUB_MARGIN, MOTHER_SPOT) and FIAT have no wallet in
# docs/ledger.md: such rows are rejected with the reason, never guessed.
MARGIN_TRANSFER_ACCOUNTS = {
    "SPOT": "spot", "FUTURES": "usdm", "DELIVERY": "coinm", "ISOLATED_MARGIN": "margin_isolated",
    "CROSS_MARGIN": "margin_cross", "MARGIN": "margin_cross", "FUNDING": "funding",
    "OPTION": "options", "MINING": "mining",
}

# capital-flow types -> the ledger endpoint that carries the same balance change.
CAPITAL_FLOW_DETAIL_OF = {
    "TRANSFER": "margin.transfers", "BORROW": "margin.borrow_repay", "REPAY": "margin.borrow_repay",
    "SMALL_BALANCE_CONVERT": "wallet.dust", "SMALL_CONVERT": "wallet.dust",
}


def is_isolated(row: Row, ctx: RowContext) -> bool:
    """The row's isIsolated, else the request's isIsolated, else the API default (cross)."""
    if row.has("isIsolated"):
        return row.flag("isIsolated")
    requested = ctx.param("isIsolated")
    if requested is None:
        return False
    parsed = to_flag(requested)
    if parsed is None:
        raise RowError("isIsolated", f"request context value is not a boolean: {requested!r}")
    return parsed


def my_trades(row: Row, ctx: RowContext) -> Transaction:
    symbol, base, quote = market(row, ctx)
    isolated = is_isolated(row, ctx)
    wallet = "margin_isolated" if isolated else "margin_cross"
    legs, facts = fill_legs(row, base, quote, wallet)
    scope = "isolated" if isolated else "cross"
    meta = {"symbol": symbol, "base": base, "quote": quote, "isIsolated": isolated, **facts}
    return ctx.tx(f"margin_trade:{symbol}:{scope}:{row.ident('id')}", "trade", legs, row.ms("time"),
                  meta=meta, description=f"Margin ({scope}) " + describe_fill(facts, base, quote))


def _margin_wallet(row: Row, ctx: RowContext) -> tuple[str, str | None]:
    symbol = row.get("isolatedSymbol") or ctx.param("isolatedSymbol")
    return ("margin_isolated" if symbol else "margin_cross"), symbol


def borrow_repay(row: Row, ctx: RowContext) -> Transaction | Skip:
    # The row's own `type` is AUTO/MANUAL; BORROW or REPAY is the request's `type` variant.
    type_ = str(ctx.param("type") or "").upper()
    if type_ not in ("BORROW", "REPAY"):
        row_type = str(row.get("type") or "").upper()
        if row_type not in ("BORROW", "REPAY"):
            raise RowError("type", f"request context must say BORROW or REPAY, got {ctx.param('type')!r}")
        type_ = row_type
    status = row.text("status")
    if status.upper() != "CONFIRMED":
        return Skip(f"status={status} (only CONFIRMED is an event)")
    asset = row.text("asset")
    wallet, symbol = _margin_wallet(row, ctx)
    if type_ == "BORROW":
        amount = row.dec("amount", nonneg=True) if row.has("amount") else row.dec("principal", nonneg=True)
        legs = [leg(asset, amount, wallet, "in")]
        kind, text = "borrow", f"Borrow {dstr(amount)} {asset}"
        interest = principal = None
    else:
        interest = row.dec("interest", nonneg=True, default=Decimal(0))
        if row.has("principal"):
            principal = row.dec("principal", nonneg=True)
        else:
            principal = row.dec("amount", nonneg=True) - interest
            if principal < 0:
                raise RowError(row.name("interest"), "interest exceeds amount")
        amount = principal + interest
        legs = [leg(asset, -principal, wallet, "out"), *fee_legs(asset, interest, wallet)]
        kind, text = "repay", f"Repay {dstr(principal)} {asset} + interest {dstr(interest)}"
    meta = {"isolatedSymbol": symbol, "amount": dstr(amount), "principal": dstr(principal),
            "interest": dstr(interest), "borrowType": row.get("type")}
    return ctx.tx(f"margin_{type_}:{row.ident('txId')}", kind, legs, row.ms("timestamp"), meta=meta,
                  description=text)


def interest(row: Row, ctx: RowContext) -> Transaction:
    meta = {"asset": row.text("asset"), "rawAsset": row.get("rawAsset"), "interest": row.get("interest"),
            "principal": row.get("principal"), "interestRate": row.get("interestRate"),
            "type": row.get("type"), "isolatedSymbol": row.get("isolatedSymbol")}
    tx_id = ident_or_derived(row, "txId", INTEREST_KEY_FIELDS)
    return ctx.tx(f"margin_interest:{tx_id}", "interest", [], row.ms("interestAccuredTime"),
                  meta=meta, detail_of="margin.borrow_repay",
                  description=f"Margin interest {row.get('interest')} {meta['asset']} (accrued)")


def liquidations(row: Row, ctx: RowContext) -> Transaction:
    meta = {"symbol": row.get("symbol"), "side": row.get("side"), "price": row.get("price"),
            "avgPrice": row.get("avgPrice"), "qty": row.get("qty"), "executedQty": row.get("executedQty"),
            "isIsolated": row.get("isIsolated")}
    order_id = row.ident("orderId")
    return ctx.tx(f"margin_liquidation:{order_id}", "liquidation", [], row.ms("updatedTime"),
                  meta={"orderId": order_id, **meta}, detail_of="margin.my_trades",
                  description=f"Margin liquidation {meta['side']} {meta['executedQty']} {meta['symbol']}")


def capital_flow(row: Row, ctx: RowContext) -> Transaction:
    flow_type = row.text("type")
    meta = {"type": flow_type, "asset": row.get("asset"), "amount": row.get("amount"),
            "symbol": row.get("symbol"), "tranId": row.get("tranId"), "note": row.get("note")}
    # Trading, commission and liquidation flows are the fills of margin.my_trades.
    detail_of = CAPITAL_FLOW_DETAIL_OF.get(flow_type.upper(), "margin.my_trades")
    return ctx.tx(f"margin_flow:{row.ident('id')}", "other", [], row.ms("timestamp"), meta=meta,
                  detail_of=detail_of,
                  description=f"Margin flow {flow_type} {meta['amount']} {meta['asset']}")


def _transfer_sides(row: Row) -> tuple[str, str]:
    if row.has("transFrom") or row.has("transTo"):
        return row.text("transFrom"), row.text("transTo")
    # Old rows carry only ROLL_IN (into margin) / ROLL_OUT (out of margin).
    margin = "ISOLATED_MARGIN" if row.has("isolatedSymbol") else "CROSS_MARGIN"
    direction = row.text("type").upper()
    if direction == "ROLL_IN":
        return "SPOT", margin
    if direction == "ROLL_OUT":
        return margin, "SPOT"
    raise RowError(row.name("transFrom"), f"missing, and type {direction} is not ROLL_IN/ROLL_OUT")


def transfers(row: Row, ctx: RowContext) -> Transaction | Skip:
    status = row.text("status")
    if status.upper() != "CONFIRMED":
        return Skip(f"status={status} (only CONFIRMED is an event)")
    asset, amount = row.text("asset"), row.dec("amount", nonneg=True)
    wallets = []
    for key, account in zip(("transFrom", "transTo"), _transfer_sides(row), strict=True):
        wallet = MARGIN_TRANSFER_ACCOUNTS.get(account.upper())
        if wallet is None:
            raise RowError(row.name(key), f"account {account} has no wallet in docs/ledger.md")
        wallets.append(wallet)
    legs = [leg(asset, -amount, wallets[0], "out"), leg(asset, amount, wallets[1], "in")]
    meta = {"type": row.get("type"), "transFrom": row.get("transFrom"), "transTo": row.get("transTo"),
            "fromSymbol": row.get("fromSymbol"), "toSymbol": row.get("toSymbol"),
            "isolatedSymbol": row.get("isolatedSymbol")}
    # Same id space as the universal transfer: the same event written twice is the same item.
    return ctx.tx(f"transfer:{row.ident('txId')}", "transfer", legs, row.ms("timestamp"), meta=meta,
                  description=f"Transfer {dstr(amount)} {asset} {wallets[0]} -> {wallets[1]}")


NORMALISERS = {
    "margin.my_trades": my_trades,
    "margin.borrow_repay": borrow_repay,
    "margin.interest": interest,
    "margin.liquidations": liquidations,
    "margin.capital_flow": capital_flow,
    "margin.transfers": transfers,
}
