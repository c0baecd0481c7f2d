"""Parser fixes found on the third-party corpus files (issue 16 item 7, PROVENANCE.md)."""

from __future__ import annotations

import io
import zipfile

import pytest
from binsync.statement.limits import FileRefused
from binsync.statement.parser import StatementParser

from .test_real_corpus import _parse


def _by_line(txs):
    return {line: tx for tx in txs for line in tx.meta["lines"]}


def test_whole_line_quoted_rows_under_a_plain_header_are_read():
    # everytrade's testCardCashback: BOM + plain header, then `"38065325,...,0.00066906,"""""`
    txs, stats = _parse("everytrade_card_cashback_line_quoted.csv", None)
    assert stats.rejected_count == 0
    assert [(tx.kind, str(tx.legs[0].amount), tx.legs[0].wallet) for tx in txs] == [
        ("rebate", "0.00066906", "card"), ("rebate", "0.00006234", "card")]


def test_buy_crypto_credited_the_fiat_it_spends_is_a_deposit_then_a_buy():
    # Buy Crypto CZK +1471.5 at :49, CZK -1471.5 and ETH +0.02339931 at :51
    txs, _ = _parse("everytrade_buy_crypto_czk.csv", None)
    by_line = _by_line(txs)
    funding, buy = by_line[2], by_line[3]
    assert funding.kind == "fiat_deposit" and [(leg.asset, str(leg.amount)) for leg in funding.legs] == [
        ("CZK", "1471.50000000")]
    assert buy is by_line[4] and buy.kind == "card_buy"
    assert {(leg.asset, leg.role) for leg in buy.legs} == {("CZK", "out"), ("ETH", "in")}


def test_a_convert_of_a_coin_for_itself_is_kept_as_other_not_a_trade():
    txs, _ = _parse("allstatements_rs_convert_same_coin.csv", None)
    (tx,) = txs
    assert tx.kind == "other" and tx.meta["self_swap"] is True
    assert sorted(str(leg.amount) for leg in tx.legs) == ["-6.20000000", "6.20000000"]


def test_referrer_commission_is_a_rebate():
    txs, stats = _parse("es_clasificador_rewards_mixed_dates.csv", "+01:00")
    assert _by_line(txs)[3].kind == "rebate"
    assert stats.unknown_operations == {}


def test_fills_of_a_second_listed_in_another_order_keep_their_ids():
    # a TypeScript ingest suite: "a second CSV export that lists the fills of a second in another
    # order stores none of them twice"
    small, _ = _parse("ingest_ts_fills_small_then_large.csv", None)
    large, _ = _parse("ingest_ts_fills_large_then_small.csv", None)
    assert [tx.id for tx in small] == [tx.id for tx in large]


def test_a_workbook_of_only_its_sheet_xml_is_read():
    # LocalCrypto's CreateMinimalBinanceXlsx: a ZIP holding xl/worksheets/sheet1.xml alone (no
    # workbook.xml), French title in C1, header on row 10 over spread columns, inline strings
    txs, stats = _parse("localcrypto_sheet_xml_only.xlsx", "+01:00")
    assert stats.rows == 2 and stats.rejected_count == 0
    assert [(tx.kind, tx.meta["lines"], [(leg.asset, str(leg.amount)) for leg in tx.legs]) for tx in txs] == [
        ("trade", [11], [("ETH", "0.0118")]), ("deposit", [12], [("EUR", "20")])]


@pytest.mark.parametrize("xml", [
    '<worksheet><sheetData><row r="1"><c',  # truncated
    '<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">'  # entity expansion bomb
    + "".join(f'<!ENTITY {n} "{("&" + p + ";") * 10}">' for p, n in zip("abcdefg", "bcdefgh", strict=True))
    + ']><worksheet><sheetData><row r="1"><c t="inlineStr"><is><t>&h;</t></is></c></row>'
    + "</sheetData></worksheet>",
])
def test_a_damaged_sheet_xml_only_workbook_is_refused_in_words(xml):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr("xl/worksheets/sheet1.xml", xml)
    buf.seek(0)
    with pytest.raises(FileRefused, match="XLSX workbook is damaged"):
        StatementParser(source_ref="x", file_name="binance.xlsx", tz="+01:00").parse(buf)
