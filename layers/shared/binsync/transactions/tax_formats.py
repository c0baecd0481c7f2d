"""Koinly's universal CSV and CoinTracking's CSV import, written from unified transactions.

Sources (read 2026-12-02; the tools' own pages, except where said):
- Koinly universal format: help.koinly.io/en/articles/3662999 and
  support.koinly.io/en/articles/9489976 ("How to create a custom CSV file"): dates in UTC,
  `YYYY-MM-DD HH:MM` (we write seconds and ` UTC`); a trade fills Sent and Received, a deposit only
  Received, a withdrawal only Sent; the fee is apart from the Sent amount. The header
  (`KOINLY_HEADER`) is the universal template's, as reproduced by public tools that import into
  Koinly (e.g. fio-koinly, built "upon their universal format"). Labels: help.koinly.io/en/articles/
  3663453 and support.koinly.io/en/articles/9490023 (deposits: airdrop, fork, mining, reward,
  lending interest, income, cashback, realized pnl; withdrawals: cost, margin fee, ...).
- CoinTracking: cointracking.info/import/import_csv/ as quoted by public converters (the page itself
  is not in our stored pages): the 11 columns "Type, Buy Amount, Buy Currency, Sell Amount,
  Sell Currency, Fee, Fee Currency, Exchange, Trade-Group, Comment, Date" in that order, then the
  optional "Tx-ID"; dates `YYYY-MM-DD HH:MM:SS`; the type names are CoinTracking's (Trade, Deposit,
  Withdrawal, Staking, Reward / Bonus, Interest Income, Airdrop, Mining, Derivatives / Futures
  Profit / Loss, Other Fee, Income, Spend ...).

Mapping (both formats): legs are netted per asset across Binance wallets (`external` legs left
out), since neither tool sees Binance's internal wallets; fee legs stay apart in the fee columns.
Each asset's balance change is then exactly `received - sent - fee` of the row. One row carries
one received asset, one sent asset and one fee asset, so a transaction with more (a dust batch of
several coins, fees in two assets) or with no net change (an internal transfer, a detail record)
has no row and is counted in `Omitted` with its reason. Amounts are exact decimal strings.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from binsync.model import Transaction, format_decimal
from binsync.transactions.export import Annotated, Omitted, omission_reason, safe_text, to_csv

KOINLY_HEADER: tuple[str, ...] = (
    "Date", "Sent Amount", "Sent Currency", "Received Amount", "Received Currency", "Fee Amount",
    "Fee Currency", "Net Worth Amount", "Net Worth Currency", "Label", "Description", "TxHash",
)
COINTRACKING_HEADER: tuple[str, ...] = (
    "Type", "Buy Amount", "Buy Currency", "Sell Amount", "Sell Currency", "Fee", "Fee Currency",
    "Exchange", "Trade-Group", "Comment", "Date", "Tx-ID",
)

# Koinly labels for a received-only / sent-only row; no label = a plain deposit / withdrawal.
_KOINLY_IN_LABEL = {
    "reward": "reward", "interest": "lending interest", "airdrop": "airdrop", "mining": "mining",
    "rebate": "cashback", "futures_pnl": "realized pnl", "funding_fee": "realized pnl",
    "options": "realized pnl",
}
_KOINLY_OUT_LABEL = {
    "fee": "cost", "funding_fee": "margin fee", "futures_pnl": "realized pnl",
    "options": "realized pnl", "pay": "cost",
}
# CoinTracking types for a buy-only / sell-only row.
_CT_IN_TYPE = {
    "reward": "Reward / Bonus", "interest": "Interest Income", "airdrop": "Airdrop",
    "mining": "Mining", "rebate": "Reward / Bonus", "futures_pnl": "Derivatives / Futures Profit",
    "funding_fee": "Derivatives / Futures Profit", "options": "Derivatives / Futures Profit",
}
_CT_OUT_TYPE = {
    "fee": "Other Fee", "funding_fee": "Derivatives / Futures Loss",
    "futures_pnl": "Derivatives / Futures Loss", "options": "Derivatives / Futures Loss",
    "pay": "Spend",
}

Amount = tuple[str, Decimal]  # (asset, positive amount)


@dataclass(frozen=True)
class Shape:
    """A transaction reduced to what one row can carry: at most one of each."""

    received: Amount | None
    sent: Amount | None
    fee: Amount | None


def shape(tx: Transaction) -> Shape | str:
    """The row's shape, or the reason this transaction has no row."""
    net: dict[str, Decimal] = {}
    fees: dict[str, Decimal] = {}
    for leg in tx.legs:
        if leg.wallet == "external":
            continue
        target = fees if leg.role == "fee" else net
        target[leg.asset] = target.get(leg.asset, Decimal(0)) + leg.amount
    ins = [(a, v) for a, v in net.items() if v > 0] + [(a, v) for a, v in fees.items() if v > 0]
    outs = [(a, -v) for a, v in net.items() if v < 0]
    paid = [(a, -v) for a, v in fees.items() if v < 0]
    if not ins and not outs and not paid:
        return omission_reason(tx) if not tx.legs else "no net balance change (internal transfer)"
    if len(ins) > 1 or len(outs) > 1:
        return "several assets received or sent (one row carries one of each)"
    if len(paid) > 1:
        return "fees in several assets (one row carries one fee)"
    return Shape(ins[0] if ins else None, outs[0] if outs else None, paid[0] if paid else None)


def _when(tx: Transaction) -> datetime:
    return datetime.fromtimestamp(tx.time_ms // 1000, tz=UTC)


def _tx_hash(tx: Transaction) -> str:
    meta = tx.meta or {}
    return str(meta.get("tx_hash") or meta.get("txId") or "")


def _amount(value: Amount | None) -> tuple[str, str]:
    return (format_decimal(value[1]), value[0]) if value else ("", "")


def _description(item: Annotated) -> str:
    annotation = item.annotation or {}
    text = item.tx.description or item.tx.kind
    if annotation.get("label"):
        text = f"{text} [{annotation['label']}]"
    if annotation.get("note"):
        text = f"{text} - {annotation['note']}"
    return safe_text(text)


def koinly_row(item: Annotated, s: Shape) -> list[str]:
    tx = item.tx
    if s.received and s.sent:
        label = ""  # a trade: Koinly labels are for deposits and withdrawals
    elif s.received:
        label = _KOINLY_IN_LABEL.get(tx.kind, "")
    else:
        label = _KOINLY_OUT_LABEL.get(tx.kind, "")
    fee = s.fee
    sent = s.sent
    if not s.received and not sent and fee:  # only a fee: Koinly wants a sent amount labelled cost
        sent, fee, label = fee, None, _KOINLY_OUT_LABEL.get(tx.kind, "cost")
    return [
        _when(tx).strftime("%Y-%m-%d %H:%M:%S UTC"), *_amount(sent), *_amount(s.received),
        *_amount(fee), "", "", label, _description(item), _tx_hash(tx),
    ]


def cointracking_row(item: Annotated, s: Shape) -> list[str]:
    tx = item.tx
    sent, fee = s.sent, s.fee
    if s.received and sent:
        kind = "Trade"
    elif s.received:
        kind = _CT_IN_TYPE.get(tx.kind, "Deposit")
    elif sent:
        kind = _CT_OUT_TYPE.get(tx.kind, "Withdrawal")
    else:  # only a fee: CoinTracking's "Other Fee" is a sell of the fee amount
        sent, fee, kind = fee, None, _CT_OUT_TYPE.get(tx.kind, "Other Fee")
    return [
        kind, *_amount(s.received), *_amount(sent), *_amount(fee), "Binance", "",
        _description(item), _when(tx).strftime("%Y-%m-%d %H:%M:%S"), tx.id,
    ]


def _rows(items: Iterable[Annotated], row: Callable[[Annotated, Shape], list[str]],
          omitted: Omitted | None) -> Iterator[list[str]]:
    for item in items:
        s = shape(item.tx)
        if isinstance(s, str):
            if omitted is not None:
                omitted.add(s)
            continue
        yield row(item, s)


def koinly_csv(items: Iterable[Annotated], omitted: Omitted | None = None) -> str:
    return to_csv(KOINLY_HEADER, _rows(items, koinly_row, omitted))


def cointracking_csv(items: Iterable[Annotated], omitted: Omitted | None = None) -> str:
    return to_csv(COINTRACKING_HEADER, _rows(items, cointracking_row, omitted))
