"""User annotations (label, price overrides, note), stored apart from the synced record.

Keyed `<user_id>#<binance uid>` / transaction id, so they survive every resync (the sync never
writes this table) and survive deleting and re-adding a key of the same Binance account
(transaction ids are deterministic per account, the annotation finds its record again).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from pynamodb.exceptions import DoesNotExist

from binsync.connections.errors import InvalidValue
from binsync.storage.models import AnnotationModel, PriceOverride, TransactionModel, account_key

# Fields a PATCH may set; absent fields are kept, null clears.
FIELDS = ("label", "note", "prices")


def get_annotation(user_id: str, tx: TransactionModel) -> AnnotationModel | None:
    try:
        ann = AnnotationModel.get(account_key(user_id, tx.binance_uid), tx.tx_id)
    except DoesNotExist:
        return None
    return ann if ann.user_id == user_id else None


def refuse_foreign_prices(tx: TransactionModel, prices: list[dict[str, Any]]) -> None:
    """A price is for an asset of the transaction's legs; any other would never be used."""
    assets = {str(leg.get("asset", "")).upper() for leg in (tx.body or {}).get("legs") or []}
    for n, price in enumerate(prices):
        if str(price.get("asset", "")).upper() not in assets:
            held = ", ".join(sorted(assets)) or "none: this transaction moves no asset"
            raise InvalidValue("price_asset_not_in_transaction",
                               f"prices.{n}.asset: this transaction has no {price.get('asset')} leg "
                               f"(its assets: {held})", field=f"prices.{n}.asset")


def annotate(user_id: str, tx: TransactionModel, changes: Mapping[str, Any]) -> AnnotationModel | None:
    """Apply a partial update; an annotation left empty is deleted. Returns what is stored."""
    current = get_annotation(user_id, tx)
    label = current.label if current else None
    note = current.note if current else None
    prices = [p.as_dict() for p in current.prices] if current else []
    if "label" in changes:
        label = changes["label"] or None
    if "note" in changes:
        note = changes["note"] or None
    if "prices" in changes:
        prices = [dict(p) for p in (changes["prices"] or [])]
        refuse_foreign_prices(tx, prices)
    akey = account_key(user_id, tx.binance_uid)
    if label is None and note is None and not prices:
        if current is not None:
            current.delete()
        return None
    ann = AnnotationModel(
        akey, tx.tx_id, user_id=user_id, label=label, note=note,
        prices=[PriceOverride(asset=p["asset"], price=str(p["price"]), currency=p.get("currency", "EUR"))
                for p in prices],
        updated_at=int(time.time() * 1000),
    )
    ann.save()
    return ann


def annotation_view(ann: AnnotationModel | None) -> dict[str, Any] | None:
    if ann is None:
        return None
    return {
        "label": ann.label,
        "note": ann.note,
        "prices": [{"asset": p.asset, "price": p.price, "currency": p.currency} for p in ann.prices or []],
        "updated_at": int(ann.updated_at),
    }
