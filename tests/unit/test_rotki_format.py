"""rotki's generic trades / events import (issue 18): what we write is read back the way rotki's
importers read it (rotki/rotki `data_import/importers/rotki_trades.py`, `rotki_events.py`,
`data_import/utils.py`: DictReader on utf-8-sig, a missing column is an InputError, Timestamp an
integer of milliseconds, amounts FVal decimal strings, the fee read only with its currency and
booked as a separate spend), and every asset's balance change survives the round trip."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from binsync.model import Leg
from binsync.transactions.export import Annotated, Omitted
from binsync.transactions.rotki_format import (
    EVENT_TYPES,
    EVENTS_HEADER,
    IN_REASON,
    OUT_REASON,
    TRADES_HEADER,
    rotki_events_csv,
    rotki_trades_csv,
)
from test_tax_formats import ALL, DEPOSIT, REWARD, T0, TRADE, WITHDRAWAL, tx

# rotki's supported locations (docs "Supported Locations"); ours must be one of them.
ROTKI_LOCATIONS = {"external", "kraken", "binance", "coinbase", "kucoin", "bitstamp", "okx"}
# rotki's generic events Type -> (sign of the balance change it books)
EVENT_SIGN = {"Deposit": 1, "Withdrawal": -1, "Income": 1, "Loss": -1, "Spend": -1, "Staking": 1}


class InputError(Exception):
    """rotki stops the whole import on a missing column (KeyError -> InputError)."""


def _dict_rows(text: str) -> list[dict[str, str]]:
    # rotki opens the file with encoding='utf-8-sig' and reads it with csv.DictReader
    data = text.encode("utf-8-sig").decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(data)))


def _amount(value: str) -> Decimal:
    amount = Decimal(value)  # FVal(str): a plain decimal string, exact
    assert amount.is_finite() and str(value) == value.strip()
    return amount


def _timestamp_ms(value: str) -> int:
    return int(value)  # deserialize_timestamp: an integer string, else DeserializationError


def read_rotki_trades(text: str) -> list[dict]:
    """rotki_trades.py `_consume_rotki_trades`, reduced to what it books: spend, receive, fee."""
    out = []
    for row in _dict_rows(text):
        try:
            spend, receive = _amount(row["Spend Amount"]), _amount(row["Receive Amount"])
            fee = _amount(row["Fee"]) if row["Fee"] else None
            fee_currency = row["Fee Currency"] if row["Fee Currency"] and fee is not None else None
            location = row["Location"] if row["Location"] in ROTKI_LOCATIONS else "external"
            out.append({"location": location, "ts": _timestamp_ms(row["Timestamp"]),
                        "spend": (row["Spend Currency"], spend),
                        "receive": (row["Receive Currency"], receive),
                        "fee": (fee_currency, fee) if fee_currency and fee else None,
                        "notes": row["Description"]})
        except KeyError as e:
            raise InputError(f"Could not find key {e} in csv row {row}") from e
    return out


def read_rotki_events(text: str) -> list[dict]:
    """rotki_events.py `_consume_rotki_event`: one event, plus a SPEND/FEE event for a fee."""
    out = []
    for row in _dict_rows(text):
        try:
            assert row["Type"] in EVENT_SIGN, f"rotki refuses Type {row['Type']!r}"
            fee = _amount(row["Fee"]) if row["Fee"] else None
            fee_currency = row["Fee Currency"] if row["Fee Currency"] and fee is not None else None
            out.append({"type": row["Type"], "location": row["Location"],
                        "ts": _timestamp_ms(row["Timestamp"]),
                        "asset": row["Currency"], "amount": _amount(row["Amount"]),
                        "fee": (fee_currency, fee) if fee and fee != 0 else None,
                        "notes": row["Description"]})
        except KeyError as e:
            raise InputError(f"Could not find key {e} in csv row {row}") from e
    return out


def _legs_by_asset(txs) -> dict[str, Decimal]:
    sums: dict[str, Decimal] = {}
    for t in txs:
        for leg in t.legs:
            if leg.wallet != "external":
                sums[leg.asset] = sums.get(leg.asset, Decimal(0)) + leg.amount
    return sums


def _add(sums: dict[str, Decimal], asset: str, amount: Decimal) -> None:
    sums[asset] = sums.get(asset, Decimal(0)) + amount


def test_headers_are_rotkis_documented_columns():
    assert TRADES_HEADER == ("Location", "Spend Currency", "Spend Amount", "Receive Currency",
                             "Receive Amount", "Fee", "Fee Currency", "Description", "Timestamp")
    assert EVENTS_HEADER == ("Type", "Location", "Currency", "Amount", "Fee", "Fee Currency",
                             "Description", "Timestamp")
    assert set(EVENT_SIGN) == EVENT_TYPES
    assert rotki_trades_csv([]).splitlines() == [",".join(TRADES_HEADER)]
    assert rotki_events_csv([]).splitlines() == [",".join(EVENTS_HEADER)]


def test_a_trade_reads_back_as_rotkis_swap_with_exact_amounts_and_fee():
    (trade,) = read_rotki_trades(rotki_trades_csv([Annotated(t) for t in ALL]))
    assert trade["location"] == "binance" and trade["ts"] == T0  # milliseconds, not seconds
    assert trade["spend"] == ("USDT", Decimal("300.50000001"))
    assert trade["receive"] == ("BTC", Decimal("0.00012345678"))
    assert trade["fee"] == ("BNB", Decimal("0.0000075"))
    assert trade["notes"] == "trade trade1"


def test_events_read_back_with_rotkis_types_and_the_fee_apart():
    events = read_rotki_events(rotki_events_csv([Annotated(t) for t in ALL]))
    by_type = {e["type"]: e for e in events}
    assert [e["type"] for e in events] == ["Deposit", "Withdrawal", "Staking"]
    assert by_type["Deposit"]["asset"] == "ETH" and by_type["Deposit"]["amount"] == Decimal("1.5")
    # a withdrawal's Amount excludes its fee, which rotki books as a separate SPEND/FEE event
    assert by_type["Withdrawal"]["amount"] == Decimal("0.1")
    assert by_type["Withdrawal"]["fee"] == ("BTC", Decimal("0.0002"))
    assert by_type["Staking"]["amount"] == Decimal("0.13421")
    assert {e["ts"] for e in events} == {T0 + 1000, T0 + 2000, T0 + 3000}


def test_the_two_files_together_keep_every_assets_balance_change():
    kept = [TRADE, DEPOSIT, WITHDRAWAL, REWARD,
            tx("fee1", "fee", Leg("BNB", Decimal("-0.001"), "spot", "fee"), offset_s=7),
            tx("pnl1", "futures_pnl", Leg("USDT", Decimal("-12.5"), "usdm", "out"), offset_s=8),
            tx("int1", "interest", Leg("USDT", Decimal("0.25"), "earn", "in"), offset_s=9)]
    items = [Annotated(t) for t in kept]
    sums: dict[str, Decimal] = {}
    for trade in read_rotki_trades(rotki_trades_csv(items)):
        _add(sums, trade["spend"][0], -trade["spend"][1])
        _add(sums, trade["receive"][0], trade["receive"][1])
        if trade["fee"]:
            _add(sums, trade["fee"][0], -trade["fee"][1])
    events = read_rotki_events(rotki_events_csv(items))
    for event in events:
        _add(sums, event["asset"], EVENT_SIGN[event["type"]] * event["amount"])
        if event["fee"]:
            _add(sums, event["fee"][0], -event["fee"][1])
    assert sums == _legs_by_asset(kept)
    assert [e["type"] for e in events][-3:] == ["Spend", "Loss", "Income"]


def test_each_file_counts_what_it_leaves_out_with_the_reason():
    trades, events = Omitted(), Omitted()
    rotki_trades_csv([Annotated(t) for t in ALL], trades)
    rotki_events_csv([Annotated(t) for t in ALL], events)
    cannot = {"no net balance change (internal transfer)": 1,
              "several assets received or sent (one row carries one of each)": 1,
              "detail of usdm.income, whose rows carry the money": 1}
    assert trades.reasons == {**cannot, OUT_REASON: 3}
    assert events.reasons == {**cannot, IN_REASON: 1}
    # every transaction is either a row of one file, or counted as not carried by both
    assert trades.count + 1 == len(ALL) and events.count + 3 == len(ALL)


def test_a_missing_column_is_what_rotki_refuses():
    text = rotki_trades_csv([Annotated(TRADE)]).replace("Spend Amount", "Sent Amount")
    with pytest.raises(InputError):
        read_rotki_trades(text)


def test_text_cells_are_inert_and_numbers_stay_numbers():
    from dataclasses import replace

    hostile = Annotated(replace(TRADE, description="=cmd|' /C calc'!A0"))
    (trade,) = read_rotki_trades(rotki_trades_csv([hostile]))
    assert trade["notes"].startswith("'=") and trade["spend"][1] == Decimal("300.50000001")
