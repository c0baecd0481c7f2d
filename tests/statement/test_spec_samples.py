"""The synthesised samples of spec §7, one by one: kinds, legs, wallets, grouping."""

from __future__ import annotations

from pathlib import Path

import pytest
from binsync.statement import parse_file

from .helpers import assert_conserved, legs_of

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def parsed():
    txs, stats = parse_file(str(DATA / "spec_samples.csv"))
    by_time: dict[str, list] = {}
    for tx in txs:
        by_time.setdefault(tx.time.strftime("%Y-%m-%d %H:%M:%S"), []).append(tx)
    return txs, stats, by_time


def test_every_row_imported_and_conserved(parsed):
    txs, stats, _ = parsed
    assert stats.rows == 63 and stats.accepted == 63 and stats.rejected_count == 0
    assert stats.unknown_operations == {}
    assert_conserved(txs, stats)
    assert len({tx.id for tx in txs}) == len(txs)
    assert stats.period() == {"from": "2020-10-28 22:03:03", "to": "2025-04-01 05:30:00"}


def test_two_fills_in_one_second_become_one_net_trade(parsed):
    (tx,) = parsed[2]["2025-03-04 09:15:27"]
    assert tx.kind == "trade"
    assert legs_of(tx) == {("USDT", "-350", "spot", "out"), ("ETH", "0.1568", "spot", "in"),
                           ("BNB", "-0.000441", "spot", "fee")}
    assert tx.meta["lines"] == [2, 3, 4, 5, 6, 7]


def test_sell_and_legacy_formats(parsed):
    by_time = parsed[2]
    (sell,) = by_time["2025-03-05 18:02:11"]
    assert legs_of(sell) == {("SOL", "-3.5", "spot", "out"), ("USDC", "512.75", "spot", "in"),
                             ("USDC", "-0.51275", "spot", "fee")}
    (legacy,) = by_time["2020-11-03 21:12:59"]
    assert legs_of(legacy) == {("EUR", "-333.209174", "spot", "out"), ("ETH", "0.912", "spot", "in"),
                               ("BNB", "-0.009009", "spot", "fee")}
    (related,) = by_time["2020-10-28 22:03:03"]
    assert related.kind == "trade" and {leg.asset for leg in related.legs} == {"EUR", "BNB"}


def test_convert_dust_and_auto_conversion(parsed):
    by_time = parsed[2]
    (convert,) = by_time["2024-06-05 19:47:00"]
    assert convert.kind == "convert"
    assert legs_of(convert) == {("FDUSD", "-125.626918", "spot", "out"), ("POL", "240.1195285", "spot", "in")}
    assert by_time["2023-09-29 00:00:05"][0].kind == "convert"
    (dust,) = by_time["2025-01-20 20:22:20"]
    assert dust.kind == "dust"
    assert legs_of(dust) == {("SHIB", "-15200", "spot", "out"), ("DOGE", "-1.91", "spot", "out"),
                             ("BNB", "0.00094112", "spot", "in")}


def test_withdrawal_keeps_one_out_leg_and_notes_the_fee(parsed):
    (wd,) = parsed[2]["2025-02-11 16:44:51"]
    assert wd.kind == "withdrawal"
    assert legs_of(wd) == {("USDT", "-150", "spot", "out")}
    assert wd.meta["fee_included"] is True and "fee" in wd.description


@pytest.mark.parametrize(("time", "kind", "legs"), [
    ("2025-02-01 10:00:03", "deposit", {("BTC", "0.05", "spot", "in")}),
    ("2025-02-12 12:09:22", "fiat_deposit", {("EUR", "1000", "spot", "in")}),
    ("2025-02-12 12:06:41", "card_buy", {("USDC", "98.12", "spot", "in")}),
    ("2025-02-20 08:30:00", "fiat_withdrawal", {("EUR", "-500", "funding", "out")}),
    ("2025-02-13 00:33:45", "transfer", {("USDT", "-500", "spot", "out"), ("USDT", "500", "funding", "in")}),
    ("2025-02-13 01:00:22", "transfer", {("USDT", "-100", "spot", "out"), ("USDT", "100", "usdm", "in")}),
    ("2025-03-01 04:11:29", "transfer", {("USDC", "-1000", "spot", "out")}),
    ("2025-03-02 06:01:00", "interest", {("USDC", "0.13421", "spot", "in")}),
    ("2025-03-02 05:29:00", "reward", {("DOT", "0.01643", "spot", "in")}),
    ("2022-10-30 15:09:05", "trade", {("ETH", "-0.5", "spot", "out"), ("BETH", "0.5", "spot", "in")}),
    ("2024-12-02 07:00:00", "airdrop", {("ME", "1.24", "spot", "in")}),
    ("2024-08-03 12:14:09", "pay", {("EUR", "-23.4", "funding", "out")}),
    ("2024-08-03 12:14:12", "rebate", {("BNB", "0.00185", "spot", "in")}),
    ("2025-03-12 08:00:02", "funding_fee", {("USDT", "-0.07779065", "usdm", "out")}),
    ("2023-04-02 10:00:00", "borrow", {("USDT", "500", "margin_cross", "in")}),
    ("2023-04-09 10:00:00", "repay", {("USDT", "-500", "margin_cross", "out")}),
    ("2024-09-10 14:02:33", "p2p", {("USDT", "200", "funding", "in")}),
    ("2022-03-02 00:00:00", "transfer", {("BUSD", "-1000", "earn", "out")}),
])
def test_single_events(parsed, time, kind, legs):
    (tx,) = parsed[2][time]
    assert tx.kind == kind
    assert legs_of(tx) == legs


def test_futures_fee_and_pnl_in_one_second_are_two_cash_flows(parsed):
    txs = parsed[2]["2025-03-13 16:43:41"]
    assert sorted((tx.kind, tuple(legs_of(tx))) for tx in txs) == [
        ("fee", (("USDT", "-0.1890536", "usdm", "fee"),)),
        ("futures_pnl", (("USDT", "27.384", "usdm", "in"),)),
    ]


def test_margin_trade_stays_in_the_margin_wallet(parsed):
    (tx,) = parsed[2]["2023-04-02 10:00:05"]
    assert tx.kind == "trade"
    assert legs_of(tx) == {("USDT", "-499.5", "margin_cross", "out"), ("BTC", "0.0175", "margin_cross", "in"),
                           ("BTC", "-0.0000175", "margin_cross", "fee")}
