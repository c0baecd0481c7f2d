"""USDⓈ-M and COIN-M futures: the income ledger carries every balance change; fills are detail.

Futures fills move no balance (PnL and commission do, as income rows), so `*.user_trades` rows are
stored with no legs and `meta.detail_of = "<product>.income"` (docs/ledger.md).
"""

from __future__ import annotations

from collections.abc import Callable

from binsync.model import Transaction

from .base import Row, RowContext, RowError, dstr, leg
from .derived_keys import ident_or_derived

# Key of an income row recorded without `tranId` (docs/ledger.md); incomeType is already in the key.
INCOME_KEY_FIELDS = ("symbol", "asset", "income", "time", "tradeId", "info")

# incomeType -> kind (docs/ledger.md); every type spec §5.6.2 and §5.7.2 list (official page
# and SDK enum). Legs: one leg of `income` in the family's wallet (fee types with role fee).
# TRANSFER is detail: the universal transfer carries it. A type not listed here is kept as kind
# `other` with its leg, flagged `unknown_income_type`, and reported on the run as a gap.
INCOME_KINDS = {
    "REALIZED_PNL": "futures_pnl",
    "DELIVERED_SETTELMENT": "futures_pnl",   # delivery contract settlement (Binance's spelling)
    "FUNDING_FEE": "funding_fee",
    "COMMISSION": "fee",
    "POSITION_LIMIT_INCREASE_FEE": "fee",
    "OPTIONS_PREMIUM_FEE": "options",
    "OPTIONS_SETTLE_PROFIT": "options",
    "COMMISSION_REBATE": "rebate",
    "REFERRAL_KICKBACK": "rebate",
    "API_REBATE": "rebate",
    "FEE_RETURN": "rebate",
    "INSURANCE_CLEAR": "liquidation",
    "WELCOME_BONUS": "reward",
    "CONTEST_REWARD": "reward",
    "BFUSD_REWARD": "reward",
    "CROSS_COLLATERAL_TRANSFER": "loan",     # cross-collateral loan credited/debited in futures
    "INTERNAL_TRANSFER": "transfer",         # between the futures wallet and a sub-wallet of it
    "STRATEGY_UMFUTURES_TRANSFER": "transfer",  # to/from a trading-bot (strategy) wallet
    "AUTO_EXCHANGE": "convert",              # one row per asset of an auto-exchange
    "COIN_SWAP_DEPOSIT": "convert",
    "COIN_SWAP_WITHDRAW": "convert",
}
FEE_INCOME_TYPES = frozenset({"COMMISSION", "POSITION_LIMIT_INCREASE_FEE", "OPTIONS_PREMIUM_FEE"})
TRANSFER_INCOME = "TRANSFER"


def _user_trades(product: str) -> Callable[[Row, RowContext], Transaction]:
    def normalise(row: Row, ctx: RowContext) -> Transaction:
        symbol = str(row.get("symbol") or ctx.param("symbol") or "")
        if not symbol:
            raise RowError(row.name("symbol"), "missing in the row and in the request context")
        trade_id = row.ident("id")
        meta = {"symbol": symbol, "orderId": row.ident("orderId") if row.has("orderId") else None,
                "side": row.get("side"), "positionSide": row.get("positionSide"), "price": row.get("price"),
                "qty": row.get("qty"), "baseQty": row.get("baseQty"), "quoteQty": row.get("quoteQty"),
                "realizedPnl": row.get("realizedPnl"), "commission": row.get("commission"),
                "commissionAsset": row.get("commissionAsset"), "marginAsset": row.get("marginAsset"),
                "isMaker": row.get("maker"), "isBuyer": row.get("buyer")}
        return ctx.tx(f"{product}_trade:{symbol}:{trade_id}", "trade", [], row.ms("time"), meta=meta,
                      detail_of=f"{product}.income",
                      description=f"{product.upper()} fill {meta['side']} {meta['qty']} {symbol} "
                                  f"@ {meta['price']}")
    return normalise


def _income(product: str) -> Callable[[Row, RowContext], Transaction]:
    wallet = product  # usdm / coinm

    def normalise(row: Row, ctx: RowContext) -> Transaction:
        income_type = row.text("incomeType")
        # a string in some doc versions, a number in others, absent in some recorded responses
        tran_id = ident_or_derived(row, "tranId", INCOME_KEY_FIELDS)
        asset, amount = row.text("asset"), row.dec("income")
        kind = INCOME_KINDS.get(income_type.upper(), "other")
        meta = {"incomeType": income_type, "symbol": row.get("symbol"), "info": row.get("info"),
                "tradeId": row.get("tradeId"), "income": dstr(amount)}
        if income_type.upper() not in INCOME_KINDS and income_type.upper() != TRANSFER_INCOME:
            meta["unknown_income_type"] = True  # kept with its leg; a gap on the run (task_notes)
        key = f"{product}_income:{income_type}:{tran_id}"
        text = f"{product.upper()} {income_type} {dstr(amount)} {asset}"
        time_ms = row.ms("time")
        if income_type.upper() == TRANSFER_INCOME:
            return ctx.tx(key, "transfer", [], time_ms, meta=meta, detail_of="wallet.universal_transfer",
                          description=text)
        role = "fee" if income_type.upper() in FEE_INCOME_TYPES else None
        return ctx.tx(key, kind, [leg(asset, amount, wallet, role)], time_ms, meta=meta, description=text)
    return normalise


NORMALISERS = {
    "usdm.user_trades": _user_trades("usdm"),
    "usdm.income": _income("usdm"),
    "coinm.user_trades": _user_trades("coinm"),
    "coinm.income": _income("coinm"),
}
