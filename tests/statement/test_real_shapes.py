"""Each shape of issue 16, on the corpus files (tests/statement/data/real) or a few rows."""

from __future__ import annotations

import io

import pytest
from binsync.statement.parser import StatementParser, ZoneRequiredError
from binsync.statement.timezone import zone_from_file_name

from .helpers import legs_of, parse, statement
from .test_real_corpus import REAL, UTC2, UTC5, _parse


def _by_line(txs):
    return {line: tx for tx in txs for line in tx.meta["lines"]}


@pytest.mark.parametrize("name, offset", [
    ("Binance-Transaction-History-202609011815(UTC+5)-part1-of1.csv", 5 * 3600),
    ("Binance-Transaction-History-202601150930(UTC--6)-part1-of1.csv", -6 * 3600),
    ("Binance-Historique-des-transactions-202610031149UTC2-part1-of1.csv", 2 * 3600),
    ("export-UTC+5:30.csv", 5 * 3600 + 1800),
    ("Binance-Transaction-History-2025.csv", None),
    ("UTC_Time.csv", None),
])
def test_zone_from_file_name(name, offset):
    assert zone_from_file_name(name) == offset


def test_local_time_without_a_zone_is_refused_with_a_request_for_it():
    data = (REAL / UTC5).read_bytes()
    with pytest.raises(ZoneRequiredError, match="time zone needed"):
        StatementParser(file_name="statement.csv").parse(io.BytesIO(data))
    txs = StatementParser(file_name="statement.csv", tz="+05:00").parse(io.BytesIO(data))
    named = StatementParser(file_name=UTC5).parse(io.BytesIO(data))
    assert [t.id for t in txs] == [t.id for t in named] and txs[0].time_ms == named[0].time_ms


def test_header_utc_wins_over_file_name_and_request():
    data = statement([("2025-01-01 10:00:00", "Spot", "Deposit", "BTC", "1")])
    parser = StatementParser(file_name="x(UTC+5).csv", tz="+03:00")
    (tx,) = parser.parse(io.BytesIO(data))
    assert tx.time_ms == 1735725600000 and parser.stats.zone["source"] == "header"


def test_iana_zone_follows_daylight_saving():
    rows = [("25-01-15 12:00:00", "Spot", "Deposit", "BTC", "1"),
            ("25-07-15 12:00:00", "Spot", "Deposit", "BTC", "2")]
    data = statement(rows, header=("User ID", "Time", "Account", "Operation", "Coin", "Change", "Remark"))
    winter, summer = StatementParser(tz="Europe/Paris").parse(io.BytesIO(data))
    assert winter.time_ms == 1736938800000  # 11:00 UTC (UTC+1)
    assert summer.time_ms == 1752573600000  # 10:00 UTC (UTC+2)


def test_french_export_parses_with_french_headers_and_yy_dates():
    txs, stats = _parse("localcrypto_fr_yy.csv", "+01:00")
    assert stats.rejected_count == 0 and stats.uid == "123456789"
    assert [tx.kind for tx in txs] == ["trade", "interest", "transfer"]
    assert legs_of(txs[0]) == {("SOL", "0.671", "spot", "in"), ("USDC", "-58.38371", "spot", "out"),
                               ("SOL", "-0.00063745", "spot", "fee")}


def test_language_never_seen_is_read_by_value_shape():
    txs, stats = _parse("Binance-Cronologia-202611010800(UTC+1)-part1-of1.csv", None)
    assert stats.layout == "shape" and stats.rejected_count == 0
    assert [tx.kind for tx in txs] == ["deposit", "trade"]


def test_french_xlsx_with_title_rows_and_spread_columns():
    txs, stats = _parse("Binance-Historique-des-transactions-202604011200UTC1-part1-of1.xlsx", None)
    assert stats.container == "xlsx" and stats.rejected_count == 0 and stats.uid == "7"
    trade = next(tx for tx in txs if tx.kind == "trade")
    assert {leg.asset for leg in trade.legs} == {"USDT", "ETH", "BNB"}  # fee at +1 s joined


def test_excel_resave_whole_line_quoted_with_day_first_minutes():
    txs, stats = _parse("excel_resave_whole_line_quoted.csv", None)
    assert stats.rejected_count == 0 and sorted(tx.kind for tx in txs) == ["trade", "withdrawal"]


def test_semicolons_and_decimal_commas():
    txs, _ = _parse("semicolon_decimal_comma.csv", None)
    trade = next(tx for tx in txs if tx.kind == "trade")
    assert legs_of(trade) == {("SOL", "-3.5", "spot", "out"), ("USDC", "512.75", "spot", "in"),
                              ("USDC", "-0.51275", "spot", "fee")}


def test_empty_export_is_empty_not_an_error():
    txs, stats = _parse("empty_export_no_data.csv", None)
    assert txs == [] and stats.rows == 0 and stats.rejected_count == 0


def test_identical_rows_far_apart_in_an_unsorted_file_are_two_events():
    txs, stats = _parse("rotki_binance_history.csv", None)
    by_line = _by_line(txs)
    assert by_line[59].id != by_line[62].id  # same second, same row, lines apart
    matic = [tx for tx in txs if tx.kind == "reward" and tx.legs[0].asset == "MATIC"]
    assert len({tx.id for tx in matic}) == 2
    assert stats.out_of_order_beyond_memory == 0


def test_dust_over_three_seconds_is_one_conversion():
    txs, _ = _parse("dust_42_coins_3_seconds.csv", None)
    (dust,) = txs
    assert dust.kind == "dust" and len(dust.legs) == 43 and len(dust.meta["seconds"]) == 3
    assert next(leg for leg in dust.legs if leg.amount > 0).asset == "BNB"


def test_fills_of_several_markets_in_one_second_pair_by_market():
    txs, _ = _parse(UTC5, None)
    trades = [tx for tx in txs if tx.kind == "trade" and tx.time_ms == 1762142401000]
    markets = set()
    for tx in trades:
        got = {leg.asset for leg in tx.legs if leg.role == "in"}
        gave = {leg.asset for leg in tx.legs if leg.role == "out"}
        markets.add((frozenset(got), frozenset(gave)))
    assert markets == {(frozenset({"ETH"}), frozenset({"BTC"})), (frozenset({"BUSD"}), frozenset({"SOL"})),
                       (frozenset({"DOGE"}), frozenset({"BUSD"}))}
    fees = {leg.asset for tx in trades for leg in tx.legs if leg.role == "fee"}
    assert fees == {"ETH", "DOGE", "BNB"}


def test_bnb_fee_deduction_is_the_fee_of_its_fill():
    txs, _ = _parse(UTC2, None)
    by_line = _by_line(txs)
    fill = by_line[10]
    assert fill is by_line[9] and fill.kind == "trade"
    assert ("BNB", "-0.00005557", "spot", "fee") in legs_of(fill)
    lone = by_line[31]  # a BNB Fee Deduction with no fill in reach (margin): a fee of its own
    assert lone.kind == "fee" and lone.legs[0].role == "fee"


def test_buy_crypto_over_seconds_is_one_card_buy_with_its_fiat_leg():
    txs, _ = _parse(UTC5, None)
    by_line = _by_line(txs)
    buy = by_line[11]
    assert buy is by_line[12] is by_line[13] and buy.kind == "card_buy"
    assert {(leg.asset, leg.role) for leg in buy.legs} == {("EUR", "out"), ("USDC", "in")}
    redemption = by_line[17]
    assert redemption is by_line[18] and redemption.kind == "trade"


def test_operations_and_accounts_seen_in_real_files_are_known():
    txs, stats = _parse(UTC5, None)
    by_line = _by_line(txs)
    assert by_line[14].kind == "pay"  # C2C Transfer
    assert by_line[15] is by_line[16] and by_line[15].kind == "trade"  # Sell Crypto To Fiat
    fr, fr_stats = _parse(UTC2, None)
    fr_lines = _by_line(fr)
    assert {leg.wallet for leg in fr_lines[12].legs} == {"strategy"}
    assert fr_lines[33].kind == "pay"  # Funding `Transfer` of Binance Pay
    assert set(fr_stats.unknown_operations) == {"Mystery Bonus Program", "Totally New Feature"}
    assert stats.unknown_operations == {}


def test_an_event_cut_by_the_export_boundary_keeps_its_id():
    fill = [("2024-12-31 23:59:59", "Spot", "Transaction Spend", "USDT", "-1000"),
            ("2024-12-31 23:59:59", "Spot", "Transaction Buy", "BTC", "0.01")]
    fee = [("2025-01-01 00:00:00", "Spot", "Transaction Fee", "BTC", "-0.00001")]
    (cut,), _ = parse(statement(fill))
    (whole,), _ = parse(statement(fill + fee))
    assert cut.id == whole.id and len(whole.legs) == 3 and len(cut.legs) == 2
    assert set(cut.meta["rows"]) < set(whole.meta["rows"])


def test_savings_distribution_into_the_ld_token_is_one_transfer_not_income():
    # everytrade's testSimpleEarn4/5: LDBTC +0.0115598 and BTC -0.0115598 in one second (a
    # deposit and a withdrawal of BTC there); a lone row is still interest
    txs, _ = _parse("everytrade_earn_rewards_40360729.csv", None)
    pair = _by_line(txs)[3]
    assert pair is _by_line(txs)[4] and pair.kind == "transfer" and pair.meta["receipt_token"] == "LDBTC"
    assert not [tx for tx in txs if tx.kind == "interest" and any(leg.amount < 0 for leg in tx.legs)]
    lone, _ = parse(statement([("2020-11-27 08:55:38", "Spot", "Savings distribution", "BTC", "0.0001")]))
    assert [tx.kind for tx in lone] == ["interest"]
