"""Exports of a user's transactions: a plain CSV (one row per leg) and the Waltio import format.

Waltio (docs/statement-formats.md §9): the rows come from the statement package's writer
(`binsync.statement.waltio.to_waltio_rows`, the format its Waltio reader re-imports, with
`ID Externe` = the transaction id so a re-import de-duplicates); this module lays the user's
annotations over them: a label that is valid for the row's type (`Dépôt`, `Retrait`, `Échange`)
replaces the default one, any other label and the note go into the description, and price
overrides fill the three price columns. Free text is made inert for spreadsheets.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from binsync.csv_safety import safe_cell, safe_row
from binsync.model import Transaction, format_decimal, iso_ms

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


TRANSACTIONS_HEADER: tuple[str, ...] = (
    "id", "time", "kind", "account", "asset", "amount", "wallet", "role", "source", "source_ref",
    "native_id", "description", "label", "note", "price_override", "price_currency", "detail_of",
)
# A transaction without legs (the detail of a record that carries the balance change, e.g. a
# futures fill whose money moves in futures income) is one row with no asset and no amount,
# and `detail_of` names the endpoint whose rows carry its money; nothing is left out.


@dataclass(frozen=True)
class Annotated:
    """A transaction and the user's annotation of it (dict from annotation_view, or None)."""

    tx: Transaction
    annotation: dict[str, Any] | None = None


def safe_text(value: str | None) -> str:
    """Free text made inert for spreadsheets (every cell goes through `safe_cell` in `to_csv`)."""
    return safe_cell(value or "")


def _prices(annotation: dict[str, Any] | None) -> dict[str, str]:
    return {p["asset"]: str(p["price"]) for p in (annotation or {}).get("prices") or []}


def waltio_rows(items: Iterable[Annotated]) -> Iterator[list[str]]:
    """The Waltio rows (without header), in order: the statement package's writer (the same
    format its Waltio reader re-imports, `ID Externe` = transaction id), with the user's
    annotations laid over it."""
    from binsync.statement.waltio import to_waltio_rows

    for item in items:
        for row in to_waltio_rows([item.tx]):
            yield _ordered(_annotate_row(row, item))


def _ordered(row: dict[str, str]) -> list[str]:
    return [row.get(column, "") for column in WALTIO_HEADER]


def _annotate_row(row: dict[str, str], item: Annotated) -> dict[str, str]:
    annotation = item.annotation or {}
    prices = _prices(annotation)
    label, note = annotation.get("label"), annotation.get("note")
    allowed = {"Échange": EXCHANGE_LABELS, "Dépôt": DEPOSIT_LABELS, "Retrait": WITHDRAWAL_LABELS}.get(
        row.get("Type", ""), frozenset())
    description = row.get("Description", "")
    if label in allowed:
        row["Label"] = label
    elif label:
        description = f"{description} [{label}]"
    if note:
        description = f"{description} - {note}"
    row["Description"] = safe_text(description)
    for amount_asset, price_column in (("Monnaie ou jeton envoyé", "Prix du jeton du montant envoyé"),
                                       ("Monnaie ou jeton reçu", "Prix du jeton du montant recu"),
                                       ("Monnaie ou jeton des frais", "Prix du jeton des frais")):
        asset = row.get(amount_asset)
        if asset and asset in prices:
            row[price_column] = prices[asset]
    return row


def transaction_rows(items: Iterable[Annotated]) -> Iterator[list[str]]:
    """One row per leg: the plain export, lossless for amounts (decimal strings)."""
    for item in items:
        tx, annotation = item.tx, item.annotation or {}
        prices = _prices(annotation)
        currencies = {p["asset"]: p.get("currency", "") for p in annotation.get("prices") or []}
        detail_of = str((tx.meta or {}).get("detail_of") or ("" if tx.legs else "no balance change"))
        for leg in tx.legs or [None]:
            yield [
                tx.id, iso_ms(tx.time_ms), tx.kind, tx.account, leg.asset if leg else "",
                format_decimal(leg.amount) if leg else "", leg.wallet if leg else "", leg.role if leg else "",
                tx.source.kind, tx.source.ref, str(tx.source.native_id or ""),
                safe_text(tx.description), safe_text(annotation.get("label")),
                safe_text(annotation.get("note")),
                prices.get(leg.asset, "") if leg else "", currencies.get(leg.asset, "") if leg else "",
                detail_of,
            ]


def to_csv(header: Iterable[str], rows: Iterable[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(list(header))
    writer.writerows(safe_row(row) for row in rows)
    return out.getvalue()


@dataclass
class Omitted:
    """What an export format cannot carry: transactions with no row, counted with the reason."""

    count: int = 0
    reasons: dict[str, int] | None = None

    def add(self, reason: str) -> None:
        self.count += 1
        self.reasons = self.reasons or {}
        self.reasons[reason] = self.reasons.get(reason, 0) + 1

    def header(self) -> str:
        """`41 (futures.income detail: 30; no balance change: 11)` for the X-Binsync-Omitted header."""
        parts = "; ".join(f"{reason}: {n}" for reason, n in sorted((self.reasons or {}).items()))
        return f"{self.count} ({parts})" if self.count else "0"


def omission_reason(tx: Transaction) -> str:
    detail_of = (tx.meta or {}).get("detail_of")
    return f"detail of {detail_of}, whose rows carry the money" if detail_of else "no balance change"


def waltio_csv(items: Iterable[Annotated], omitted: Omitted | None = None) -> str:
    """Waltio has a row only for a balance change: a transaction without one (a detail record,
    a zero-amount event) is counted in `omitted` with its reason instead of vanishing."""
    def counted(items: Iterable[Annotated]) -> Iterator[list[str]]:
        for item in items:
            rows = list(waltio_rows([item]))
            if not rows and omitted is not None:
                omitted.add(omission_reason(item.tx))
            yield from rows

    return to_csv(WALTIO_HEADER, counted(items))


def transactions_csv(items: Iterable[Annotated]) -> str:
    return to_csv(TRANSACTIONS_HEADER, transaction_rows(items))
