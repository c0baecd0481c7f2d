"""The Waltio import format (spec/binance-statement.md §9): read as an input, written as an export.

Layout: 18 columns with French headers, in this order (`WALTIO_HEADER`); dates
`dd/mm/yyyy hh:mm:ss` in the zone of `Fuseau horaire` (`GMT`, `GMT+1:00`, `GMT-3:30`...); numbers
with `.` or a decimal comma; `Type` is `Dépôt`, `Échange` or `Retrait`. The 14-column subset
(no time zone, address, hash, external id) is read too. XLSX files (`Vos données` sheet) go
through the same reader as statements.

Reading: one row is one transaction (received leg `in`, sent leg `out`, fee leg `fee`, all in
wallet `spot`: Waltio has no wallets), except rows binsync exported itself, whose `ID Externe`
is `<transaction id>` or `<transaction id>-<n>`: consecutive rows of one id are joined back into
that transaction and keep its id, so re-importing an export merges instead of duplicating.

Writing (`to_waltio_rows`): amounts are netted per asset across wallets (Waltio does not see
Binance's internal wallets), so an internal transfer writes nothing; one received and one sent
asset is an `Échange`, anything else is `Dépôt`/`Retrait` rows labelled `Swap` (dust batches) or
by kind (§9.3 labels). The first row carries the fee; more fee assets become `Retrait`/`Frais`
rows. `ID Externe` is the transaction id so Waltio de-duplicates re-imports. Prices are left
empty (Waltio prices transactions itself).
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import IO, TYPE_CHECKING, Any

from binsync.csv_safety import safe_cell
from binsync.model import Leg, Source, Transaction, format_decimal, transaction_id
from binsync.statement import limits

if TYPE_CHECKING:
    from binsync.statement.parser import StatementParser
    from binsync.statement.reader import Table

WALTIO_HEADER: tuple[str, ...] = (
    "Type", "Date", "Fuseau horaire", "Montant reçu", "Monnaie ou jeton reçu", "Montant envoyé",
    "Monnaie ou jeton envoyé", "Frais", "Monnaie ou jeton des frais", "Exchange / Plateforme",
    "Description", "Label", "Prix du jeton du montant envoyé", "Prix du jeton du montant recu",
    "Prix du jeton des frais", "Adresse", "Transaction hash", "ID Externe",
)
_KEYS: tuple[str, ...] = (
    "type", "date", "tz", "received", "received_coin", "sent", "sent_coin", "fee", "fee_coin",
    "platform", "description", "label", "price_sent", "price_received", "price_fee", "address",
    "tx_hash", "external_id",
)

DEPOSIT, TRADE, WITHDRAWAL = "Dépôt", "Échange", "Retrait"


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.strip().lower())
    return " ".join("".join(c for c in text if not unicodedata.combining(c)).split())


_HEADER_INDEX = {_fold(h): k for h, k in zip(WALTIO_HEADER, _KEYS, strict=True)}
_HEADER_INDEX[_fold("Prix du jeton du montant reçu")] = "price_received"


def waltio_columns(header: list[str]) -> dict[str, int]:
    columns: dict[str, int] = {}
    for index, cell in enumerate(header):
        key = _HEADER_INDEX.get(_fold(cell))
        if key and key not in columns:
            columns[key] = index
    return columns


# --- labels (spec §9.3) ------------------------------------------------------------------------
_DEPOSIT_LABEL_KIND = {
    "masternode & staking": "reward", "gain de produit derive": "futures_pnl", "cashback": "rebate",
    "destaking": "transfer", "donation": "deposit", "airdrop": "airdrop", "fork": "airdrop",
    "salaire": "deposit", "emprunt": "borrow", "remboursement collateral": "loan",
    "autre gain": "other", "mining": "mining", "ico": "trade", "swap": "trade",
    "achat de crypto": "card_buy", "scam": "other", "gain de play2earn": "reward",
    "retrait de liquidite": "transfer", "transfert entre compte": "deposit",
}
_WITHDRAWAL_LABEL_KIND = {
    "transfert entre compte": "withdrawal", "paiement": "pay", "frais": "fee",
    "mise en staking": "transfer", "perte de produit derive": "futures_pnl", "donation": "withdrawal",
    "hack ou perte": "other", "ajout de liquidite": "transfer", "liquidation": "liquidation",
    "mise en collateral": "loan", "autre retrait": "withdrawal", "autre perte": "other", "ico": "trade",
    "nft": "trade", "swap": "trade",
}
_KIND_DEPOSIT_LABEL = {
    "reward": "Masternode & Staking", "interest": "Masternode & Staking", "airdrop": "Airdrop",
    "rebate": "Cashback", "futures_pnl": "Gain de produit dérivé", "funding_fee": "Gain de produit dérivé",
    "options": "Gain de produit dérivé", "mining": "Mining", "borrow": "Emprunt",
    "card_buy": "Achat de crypto", "p2p": "Achat de crypto", "transfer": "Transfert entre compte",
    "loan": "Remboursement collatéral", "other": "Autre gain", "pay": "Autre gain",
}
_KIND_WITHDRAWAL_LABEL = {
    "fee": "Frais", "funding_fee": "Frais", "futures_pnl": "Perte de produit dérivé",
    "options": "Perte de produit dérivé", "pay": "Paiement", "liquidation": "Liquidation",
    "transfer": "Transfert entre compte", "loan": "Mise en collatéral", "repay": "Autre retrait",
    "other": "Autre perte", "p2p": "Autre retrait",
}

_OWN_ID = re.compile(r"^([0-9a-f]{32})(?:-(\d+))?$")


# --- reading -----------------------------------------------------------------------------------
def _tz_offset(text: str) -> int:
    """Seconds east of UTC of `GMT`, `GMT+1:00`, `GMT-3:30`, `UTC+2`."""
    t = text.strip().upper().replace("UTC", "GMT")
    if t in ("", "GMT", "Z"):
        return 0
    if not t.startswith("GMT") or len(t) < 5 or t[3] not in "+-":
        raise ValueError(f"bad Fuseau horaire {text!r}")
    sign = 1 if t[3] == "+" else -1
    hours, _, minutes = t[4:].partition(":")
    return sign * (int(hours) * 3600 + int(minutes or 0) * 60)


def _amount(text: str, column: str) -> Decimal | None:
    from binsync.statement.parser import parse_amount

    if not text or not text.strip():
        return None
    try:
        value = abs(parse_amount(text.replace("\u202f", "")))
    except ValueError:
        raise ValueError(f"bad number {text!r} in {column}") from None
    return value


def iter_waltio_transactions(table: Table, parser: StatementParser) -> Iterator[Transaction]:
    from binsync.statement.parser import parse_time

    stats = parser.stats
    cols = table.columns
    account = parser.uid or "unknown"
    stats.uid = account
    missing = [k for k in ("type", "date") if k not in cols]
    if missing:
        from binsync.statement.reader import FormatError

        raise FormatError(f"Waltio file without column(s) {', '.join(missing)}")
    seen: dict[str, int] = {}
    pending: Transaction | None = None

    def cell(cells: list[str], key: str) -> str:
        index = cols.get(key)
        return cells[index].strip() if index is not None and index < len(cells) else ""

    for line, cells in table.rows:
        stats.rows += 1
        try:
            kind_text = cell(cells, "type")
            folded = _fold(kind_text)
            sec = parse_time(cell(cells, "date")) - _tz_offset(cell(cells, "tz"))
            if limits.time_error(sec, cell(cells, "date")):  # as statement rows: refused by name
                raise ValueError(f"Date: {limits.time_error(sec, cell(cells, 'date'))}")
            received = _amount(cell(cells, "received"), "Montant reçu")
            sent = _amount(cell(cells, "sent"), "Montant envoyé")
            fee = _amount(cell(cells, "fee"), "Frais")
            legs: list[Leg] = []
            if received:
                coin = cell(cells, "received_coin")
                if not coin:
                    raise ValueError("Montant reçu without Monnaie ou jeton reçu")
                legs.append(Leg(coin, received, "spot", "in"))
            if sent:
                coin = cell(cells, "sent_coin")
                if not coin:
                    raise ValueError("Montant envoyé without Monnaie ou jeton envoyé")
                legs.append(Leg(coin, -sent, "spot", "out"))
            if fee:
                coin = cell(cells, "fee_coin")
                if not coin:
                    raise ValueError("Frais without Monnaie ou jeton des frais")
                legs.append(Leg(coin, -fee, "spot", "fee"))
            label = cell(cells, "label")
            if folded == _fold(DEPOSIT):
                kind = _DEPOSIT_LABEL_KIND.get(_fold(label), "deposit")
            elif folded == _fold(WITHDRAWAL):
                kind = _WITHDRAWAL_LABEL_KIND.get(_fold(label), "withdrawal")
            elif folded == _fold(TRADE):
                kind = "trade"
            else:
                raise ValueError(f"bad Type {kind_text!r} (expected Dépôt, Échange or Retrait)")
        except (ValueError, IndexError) as exc:
            stats.reject(line, str(exc))
            continue
        stats.accepted += 1
        for leg in legs:
            key = (leg.asset, leg.wallet)
            stats.sums[key] = stats.sums.get(key, Decimal(0)) + leg.amount
        if stats.first_sec is None or sec < stats.first_sec:
            stats.first_sec = sec
        if stats.last_sec is None or sec > stats.last_sec:
            stats.last_sec = sec
        external = cell(cells, "external_id")
        own = _OWN_ID.match(external)
        raw = dict(zip(WALTIO_HEADER, [cell(cells, k) for k in _KEYS], strict=True))
        if own and pending is not None and pending.id == own.group(1):
            pending = Transaction(pending.id, pending.account, pending.time_ms, pending.kind,
                                  pending.legs + tuple(legs), pending.source, pending.description,
                                  {**pending.meta, "lines": [*pending.meta["lines"], line]})
            continue
        if pending is not None:
            yield pending
            pending = None
        if own:
            tx_id = own.group(1)
        else:
            ident = external or "|".join([str(sec), kind_text, *(cell(cells, k) for k in (
                "received", "received_coin", "sent", "sent_coin", "fee", "fee_coin")), label])
            occurrence = seen.get(ident, 0)
            seen[ident] = occurrence + 1
            tx_id = transaction_id(account, "statement", f"waltio|{ident}|{occurrence}")
        meta: dict[str, Any] = {"lines": [line], "format": "waltio"}
        for key in ("label", "platform", "address", "tx_hash", "external_id",
                    "price_sent", "price_received", "price_fee"):
            if value := cell(cells, key):
                meta[key] = value
        source = Source("statement", parser.source_ref, external or None, raw if parser.keep_raw else None)
        tx = Transaction(tx_id, account, sec * 1000, kind, tuple(legs), source,
                         cell(cells, "description") or kind_text, meta)
        if own:
            pending = tx  # more rows of the same exported transaction may follow
        else:
            yield tx
    if pending is not None:
        yield pending


# --- writing -----------------------------------------------------------------------------------
def _net(tx: Transaction) -> tuple[dict[str, Decimal], dict[str, Decimal]]:
    """(non-fee net per asset across wallets, fee total per asset); `external` legs excluded."""
    net: dict[str, Decimal] = {}
    fees: dict[str, Decimal] = {}
    for leg in tx.legs:
        if leg.wallet == "external":
            continue
        target = fees if leg.role == "fee" else net
        target[leg.asset] = target.get(leg.asset, Decimal(0)) + leg.amount
    return {a: v for a, v in net.items() if v}, {a: v for a, v in fees.items() if v}


def _row(kind: str, tx: Transaction, label: str = "", received: tuple[str, Decimal] | None = None,
         sent: tuple[str, Decimal] | None = None, fee: tuple[str, Decimal] | None = None,
         n: int = 0) -> dict[str, str]:
    when = datetime.fromtimestamp(tx.time_ms // 1000, tz=UTC)
    meta = tx.meta or {}
    return {
        "Type": kind,
        "Date": when.strftime("%d/%m/%Y %H:%M:%S"),
        "Fuseau horaire": "GMT",
        "Montant reçu": format_decimal(received[1]) if received else "",
        "Monnaie ou jeton reçu": received[0] if received else "",
        "Montant envoyé": format_decimal(sent[1]) if sent else "",
        "Monnaie ou jeton envoyé": sent[0] if sent else "",
        "Frais": format_decimal(fee[1]) if fee else "",
        "Monnaie ou jeton des frais": fee[0] if fee else "",
        "Exchange / Plateforme": "Binance",
        "Description": tx.description or tx.kind,
        "Label": label,
        "Prix du jeton du montant envoyé": "",
        "Prix du jeton du montant recu": "",
        "Prix du jeton des frais": "",
        "Adresse": str(meta.get("address") or ""),
        "Transaction hash": str(meta.get("tx_hash") or meta.get("txId") or ""),
        "ID Externe": tx.id if n == 0 else f"{tx.id}-{n}",
    }


def to_waltio_rows(transactions: Iterable[Transaction]) -> Iterator[dict[str, str]]:
    """Waltio rows (dicts keyed by `WALTIO_HEADER`) for unified transactions, in input order."""
    for tx in transactions:
        net, fees = _net(tx)
        ins = [(a, v) for a, v in net.items() if v > 0]
        outs = [(a, -v) for a, v in net.items() if v < 0]
        fee_list = [(a, -v) for a, v in fees.items() if v < 0]
        ins += [(a, v) for a, v in fees.items() if v > 0]  # a refunded fee is received
        rows: list[dict[str, str]] = []
        first_fee = fee_list[0] if fee_list else None
        if len(ins) == 1 and len(outs) == 1:
            rows.append(_row(TRADE, tx, "Swap" if tx.kind in ("convert", "dust") else "",
                             received=ins[0], sent=outs[0], fee=first_fee))
        else:
            swap = bool(ins) and bool(outs)
            for asset, amount in ins:
                label = "Swap" if swap else _KIND_DEPOSIT_LABEL.get(tx.kind, "")
                rows.append(_row(DEPOSIT, tx, label, received=(asset, amount)))
            for asset, amount in outs:
                label = "Swap" if swap else _KIND_WITHDRAWAL_LABEL.get(tx.kind, "")
                rows.append(_row(WITHDRAWAL, tx, label, sent=(asset, amount)))
            if rows and first_fee:
                rows[0]["Frais"] = format_decimal(first_fee[1])
                rows[0]["Monnaie ou jeton des frais"] = first_fee[0]
            elif first_fee:  # a transaction made only of a fee
                rows.append(_row(WITHDRAWAL, tx, "Frais", sent=first_fee))
        for asset, amount in fee_list[1:]:
            rows.append(_row(WITHDRAWAL, tx, "Frais", sent=(asset, amount)))
        for n, row in enumerate(rows):
            row["ID Externe"] = tx.id if n == 0 else f"{tx.id}-{n}"
            yield row


class WaltioCsvWriter:
    """Incremental CSV writer (header first), for streaming exports."""

    def __init__(self, fh: IO[str]) -> None:
        self._writer = csv.DictWriter(fh, fieldnames=list(WALTIO_HEADER))
        self._writer.writeheader()
        self.rows = 0

    def write(self, tx: Transaction) -> None:
        for row in to_waltio_rows([tx]):
            self._writer.writerow({key: safe_cell(value) for key, value in row.items()})  # formulas inert
            self.rows += 1


def write_waltio_csv(transactions: Iterable[Transaction], fh: IO[str]) -> int:
    """Write the Waltio CSV; returns the number of data rows."""
    writer = WaltioCsvWriter(fh)
    for tx in transactions:
        writer.write(tx)
    return writer.rows


def write_waltio_xlsx(transactions: Iterable[Transaction], fh: IO[bytes] | str) -> int:
    """Write the Waltio workbook (sheet `Vos données`, numbers as numbers, dates as dates)."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Vos données")
    sheet.append(list(WALTIO_HEADER))
    numeric = {"Montant reçu", "Montant envoyé", "Frais"}
    count = 0
    for row in to_waltio_rows(transactions):
        values: list[Any] = []
        for name in WALTIO_HEADER:
            value: Any = row[name]
            if name in numeric and value:
                value = float(value) if len(value.replace(".", "").lstrip("-0")) <= 15 else value
            elif name == "Date":
                value = datetime.strptime(value, "%d/%m/%Y %H:%M:%S")
            values.append(value)
        sheet.append(values)
        count += 1
    workbook.save(fh)
    return count
