"""Stable-coin auto-convert transfers (`wallet.convert_transfer`, spec §5.4.6), e.g. BUSD -> USDC.

NOT in docs/ledger.md (the catalogue marks the endpoint unplanned: likely retired with BUSD). It is
registered so that a planned task never fails on an unknown endpoint; the legs follow the shape of
a convert: −deductedAmount deductedAsset, +targetAmount targetAsset, in spot (accountType MAIN) or
funding (CARD). Native key `convert_transfer:{tranId}`. Only status `S` (success) is an event.
"""

from __future__ import annotations

from binsync.model import Transaction

from .base import Row, RowContext, RowError, Skip, dstr, leg

ACCOUNT_WALLETS = {"MAIN": "spot", "CARD": "funding"}


def convert_transfer(row: Row, ctx: RowContext) -> Transaction | Skip:
    status = row.text("status")
    if status.upper() not in ("S", "SUCCESS"):
        return Skip(f"status={status} (only S, success, is an event)")
    account = row.text("accountType", default="MAIN").upper()
    wallet = ACCOUNT_WALLETS.get(account)
    if wallet is None:
        raise RowError(row.name("accountType"), f"unknown account type {account}")
    source, target = row.text("deductedAsset"), row.text("targetAsset")
    spent, received = row.dec("deductedAmount", nonneg=True), row.dec("targetAmount", nonneg=True)
    legs = [leg(source, -spent, wallet, "out"), leg(target, received, wallet, "in")]
    return ctx.tx(f"convert_transfer:{row.ident('tranId')}", "convert", legs, row.ms("time"),
                  meta={"type": row.get("type"), "accountType": account},
                  description=f"Auto-convert {dstr(spent)} {source} to {dstr(received)} {target}")


NORMALISERS = {"wallet.convert_transfer": convert_transfer}
