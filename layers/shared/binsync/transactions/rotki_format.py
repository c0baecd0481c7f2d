"""rotki's generic import: two CSV files, one for trades and one for events.

Spec (read 2026-12-02): rotki's documentation, "rotki Generic Import"
(https://docs.rotki.com/usage-guides/history/import-data.html; source rotki/docs
`usage-guides/history/import-data.md` at 3f6cddac9cde62b7985df8c81b231388883b86a5), and the
importers it describes, rotki/rotki `rotkehlchen/data_import/importers/rotki_trades.py`,
`rotki_events.py` and `rotkehlchen/data_import/utils.py`
(`process_rotki_generic_import_csv_fields`), test data `rotkehlchen/tests/data/
rotki_generic_trades.csv` (67978d3b) and `rotki_generic_events.csv` (dbeb9e38):

- Trades: `Location, Spend Currency, Spend Amount, Receive Currency, Receive Amount, Fee,
  Fee Currency, Description, Timestamp`; read with `csv.DictReader` (utf-8-sig), so the names
  matter, not the order; a missing column stops the whole import (`InputError`).
- Events: `Type, Location, Currency, Amount, Fee, Fee Currency, Description, Timestamp`; `Type` is
  one of Deposit, Withdrawal, Income, Loss, Spend, Staking (anything else: the row is refused).
- `Timestamp` is UTC Unix time in **milliseconds** (an integer); amounts are decimal strings
  (rotki's FVal), positive; `Fee` is optional and read only with its `Fee Currency`, and an
  event's fee is a separate SPEND/FEE event, so a withdrawal's `Amount` excludes its fee (the test
  data: `Withdrawal ... 99.00, 1.00`).
- `Location`: we write `binance`, which makes rotki resolve `Spend Currency`, `Currency` and `Fee
  Currency` with its Binance ticker mapping (`asset_from_binance`), so Binance's own tickers are
  the right identifiers. rotki resolves `Receive Currency` with its plain symbol lookup
  (`symbol_to_asset_or_token`); for a ticker Binance spells differently from rotki, rotki reports
  that row as an unknown asset (it says so per row; nothing is silently lost).

Mapping: the row shape is the one Koinly's and CoinTracking's exports use (`tax_formats.shape`:
legs netted per asset across Binance wallets, fees apart). A shape with both a received and a sent
asset is a trade (rotki_trades.csv); one with only one side is an event (rotki_events.csv). Each
file counts in `Omitted` what it leaves out, with the reason: the other file's rows (said as such)
and what no row can carry (several assets, fees in two assets, no net change, detail records).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from binsync.model import format_decimal
from binsync.transactions.export import Annotated, Omitted, to_csv
from binsync.transactions.tax_formats import Shape, _description, shape

LOCATION = "binance"
TRADES_HEADER: tuple[str, ...] = (
    "Location", "Spend Currency", "Spend Amount", "Receive Currency", "Receive Amount", "Fee",
    "Fee Currency", "Description", "Timestamp",
)
EVENTS_HEADER: tuple[str, ...] = (
    "Type", "Location", "Currency", "Amount", "Fee", "Fee Currency", "Description", "Timestamp",
)
EVENT_TYPES = frozenset({"Deposit", "Withdrawal", "Income", "Loss", "Spend", "Staking"})

IN_REASON = "a trade: it is in rotki_trades.csv"
OUT_REASON = "not a trade: it is in rotki_events.csv"

# rotki event Type for a received-only / sent-only transaction, by binsync kind.
_IN_TYPE = {"deposit": "Deposit", "fiat_deposit": "Deposit", "reward": "Staking"}
_OUT_TYPE = {"withdrawal": "Withdrawal", "fiat_withdrawal": "Withdrawal", "futures_pnl": "Loss",
             "funding_fee": "Loss", "options": "Loss", "liquidation": "Loss"}


def _fee(s: Shape) -> tuple[str, str]:
    return (format_decimal(s.fee[1]), s.fee[0]) if s.fee else ("", "")


def trade_row(item: Annotated, s: Shape) -> list[str]:
    assert s.sent and s.received
    return [LOCATION, s.sent[0], format_decimal(s.sent[1]), s.received[0], format_decimal(s.received[1]),
            *_fee(s), _description(item), str(item.tx.time_ms)]


def event_row(item: Annotated, s: Shape) -> list[str]:
    kind = item.tx.kind
    fee = _fee(s)
    if s.received:
        event_type, (asset, amount) = _IN_TYPE.get(kind, "Income"), s.received
    elif s.sent:
        event_type, (asset, amount) = _OUT_TYPE.get(kind, "Spend"), s.sent
    else:  # only a fee: a Spend of the fee itself (rotki would add a zero-amount event otherwise)
        assert s.fee
        event_type, (asset, amount), fee = _OUT_TYPE.get(kind, "Spend"), s.fee, ("", "")
    return [event_type, LOCATION, asset, format_decimal(amount), *fee, _description(item),
            str(item.tx.time_ms)]


def _rows(items: Iterable[Annotated], trades: bool, omitted: Omitted | None) -> Iterator[list[str]]:
    for item in items:
        s = shape(item.tx)
        if isinstance(s, str):
            reason = s
        elif bool(s.sent and s.received) == trades:
            yield trade_row(item, s) if trades else event_row(item, s)
            continue
        else:
            reason = OUT_REASON if trades else IN_REASON
        if omitted is not None:
            omitted.add(reason)


def rotki_trades_csv(items: Iterable[Annotated], omitted: Omitted | None = None) -> str:
    return to_csv(TRADES_HEADER, _rows(items, True, omitted))


def rotki_events_csv(items: Iterable[Annotated], omitted: Omitted | None = None) -> str:
    return to_csv(EVENTS_HEADER, _rows(items, False, omitted))
