"""Dust conversions (`wallet.dust`): one transaction per conversion (`userAssetDribblets` entry).

Each detail is one small balance converted: −amount fromAsset (out), +(transferedAmount +
serviceChargeAmount) BNB (in), −serviceChargeAmount BNB (fee), so the BNB legs net to
+totalTransferedAmount (docs/ledger.md). A malformed detail rejects the whole conversion, since
half a conversion would break conservation.
"""

from __future__ import annotations

from decimal import Decimal

from binsync.model import Transaction

from .base import Row, RowContext, RowError, dstr, fee_legs, leg

ACCOUNT_WALLETS = {"SPOT": "spot", "MARGIN": "margin_cross"}


def dribblet(row: Row, ctx: RowContext) -> Transaction:
    # The request's accountType; the API's documented default is SPOT (spec §5.3.4).
    account = str(ctx.param("accountType") or "SPOT").upper()
    wallet = ACCOUNT_WALLETS.get(account)
    if wallet is None:
        raise RowError("accountType", f"unknown dust account type {account} in the request context")
    details = row.items("userAssetDribbletDetails")
    if not details:
        raise RowError(row.name("userAssetDribbletDetails"), "empty: a conversion without details")
    legs = []
    received = Decimal(0)
    assets = []
    for detail in details:
        target = detail.text("targetAsset", default="BNB")
        from_asset = detail.text("fromAsset")
        amount = detail.dec("amount", nonneg=True)
        transferred = detail.dec("transferedAmount", nonneg=True)
        charge = detail.dec("serviceChargeAmount", nonneg=True, default=Decimal(0))
        legs.append(leg(from_asset, -amount, wallet, "out"))
        legs.append(leg(target, transferred + charge, wallet, "in"))
        legs.extend(fee_legs(target, charge, wallet))
        received += transferred
        assets.append(from_asset)
    meta = {
        "accountType": account, "assets": assets,
        "totalTransferedAmount": dstr(row.dec("totalTransferedAmount")) if row.has("totalTransferedAmount")
        else dstr(received),
        "totalServiceChargeAmount": dstr(row.dec("totalServiceChargeAmount"))
        if row.has("totalServiceChargeAmount") else None,
        "detailTransIds": [d.ident("transId") for d in details if d.has("transId")],
    }
    time_ms = row.ms("operateTime") if row.has("operateTime") else details[0].ms("operateTime")
    return ctx.tx(f"dust:{row.ident('transId')}", "dust", legs, time_ms, meta=meta,
                  description=f"Convert dust ({', '.join(assets)}) to {dstr(received)} BNB")


NORMALISERS = {"wallet.dust": dribblet}
