"""Wallet records: crypto deposits and withdrawals, asset dividends, universal transfers."""

from __future__ import annotations

from decimal import Decimal

from binsync.model import Leg, Transaction

from .base import Row, RowContext, RowError, Skip, dstr, fee_legs, leg
from .derived_keys import ident_or_derived

# Key of a deposit recorded without `id` (docs/ledger.md): what identifies it on chain and in time.
DEPOSIT_KEY_FIELDS = ("txId", "coin", "network", "address", "addressTag", "amount", "insertTime")

# walletType coding of the capital endpoints (spec §5.3.2: "1: 资金钱包 0:现货钱包").
CAPITAL_WALLETS = {0: "spot", 1: "funding"}

# Universal transfer account names (the two halves of `type`, spec §5.3.3) -> our wallets.
# PORTFOLIO_MARGIN has no wallet in docs/ledger.md: such rows are rejected, never guessed.
TRANSFER_ACCOUNTS = {
    "MAIN": "spot", "UMFUTURE": "usdm", "CMFUTURE": "coinm", "MARGIN": "margin_cross",
    "ISOLATEDMARGIN": "margin_isolated", "FUNDING": "funding", "OPTION": "options",
}
_ACCOUNT_TOKENS = ("ISOLATEDMARGIN", "PORTFOLIO_MARGIN", *TRANSFER_ACCOUNTS)


def status_code(row: Row, key: str = "status") -> int:
    value = row.get(key)
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        raise RowError(row.name(key), f"not a status code: {value!r}") from None


def capital_wallet(row: Row) -> str:
    """spot/funding from walletType; records older than the funding wallet have none: spot."""
    if not row.has("walletType"):
        return "spot"
    code = status_code(row, "walletType")
    if code not in CAPITAL_WALLETS:
        raise RowError(row.name("walletType"), f"unknown wallet type {code}")
    return CAPITAL_WALLETS[code]


def deposits(row: Row, ctx: RowContext) -> Transaction | Skip:
    status = status_code(row)
    if status != 1:
        return Skip(f"status={status} (only 1, success, is an event)")
    coin, amount, wallet = row.text("coin"), row.dec("amount", nonneg=True), capital_wallet(row)
    meta = {
        "coin": coin, "network": row.get("network"), "address": row.get("address"),
        "addressTag": row.get("addressTag"), "txId": row.get("txId"),
        "transferType": row.get("transferType"), "internal": row.get("transferType") == 1,
        "completeTime": row.ms("completeTime") if row.has("completeTime") else None,
    }
    # insertTime is when Binance credited the balance; completeTime (unlock) can be later.
    deposit_id = ident_or_derived(row, "id", DEPOSIT_KEY_FIELDS)
    return ctx.tx(f"deposit:{deposit_id}", "deposit", [leg(coin, amount, wallet)],
                  row.first_ms("insertTime", "completeTime"), meta=meta,
                  description=f"Deposit {dstr(amount)} {coin}")


def withdrawals(row: Row, ctx: RowContext) -> Transaction | Skip:
    status = status_code(row)
    if status != 6:
        return Skip(f"status={status} (only 6, completed, is an event)")
    coin, wallet = row.text("coin"), capital_wallet(row)
    amount = row.dec("amount", nonneg=True)
    fee = row.dec("transactionFee", nonneg=True, default=Decimal(0))
    # docs/ledger.md choice: `amount` leaves to the chain and the fee is on top of it.
    legs = [leg(coin, -amount, wallet, "out"), *fee_legs(coin, fee, wallet)]
    meta = {
        "coin": coin, "network": row.get("network"), "address": row.get("address"),
        "addressTag": row.get("addressTag"), "txId": row.get("txId"), "fee": dstr(fee),
        "withdrawOrderId": row.get("withdrawOrderId"), "transferType": row.get("transferType"),
        "internal": row.get("transferType") == 1, "info": row.get("info"),
        "applyTime": row.ms("applyTime") if row.has("applyTime") else None,
    }
    return ctx.tx(f"withdrawal:{row.ident('id')}", "withdrawal", legs,
                  row.first_ms("completeTime", "applyTime"), meta=meta,
                  description=f"Withdraw {dstr(amount)} {coin} (fee {dstr(fee)})")


_AIRDROP_WORDS = ("airdrop", "distribution", "fork", "megadrop", "hodler")


def dividend_kind(en_info: str) -> str:
    """enInfo is free text (spec §5.3.5): token distributions are airdrops, the rest rewards."""
    text = en_info.lower()
    return "airdrop" if any(word in text for word in _AIRDROP_WORDS) else "reward"


def dividends(row: Row, ctx: RowContext) -> Transaction:
    asset, amount = row.text("asset"), row.dec("amount", nonneg=True)
    direction = status_code(row, "direction") if row.has("direction") else 1  # older rows lack it
    if direction not in (1, -1):
        raise RowError(row.name("direction"), f"not 1 or -1: {direction}")
    en_info = row.text("enInfo", default="")
    meta = {"enInfo": en_info, "tranId": row.ident("tranId") if row.has("tranId") else None,
            "direction": direction}
    return ctx.tx(f"dividend:{row.ident('id')}", dividend_kind(en_info),
                  [leg(asset, direction * amount, "spot")], row.ms("divTime"), meta=meta,
                  description=f"{en_info or 'Distribution'}: {dstr(direction * amount)} {asset}")


def split_transfer_type(value: str) -> tuple[str, str]:
    """MAIN_UMFUTURE -> (MAIN, UMFUTURE); account names may contain '_' (PORTFOLIO_MARGIN)."""
    for token in _ACCOUNT_TOKENS:
        if value.startswith(token + "_") and value[len(token) + 1:] in _ACCOUNT_TOKENS:
            return token, value[len(token) + 1:]
    raise ValueError(value)


def transfer_legs(row: Row, asset: str, amount: Decimal, source: str, target: str,
                  field_name: str) -> list[Leg]:
    wallets = []
    for account in (source, target):
        wallet = TRANSFER_ACCOUNTS.get(account)
        if wallet is None:
            raise RowError(row.name(field_name), f"account {account} has no wallet in docs/ledger.md")
        wallets.append(wallet)
    return [leg(asset, -amount, wallets[0], "out"), leg(asset, amount, wallets[1], "in")]


def universal_transfer(row: Row, ctx: RowContext) -> Transaction | Skip:
    skip = _confirmed(row)
    if skip:
        return skip
    type_ = str(row.get("type") or ctx.param("type") or "")
    if not type_:
        raise RowError(row.name("type"), "missing in the row and in the request context")
    try:
        source, target = split_transfer_type(type_)
    except ValueError:
        raise RowError(row.name("type"), f"unknown transfer type {type_}") from None
    asset, amount = row.text("asset"), row.dec("amount", nonneg=True)
    legs = transfer_legs(row, asset, amount, source, target, "type")
    meta = {"type": type_, "fromSymbol": row.get("fromSymbol") or ctx.param("fromSymbol"),
            "toSymbol": row.get("toSymbol") or ctx.param("toSymbol")}
    return ctx.tx(f"transfer:{row.ident('tranId')}", "transfer", legs, row.ms("timestamp"), meta=meta,
                  description=f"Transfer {dstr(amount)} {asset} {legs[0].wallet} -> {legs[1].wallet}")


def _confirmed(row: Row) -> Skip | None:
    status = row.text("status")
    if status.upper() != "CONFIRMED":
        return Skip(f"status={status} (only CONFIRMED is an event)")
    return None


NORMALISERS = {
    "wallet.deposits": deposits,
    "wallet.withdrawals": withdrawals,
    "wallet.dividends": dividends,
    "wallet.universal_transfer": universal_transfer,
}
