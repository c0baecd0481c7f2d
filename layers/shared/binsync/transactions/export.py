"""Exports of a user's transactions: a plain CSV (one row per leg) and the Waltio import format.

Waltio (spec/binance-statement.md §9): 18 columns in a fixed order, `dd/mm/yyyy hh:mm:ss` in GMT
(Binance times are UTC), amounts as positive decimals with a dot, prices empty unless the user
set a price override, and a stable `ID Externe` so a re-import de-duplicates.

Mapping of one unified transaction (legs signed, roles in/out/fee):
- one asset in and one asset out: `Échange` (received, sent, fee);
- only assets in: `Dépôt` per asset; only assets out: `Retrait` per asset (fees ride on the
  first row);
- several assets on one side (dust, multi-asset events): one `Retrait` per asset sent and one
  `Dépôt` per asset received, labelled `Swap`, rather than inventing a split of the other side;
- transfers between the user's own wallets cancel out per asset and are not exported;
- the label comes from the kind (and the sign for futures PnL); a user annotation whose label is
  a valid Waltio label for the row's type wins, any other label goes into the description.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from binsync.model import Leg, Transaction, format_decimal, iso_ms

WALTIO_HEADER: tuple[str, ...] = (
    "Type", "Date", "Fuseau horaire", "Montant reçu", "Monnaie ou jeton reçu", "Montant envoyé",
    "Monnaie ou jeton envoyé", "Frais", "Monnaie ou jeton des frais", "Exchange / Plateforme",
    "Description", "Label", "Prix du jeton du montant envoyé", "Prix du jeton du montant recu",
    "Prix du jeton des frais", "Adresse", "Transaction hash", "ID Externe",
)

DEPOSIT_LABELS = frozenset({
    "Masternode & Staking", "Gain de produit dérivé", "Cashback", "Déstaking", "Donation", "Airdrop",
    "Fork", "Salaire", "Emprunt", "Remboursement collatéral", "Autre gain", "Mining", "ICO", "Swap",
    "Achat de crypto", "Scam", "Gain de Play2Earn", "Retrait de liquidité", "Transfert entre compte",
})
WITHDRAWAL_LABELS = frozenset({
    "Transfert entre compte", "Paiement", "Frais", "Mise en staking", "Perte de produit dérivé",
    "Donation", "Hack ou Perte", "Ajout de liquidité", "Liquidation", "Mise en collatéral",
    "Autre retrait", "Autre perte", "ICO", "NFT", "Swap",
})
EXCHANGE_LABELS = frozenset({"Achat de crypto", "Swap"})

DEPOSIT_LABEL_BY_KIND = {
    "reward": "Masternode & Staking", "interest": "Masternode & Staking", "airdrop": "Airdrop",
    "rebate": "Cashback", "mining": "Mining", "futures_pnl": "Gain de produit dérivé",
    "options": "Gain de produit dérivé", "borrow": "Emprunt", "loan": "Emprunt",
    "funding_fee": "Gain de produit dérivé",
}
WITHDRAWAL_LABEL_BY_KIND = {
    "fee": "Frais", "funding_fee": "Frais", "futures_pnl": "Perte de produit dérivé",
    "options": "Perte de produit dérivé", "liquidation": "Liquidation", "pay": "Paiement",
    "card_buy": "Paiement", "repay": "Autre retrait", "loan": "Autre retrait", "interest": "Frais",
}
EXCHANGE_LABEL_BY_KIND = {"card_buy": "Achat de crypto", "convert": "Swap", "dust": "Swap"}

TRANSACTIONS_HEADER: tuple[str, ...] = (
    "id", "time", "kind", "account", "asset", "amount", "wallet", "role", "source", "source_ref",
    "native_id", "description", "label", "note", "price_override", "price_currency",
)


@dataclass(frozen=True)
class Annotated:
    """A transaction and the user's annotation of it (dict from annotation_view, or None)."""

    tx: Transaction
    annotation: dict[str, Any] | None = None


def safe_text(value: str | None) -> str:
    """Free text (descriptions, user labels and notes) made inert for spreadsheets: a cell
    starting with = + - @ would otherwise be run as a formula (CSV injection)."""
    text = value or ""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _waltio_date(time_ms: int) -> str:
    return datetime.fromtimestamp(time_ms / 1000, tz=UTC).strftime("%d/%m/%Y %H:%M:%S")


def _amount(value: Decimal) -> str:
    return format_decimal(abs(value))


def _net(legs: Iterable[Leg]) -> dict[str, Decimal]:
    total: dict[str, Decimal] = defaultdict(Decimal)
    for leg in legs:
        total[leg.asset] += leg.amount
    return total


def _prices(annotation: dict[str, Any] | None) -> dict[str, str]:
    return {p["asset"]: str(p["price"]) for p in (annotation or {}).get("prices") or []}


def waltio_rows(items: Iterable[Annotated], platform: str = "Binance") -> Iterator[list[str]]:
    """The Waltio rows (without header) for the given transactions, in their order."""
    for item in items:
        yield from _waltio_rows_one(item, platform)


def _waltio_rows_one(item: Annotated, platform: str) -> Iterator[list[str]]:
    tx, annotation = item.tx, item.annotation
    fees = [leg for leg in tx.legs if leg.role == "fee" and leg.amount != 0]
    moving = [leg for leg in tx.legs if leg.role != "fee"]
    if tx.kind == "transfer" and all(v == 0 for v in _net(moving).values()):
        return  # between the user's own wallets: nothing for a tax tool
    received = {a: v for a, v in _net(leg for leg in moving if leg.amount > 0).items() if v}
    sent = {a: v for a, v in _net(leg for leg in moving if leg.amount < 0).items() if v}
    fee_net = {a: v for a, v in _net(fees).items() if v}
    prices = _prices(annotation)
    user_label = (annotation or {}).get("label")
    note = (annotation or {}).get("note")
    meta = tx.meta or {}
    address = str(meta.get("address") or "")
    tx_hash = str(meta.get("tx_hash") or meta.get("txId") or "")
    description = tx.description or tx.kind
    if user_label:
        description = f"{description} [{user_label}]"
    if note:
        description = f"{description} - {note}"

    rows: list[tuple[str, str | None, str | None, str | None, str | None]] = []
    # (type, received asset, sent asset, default label, label set key)
    if len(received) == 1 and len(sent) == 1:
        rows.append(("Échange", next(iter(received)), next(iter(sent)),
                     EXCHANGE_LABEL_BY_KIND.get(tx.kind), "x"))
    elif received and sent:
        rows += [("Retrait", None, a, "Swap", "w") for a in sent]
        rows += [("Dépôt", a, None, "Swap", "d") for a in received]
    else:
        rows += [("Dépôt", a, None, DEPOSIT_LABEL_BY_KIND.get(tx.kind), "d") for a in received]
        rows += [("Retrait", None, a, WITHDRAWAL_LABEL_BY_KIND.get(tx.kind), "w") for a in sent]
        if not rows and fee_net:  # a pure fee event
            for asset, value in fee_net.items():
                sent[asset] = value
                rows.append(("Retrait", None, asset, "Frais", "w"))
            fee_net = {}

    for n, (kind, in_asset, out_asset, label, label_set) in enumerate(rows, start=1):
        allowed = {"x": EXCHANGE_LABELS, "d": DEPOSIT_LABELS, "w": WITHDRAWAL_LABELS}[label_set or "x"]
        if user_label in allowed:
            label = user_label
        fee_asset, fee_value = (next(iter(fee_net.items())) if (fee_net and n == 1) else ("", None))
        yield [
            kind,
            _waltio_date(tx.time_ms),
            "GMT",
            _amount(received[in_asset]) if in_asset else "",
            in_asset or "",
            _amount(sent[out_asset]) if out_asset else "",
            out_asset or "",
            _amount(fee_value) if fee_value is not None else "",
            fee_asset,
            platform,
            safe_text(description),
            label or "",
            prices.get(out_asset, "") if out_asset else "",
            prices.get(in_asset, "") if in_asset else "",
            prices.get(fee_asset, "") if fee_asset else "",
            address,
            tx_hash,
            f"binsync-{tx.id}" + (f"-{n}" if len(rows) > 1 else ""),
        ]


def transaction_rows(items: Iterable[Annotated]) -> Iterator[list[str]]:
    """One row per leg: the plain export, lossless for amounts (decimal strings)."""
    for item in items:
        tx, annotation = item.tx, item.annotation or {}
        prices = _prices(annotation)
        currencies = {p["asset"]: p.get("currency", "") for p in annotation.get("prices") or []}
        for leg in tx.legs:
            yield [
                tx.id, iso_ms(tx.time_ms), tx.kind, tx.account, leg.asset, format_decimal(leg.amount),
                leg.wallet, leg.role, tx.source.kind, tx.source.ref, str(tx.source.native_id or ""),
                safe_text(tx.description), safe_text(annotation.get("label")),
                safe_text(annotation.get("note")),
                prices.get(leg.asset, ""), currencies.get(leg.asset, ""),
            ]


def to_csv(header: Iterable[str], rows: Iterable[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(list(header))
    writer.writerows(rows)
    return out.getvalue()


def waltio_csv(items: Iterable[Annotated]) -> str:
    return to_csv(WALTIO_HEADER, waltio_rows(items))


def transactions_csv(items: Iterable[Annotated]) -> str:
    return to_csv(TRANSACTIONS_HEADER, transaction_rows(items))
