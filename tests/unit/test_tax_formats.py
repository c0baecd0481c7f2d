"""Koinly's universal CSV and CoinTracking's CSV import (issue 18): the published columns, one row
per transaction, exact decimal amounts, inert text, every left-out transaction counted."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from binsync.model import Leg, Source, Transaction
from binsync.transactions.export import Annotated, Omitted
from binsync.transactions.tax_formats import (
    COINTRACKING_HEADER,
    KOINLY_HEADER,
    cointracking_csv,
    koinly_csv,
)

T0 = 1_700_000_000_000  # 2023-11-14 22:13:20 UTC


def tx(tx_id: str, kind: str, *legs: Leg, offset_s: int = 0, **meta) -> Transaction:
    return Transaction(
        id=tx_id,
        account="354937868",
        time_ms=T0 + offset_s * 1000,
        kind=kind,
        legs=legs,
        source=Source("api", f"{kind}.endpoint"),
        description=f"{kind} {tx_id}",
        meta=meta,
    )


TRADE = tx(
    "trade1",
    "trade",
    Leg("BTC", Decimal("0.00012345678"), "spot", "in"),
    Leg("USDT", Decimal("-300.50000001"), "spot", "out"),
    Leg("BNB", Decimal("-0.0000075"), "spot", "fee"),
)
DEPOSIT = tx("dep1", "deposit", Leg("ETH", Decimal("1.5"), "spot", "in"), offset_s=1, tx_hash="0xabc")
WITHDRAWAL = tx(
    "wd1",
    "withdrawal",
    Leg("BTC", Decimal("-0.1"), "spot", "out"),
    Leg("BTC", Decimal("-0.0002"), "spot", "fee"),
    offset_s=2,
    tx_hash="0xdef",
)
REWARD = tx("rw1", "reward", Leg("USDC", Decimal("0.134210"), "earn", "in"), offset_s=3)
TRANSFER = tx(
    "tr1",
    "transfer",
    Leg("USDT", Decimal("-5"), "spot", "out"),
    Leg("USDT", Decimal("5"), "funding", "in"),
    offset_s=4,
)
DUST = tx(
    "dust1",
    "dust",
    Leg("BNB", Decimal("0.01"), "spot", "in"),
    Leg("SHIB", Decimal("-100"), "spot", "out"),
    Leg("DOGE", Decimal("-2"), "spot", "out"),
    offset_s=5,
)
DETAIL = tx("fill1", "trade", offset_s=6, detail_of="usdm.income")
ALL = [TRADE, DEPOSIT, WITHDRAWAL, REWARD, TRANSFER, DUST, DETAIL]


def rows(text: str, header: tuple[str, ...]) -> list[dict[str, str]]:
    table = list(csv.reader(io.StringIO(text)))
    assert tuple(table[0]) == header
    return [dict(zip(header, r, strict=True)) for r in table[1:]]


def test_koinly_header_is_the_universal_templates():
    assert KOINLY_HEADER == (
        "Date",
        "Sent Amount",
        "Sent Currency",
        "Received Amount",
        "Received Currency",
        "Fee Amount",
        "Fee Currency",
        "Net Worth Amount",
        "Net Worth Currency",
        "Label",
        "Description",
        "TxHash",
    )
    assert koinly_csv([]).splitlines() == [",".join(KOINLY_HEADER)]


def test_cointracking_header_is_the_import_pages():
    assert COINTRACKING_HEADER == (
        "Type",
        "Buy Amount",
        "Buy Currency",
        "Sell Amount",
        "Sell Currency",
        "Fee",
        "Fee Currency",
        "Exchange",
        "Trade-Group",
        "Comment",
        "Date",
        "Tx-ID",
    )
    assert cointracking_csv([]).splitlines() == [",".join(COINTRACKING_HEADER)]


def test_koinly_rows_for_trade_deposit_withdrawal_reward_with_exact_amounts():
    omitted = Omitted()
    trade, deposit, withdrawal, reward = rows(koinly_csv([Annotated(t) for t in ALL], omitted), KOINLY_HEADER)
    assert trade["Date"] == "2023-11-14 22:13:20 UTC"
    assert (trade["Sent Amount"], trade["Sent Currency"]) == ("300.50000001", "USDT")
    assert (trade["Received Amount"], trade["Received Currency"]) == ("0.00012345678", "BTC")
    assert (trade["Fee Amount"], trade["Fee Currency"]) == ("0.0000075", "BNB")
    assert trade["Label"] == ""
    assert (deposit["Received Amount"], deposit["Received Currency"], deposit["Sent Amount"]) == (
        "1.5",
        "ETH",
        "",
    )
    assert deposit["TxHash"] == "0xabc" and deposit["Label"] == ""
    assert (withdrawal["Sent Amount"], withdrawal["Fee Amount"], withdrawal["Fee Currency"]) == (
        "0.1",
        "0.0002",
        "BTC",
    )
    assert withdrawal["Received Amount"] == "" and withdrawal["TxHash"] == "0xdef"
    assert (reward["Received Amount"], reward["Received Currency"], reward["Label"]) == (
        "0.13421",
        "USDC",
        "reward",
    )


def test_cointracking_rows_for_trade_deposit_withdrawal_reward_with_exact_amounts():
    trade, deposit, withdrawal, reward = rows(
        cointracking_csv([Annotated(t) for t in ALL]), COINTRACKING_HEADER
    )
    assert trade["Type"] == "Trade" and trade["Date"] == "2023-11-14 22:13:20"
    assert (trade["Buy Amount"], trade["Buy Currency"]) == ("0.00012345678", "BTC")
    assert (trade["Sell Amount"], trade["Sell Currency"]) == ("300.50000001", "USDT")
    assert (trade["Fee"], trade["Fee Currency"], trade["Tx-ID"]) == ("0.0000075", "BNB", "trade1")
    assert (deposit["Type"], deposit["Buy Amount"], deposit["Buy Currency"]) == ("Deposit", "1.5", "ETH")
    assert (withdrawal["Type"], withdrawal["Sell Amount"], withdrawal["Fee"]) == (
        "Withdrawal",
        "0.1",
        "0.0002",
    )
    assert (reward["Type"], reward["Buy Amount"]) == ("Reward / Bonus", "0.13421")
    assert {r["Exchange"] for r in (trade, deposit, withdrawal, reward)} == {"Binance"}


def test_each_assets_balance_change_is_kept_by_the_rows():
    """received - sent - fee per asset in the rows equals the legs' sum (external legs aside)."""
    kept = [TRADE, DEPOSIT, WITHDRAWAL, REWARD]
    legs: dict[str, Decimal] = {}
    for t in kept:
        for leg in t.legs:
            legs[leg.asset] = legs.get(leg.asset, Decimal(0)) + leg.amount
    for text, cols in (
        (
            koinly_csv([Annotated(t) for t in kept]),
            (
                "Received Amount",
                "Received Currency",
                "Sent Amount",
                "Sent Currency",
                "Fee Amount",
                "Fee Currency",
            ),
        ),
        (
            cointracking_csv([Annotated(t) for t in kept]),
            ("Buy Amount", "Buy Currency", "Sell Amount", "Sell Currency", "Fee", "Fee Currency"),
        ),
    ):
        header = KOINLY_HEADER if cols[0] == "Received Amount" else COINTRACKING_HEADER
        sums: dict[str, Decimal] = {}
        for row in rows(text, header):
            for amount, asset, sign in (
                (cols[0], cols[1], 1),
                (cols[2], cols[3], -1),
                (cols[4], cols[5], -1),
            ):
                if row[amount]:
                    sums[row[asset]] = sums.get(row[asset], Decimal(0)) + sign * Decimal(row[amount])
        assert sums == legs


def test_what_a_row_cannot_carry_is_counted_with_its_reason():
    for writer in (koinly_csv, cointracking_csv):
        omitted = Omitted()
        writer([Annotated(t) for t in ALL], omitted)
        assert omitted.count == 3
        assert omitted.reasons == {
            "no net balance change (internal transfer)": 1,
            "several assets received or sent (one row carries one of each)": 1,
            "detail of usdm.income, whose rows carry the money": 1,
        }
        assert omitted.header().startswith("3 (")


def test_fee_only_and_futures_loss_rows_use_the_tools_vocabulary():
    fee = tx("fee1", "fee", Leg("BNB", Decimal("-0.001"), "spot", "fee"))
    loss = tx("pnl1", "futures_pnl", Leg("USDT", Decimal("-12.5"), "usdm", "out"), offset_s=1)
    k_fee, k_loss = rows(koinly_csv([Annotated(fee), Annotated(loss)]), KOINLY_HEADER)
    assert (k_fee["Sent Amount"], k_fee["Sent Currency"], k_fee["Label"], k_fee["Fee Amount"]) == (
        "0.001",
        "BNB",
        "cost",
        "",
    )
    assert (k_loss["Sent Amount"], k_loss["Label"]) == ("12.5", "realized pnl")
    c_fee, c_loss = rows(cointracking_csv([Annotated(fee), Annotated(loss)]), COINTRACKING_HEADER)
    assert (c_fee["Type"], c_fee["Sell Amount"], c_fee["Fee"]) == ("Other Fee", "0.001", "")
    assert (c_loss["Type"], c_loss["Sell Amount"]) == ("Derivatives / Futures Loss", "12.5")


def test_text_cells_are_inert_and_amounts_stay_numbers():
    hostile = Transaction(
        id="=1+1",
        account="1",
        time_ms=T0,
        kind="deposit",
        legs=(Leg('=HYPERLINK("http://x")', Decimal("2"), "spot", "in"),),
        source=Source("statement", "@up"),
        description="@SUM(1)",
        meta={"tx_hash": "+1+1"},
    )
    note = Annotated(TRADE, {"label": "-2+3", "note": "=cmd"})
    for writer in (koinly_csv, cointracking_csv):
        flat = [c for row in csv.reader(io.StringIO(writer([Annotated(hostile), note]))) for c in row]
        for cell in flat:
            assert cell[:1] not in ("=", "+", "@", "-") or cell.startswith("'"), cell
        assert '\'=HYPERLINK("http://x")' in flat and "2" in flat and "300.50000001" in flat
    koinly = rows(koinly_csv([Annotated(hostile)]), KOINLY_HEADER)[0]
    assert koinly["TxHash"] == "'+1+1" and koinly["Description"] == "'@SUM(1)"
    ct = rows(cointracking_csv([Annotated(hostile)]), COINTRACKING_HEADER)[0]
    assert ct["Tx-ID"] == "'=1+1"
