"""Transfers between a master account and its sub-accounts, read with the master's key (spec §5.13).

Each request names one sub-account (`fromEmail` or `toEmail`), so a row's other party is the
master or another sub-account. The normaliser tells them apart with the sub-account list the
plan discovered (context `sub_accounts`): the party that is not a sub-account is the master.
- master -> sub: the asset leaves the master's wallet (−qty) for the sub-account (`external`);
- sub -> master: the asset arrives (+qty) from the sub-account;
- sub -> sub: no balance of this account moves: a record with no legs (it is still the one
  record Binance returned, and both directions' requests return it: one id, `sub_transfer:{tranId}`,
  `sub_universal:{tranId}` for the universal history).
A row whose parties are both unknown, or read without the sub-account list, is rejected (named),
never booked on a guess. Only status SUCCESS is an event.

Universal transfers (`sub-account/universalTransfer`) carry the wallets: `fromAccountType` /
`toAccountType` name the master's wallet; the spot history is spot to spot; the futures history
(`sub-account/futures/internalTransfer`) is futures to futures in the family its request's
`futuresType` names (1 USD-M, 2 COIN-M), which the rows do not repeat.
"""

from __future__ import annotations

from collections.abc import Iterable

from binsync.model import Transaction

from .base import Row, RowContext, RowError, Skip, dstr, leg

# sub-account/universalTransfer account types -> binsync wallets (spec §5.13 sample, [SDK] enum)
ACCOUNT_WALLETS = {
    "SPOT": "spot", "USDT_FUTURE": "usdm", "COIN_FUTURE": "coinm", "MARGIN": "margin_cross",
    "ISOLATED_MARGIN": "margin_isolated", "ALPHA": "spot",
}


def _subs(ctx: RowContext) -> set[str]:
    subs = ctx.context.get("sub_accounts")
    if not isinstance(subs, Iterable) or isinstance(subs, str):
        raise RowError("sub_accounts", "the account's sub-account list is not known: the master's side "
                                       "of the transfer cannot be told")
    return {str(s).lower() for s in subs}


def _transfer(row: Row, ctx: RowContext, *, prefix: str, src: str, dst: str, qty_field: str,
              time_field: str, src_wallet: str, dst_wallet: str) -> Transaction | Skip:
    status = row.text("status", default="SUCCESS")
    if status.upper() != "SUCCESS":
        return Skip(f"status={status} (only SUCCESS is an event)")
    subs = _subs(ctx)
    sender, receiver = row.text(src), row.text(dst)
    asset, qty = row.text("asset"), row.dec(qty_field, nonneg=True)
    key = f"{prefix}:{row.ident('tranId')}"
    meta = {"from": sender, "to": receiver, "fromAccountType": row.get("fromAccountType"),
            "toAccountType": row.get("toAccountType")}
    from_sub, to_sub = sender.lower() in subs, receiver.lower() in subs
    if from_sub and to_sub:
        return ctx.tx(key, "transfer", [], row.ms(time_field), meta={**meta, "between": "sub_accounts"},
                      description=f"Sub-account transfer {dstr(qty)} {asset} {sender} -> {receiver} "
                                  "(between two sub-accounts)")
    if not from_sub and not to_sub:
        raise RowError(row.name(src), f"neither {sender} nor {receiver} is a listed sub-account")
    if to_sub:  # the master sends
        legs = [leg(asset, -qty, src_wallet, "out"), leg(asset, qty, "external", "in")]
        text = f"Transfer {dstr(qty)} {asset} to sub-account {receiver}"
    else:
        legs = [leg(asset, -qty, "external", "out"), leg(asset, qty, dst_wallet, "in")]
        text = f"Transfer {dstr(qty)} {asset} from sub-account {sender}"
    return ctx.tx(key, "transfer", legs, row.ms(time_field), meta=meta, description=text)


def spot_transfers(row: Row, ctx: RowContext) -> Transaction | Skip:
    return _transfer(row, ctx, prefix="sub_transfer", src="from", dst="to", qty_field="qty",
                     time_field="time", src_wallet="spot", dst_wallet="spot")


def _wallet(row: Row, field: str) -> str:
    account = row.text(field, default="SPOT").upper()
    wallet = ACCOUNT_WALLETS.get(account)
    if wallet is None:
        raise RowError(row.name(field), f"unknown account type {account}")
    return wallet


def universal_transfers(row: Row, ctx: RowContext) -> Transaction | Skip:
    # Its own key prefix: the two histories are separate systems whose tranIds may collide.
    return _transfer(row, ctx, prefix="sub_universal", src="fromEmail", dst="toEmail", qty_field="amount",
                     time_field="createTimeStamp",
                     src_wallet=_wallet(row, "fromAccountType"), dst_wallet=_wallet(row, "toAccountType"))


# futures/internalTransfer `futuresType` -> the master's wallet (catalogue extra `futures_types`)
FUTURES_WALLETS = {"1": "usdm", "2": "coinm"}


def futures_transfers(row: Row, ctx: RowContext) -> Transaction | Skip:
    # The rows name no wallet: the request's futuresType (one per task) is the master's side.
    futures_type = str(ctx.param("futuresType") or "")
    wallet = FUTURES_WALLETS.get(futures_type)
    if wallet is None:
        raise RowError("futuresType", f"the request's futuresType {futures_type or '(none)'} names no "
                                      "futures wallet (1 USD-M, 2 COIN-M)")
    # Its own key prefix: a third history whose tranIds are not known to be disjoint from the others.
    return _transfer(row, ctx, prefix="sub_futures", src="from", dst="to", qty_field="qty", time_field="time",
                     src_wallet=wallet, dst_wallet=wallet)


NORMALISERS = {
    "sub_account.spot_transfers": spot_transfers,
    "sub_account.universal_transfers": universal_transfers,
    "sub_account.futures_transfers": futures_transfers,
}
