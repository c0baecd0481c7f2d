"""One movement reported by two endpoints is one record naming both (issue 14 item 5).

A transfer between spot and margin is returned by the universal transfer history
(`wallet.universal_transfer`, `tranId`) and by the margin transfer history (`margin.transfers`,
`txId`, the same number): both normalise to the id `transfer:<id>`. Storing whichever task ran
last would make the record depend on task order and drop one source. Instead the stored body is
the normalisation of the preferred endpoint (`PRIMARY_ORDER`), and `meta.sources` lists every
API endpoint that reported it (ref, native id, raw record), sorted: the same body whatever the
order the tasks ran in, and a rerun of either task leaves it unchanged.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from binsync.model import Transaction

# Which endpoint's normalisation is the stored body when several report the same event:
# the universal transfer names both wallets in its type; the margin transfer is the other view.
PRIMARY_ORDER = ("wallet.universal_transfer", "margin.transfers")


def _rank(ref: str) -> tuple[int, str]:
    return (PRIMARY_ORDER.index(ref) if ref in PRIMARY_ORDER else len(PRIMARY_ORDER), ref)


def _source_entries(tx: Transaction) -> dict[str, dict[str, Any]]:
    listed = {s["ref"]: dict(s) for s in tx.meta.get("sources") or [] if isinstance(s, dict) and "ref" in s}
    listed[tx.source.ref] = {"ref": tx.source.ref, "native_id": tx.source.native_id, "raw": tx.source.raw}
    return listed


def merge_api_sources(stored_body: dict[str, Any] | None, tx: Transaction) -> Transaction:
    """The record to store for `tx` when `stored_body` (same id) is already stored."""
    if not stored_body or tx.source.kind != "api":
        return tx
    try:
        stored = Transaction.from_dict(stored_body)
    except (KeyError, TypeError, ValueError):
        return tx
    if stored.source.kind != "api" or (stored.source.ref == tx.source.ref and not stored.meta.get("sources")):
        return tx
    sources = {**_source_entries(stored), **_source_entries(tx)}
    if len(sources) < 2:
        return tx
    # The body of the preferred endpoint: the new one if it is the preferred, else what is stored.
    primary = tx if _rank(tx.source.ref) <= _rank(stored.source.ref) else stored
    primary_source = sources[primary.source.ref]
    meta = {k: v for k, v in primary.meta.items() if k != "sources"}
    meta["sources"] = [sources[ref] for ref in sorted(sources, key=_rank)]
    return dataclasses.replace(primary, meta=meta, source=dataclasses.replace(
        primary.source, native_id=primary_source["native_id"], raw=primary_source["raw"]))


# meta key an API card buy carries once a statement showed where its fiat was paid from
FIAT_WALLET_META = "fiat_wallet_from_statement"


def relocate_fiat(tx: Transaction, wallets: dict[str, str]) -> Transaction:
    """The API card buy `tx` with its `external` legs of each asset in `wallets` moved to the
    Binance wallet the statement debited it from (statement.merge). The card payment history says
    only "card"; the statement is Binance's own ledger of that wallet, so its wallet is kept."""
    moved = {asset: wallet for asset, wallet in wallets.items()
             if any(leg.asset == asset and leg.wallet == "external" for leg in tx.legs)}
    if tx.kind != "card_buy" or not moved:
        return tx
    legs = tuple(dataclasses.replace(leg, wallet=moved[leg.asset])
                 if leg.wallet == "external" and leg.asset in moved else leg for leg in tx.legs)
    meta = {**tx.meta, FIAT_WALLET_META: dict(sorted({**tx.meta.get(FIAT_WALLET_META, {}), **moved}.items()))}
    return dataclasses.replace(tx, legs=legs, meta=meta)


def keep_statement_wallets(stored_body: dict[str, Any] | None, tx: Transaction) -> Transaction:
    """A resync rewrites an API card buy from its raw record (fiat `external`): keep the wallet a
    merged statement proved, or the spot fiat the statement showed would be lost again."""
    if not stored_body or tx.source.kind != "api" or tx.kind != "card_buy":
        return tx
    wallets = (stored_body.get("meta") or {}).get(FIAT_WALLET_META)
    return relocate_fiat(tx, wallets) if isinstance(wallets, dict) and wallets else tx


def restore_card_wallets(tx: Transaction) -> Transaction:
    """`tx` as its API record reads without the statement that moved its fiat (the statement's
    data erased): the moved legs go back to `external`."""
    moved = tx.meta.get(FIAT_WALLET_META)
    if tx.kind != "card_buy" or not isinstance(moved, dict) or not moved:
        return tx
    legs = tuple(dataclasses.replace(leg, wallet="external") if moved.get(leg.asset) == leg.wallet else leg
                 for leg in tx.legs)
    meta = {k: v for k, v in tx.meta.items() if k != FIAT_WALLET_META}
    return dataclasses.replace(tx, legs=legs, meta=meta)
