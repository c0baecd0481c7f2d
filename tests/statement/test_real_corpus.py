"""The corpus of real and real-shaped statements (tests/statement/data/real, PROVENANCE.md).

On every file: every row is in exactly one event or rejected with its line and reason; the
legs of each event sum to its rows' Change per (account, coin), and all events to the file's
sums; no trade is one-sided or swaps an asset for itself; times are read in the right zone.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from binsync.statement.events import legs_sum
from binsync.statement.operations import account_wallet
from binsync.statement.parser import StatementParser

REAL = Path(__file__).parent / "data" / "real"
UTC2 = "Binance-Historique-des-transactions-202610031149UTC2-part1-of1.csv"
UTC5 = "Binance-Transaction-History-202609011815(UTC+5)-part1-of1.csv"

# Rows whose other side the file itself does not hold (a lone margin Transaction Revenue, a
# card buy with its crypto leg only): kept as one-sided events, flagged meta["one_sided"].
ONE_SIDED = {UTC2: {29, 34}, "rotki_binance_history.csv": {71}}

# file -> (explicit tz or None, zone source, {line: UTC time of that line's event}, rejected lines)
CORPUS: dict[str, tuple[str | None, str, dict[int, str], set[int]]] = {
    "rotki_binance_history.csv": (None, "header",
                                  {2: "2020-10-28 22:03:03", 59: "2023-01-13 05:29:00",
                                   62: "2023-01-13 05:29:00"},
                                  {5, 6}),
    UTC2: (None, "file_name", {2: "2026-01-31 13:28:41", 33: "2026-01-31 14:38:53"}, set()),
    "localcrypto_fr_yy.csv": ("+01:00", "request", {2: "2026-03-02 20:10:18"}, set()),
    "Binance-Transaction-History-202601150930(UTC--6)-part1-of1.csv": (
        None, "file_name", {2: "2025-01-04 17:08:17"}, set()),
    UTC5: (None, "file_name", {2: "2025-11-03 04:00:01", 11: "2025-11-04 13:30:10"}, set()),
    "Binance-Transaction-History-202609011815(UTC+5)-zipped.zip": (
        None, "file_name", {2: "2025-11-03 04:00:01"}, set()),
    "dust_42_coins_3_seconds.csv": (None, "header", {2: "2025-02-20 21:41:11"}, set()),
    "excel_resave_whole_line_quoted.csv": (None, "header", {2: "2025-03-04 09:15:00"}, set()),
    "semicolon_decimal_comma.csv": (None, "header", {2: "2025-03-05 18:02:11"}, set()),
    "Binance-Cronologia-202611010800(UTC+1)-part1-of1.csv": (None, "file_name", {2: "2025-06-01 09:00:00"},
                                                            set()),
    "empty_export_no_data.csv": (None, "header", {}, set()),
    "Binance-Historique-des-transactions-202604011200UTC1-part1-of1.xlsx": (
        None, "file_name", {11: "2025-03-04 09:15:27", 14: "2025-03-02 06:01:00"}, set()),
}

# Third-party files added for issue 16 item 7 (PROVENANCE.md): fixtures of everytrade-plugins
# (rows of real users' exports), a Spanish classifier's audited cases, a Rust tax tool and a
# Python pipeline whose file names carry the zone.
ET = "everytrade_"
UTC_M6 = "Binance-Transaction-History-202603230400(UTC--6)_abcd.csv"
ONE_SIDED.update({UTC_M6: {7}, "allstatements_rs_multiple_operations.csv": {3}})
CORPUS.update({
    UTC_M6: (None, "file_name", {2: "2023-08-06 08:34:03", 7: "2021-05-11 06:44:33"}, set()),
    "Binance-Transaction-History-202603230400(UTC--6)_abcd-funding-p2p.csv": (
        None, "file_name", {2: "2023-08-05 14:34:04"}, set()),
    "allstatements_rs_convert_same_coin.csv": (None, "header", {2: "2024-01-15 10:30:45"}, set()),
    "allstatements_rs_dust_two_coins.csv": (None, "header", {2: "2024-01-15 10:30:45"}, set()),
    "allstatements_rs_multiple_operations.csv": (None, "header", {2: "2024-01-10 08:00:00"}, set()),
    # the Spanish tool's tests name the file binance_test.csv: local times, zone given explicitly
    "es_clasificador_empty_and_unknown_operation.csv": ("+01:00", "request", {3: "2026-06-05 07:00:00"}, {2}),
    "es_clasificador_fills_eur_xrp.csv": ("+01:00", "request", {2: "2025-01-08 16:19:04"}, set()),
    "es_clasificador_rewards_mixed_dates.csv": ("+01:00", "request",
                                                {2: "2024-06-15 09:01:00", 6: "2025-12-31 13:30:00"}, set()),
    "es_clasificador_small_assets_remarks.csv": ("+01:00", "request", {2: "2024-05-01 08:32:03"}, set()),
    "es_clasificador_two_seconds.csv": ("+01:00", "request", {2: "2024-12-11 21:51:06"}, set()),
    ET + "airdrop_double_quoted.csv": (None, "header", {2: "2022-09-20 04:59:41"}, set()),
    ET + "binance_convert.csv": (None, "header", {2: "2021-06-10 09:52:01"}, set()),
    ET + "buy_crypto_czk.csv": (None, "header", {2: "2022-01-21 05:27:49", 3: "2022-01-21 05:27:51"}, set()),
    ET + "buy_related_eur.csv": (None, "header", {2: "2021-01-05 02:37:59"}, set()),
    ET + "buy_sell_across_seconds.csv": (None, "header", {2: "2022-07-17 11:14:21"}, set()),
    ET + "c2c_transfer_39388188.csv": (None, "header", {2: "2022-10-24 18:10:22"}, set()),
    ET + "card_cashback_line_quoted.csv": (None, "header", {2: "2022-02-26 05:48:48"}, set()),
    ET + "cashback_voucher_530683417.csv": (None, "header", {2: "2022-11-09 03:02:17"}, set()),
    ET + "earn_rewards_40360729.csv": (None, "header", {2: "2020-12-28 09:27:37"}, set()),
    ET + "earn_rewards_86879943.csv": (None, "header", {2: "2022-03-02 17:02:42"}, set()),
    ET + "eth2_staking.csv": (None, "header", {2: "2020-12-02 13:20:22"}, set()),
    ET + "fiat_withdraw_card_38065325.csv": (None, "header", {2: "2021-05-18 18:19:50"}, set()),
    ET + "large_otc_42138160.csv": (None, "header", {2: "2022-01-12 18:00:24"}, set()),
    ET + "old_buy_sell_fee.csv": (None, "header", {2: "2022-01-01 10:56:29"}, set()),
    ET + "rebate_otc_70366274.csv": (None, "header", {2: "2022-08-10 13:25:58"}, set()),
    ET + "referral_commission_spot_upper.csv": (None, "header", {2: "2022-01-15 16:15:42"}, set()),
    ET + "revenue_sold_quoted.csv": (None, "header", {2: "2023-11-09 10:00:49"}, set()),
    ET + "sell_fiat_in_base.csv": (None, "header", {2: "2022-01-01 10:56:29"}, set()),
    ET + "sell_related_eur.csv": (None, "header", {2: "2021-01-05 02:37:59"}, set()),
    ET + "small_assets_exponent.csv": (None, "header", {2: "2021-07-20 16:24:10"}, set()),
    ET + "small_assets_two_pairs.csv": (None, "header", {2: "2020-11-24 15:44:58"}, set()),
    ET + "transaction_buy_revenue_fee.csv": (None, "header", {2: "2021-06-25 14:11:52"}, set()),
    ET + "transaction_related_czk_deposit.csv": (None, "header", {2: "2021-05-12 18:39:47"}, set()),
    # a TypeScript FIFO tool's "several fills in the same second" cases (legacy Buy/Sell naming)
    "fifo_ts_fills_legacy_grouped.csv": (None, "header", {2: "2025-03-01 12:00:00"}, set()),
    "fifo_ts_fills_current_triplets.csv": ("+00:00", "request", {2: "2025-03-01 12:00:00"}, set()),
    "fifo_ts_identical_fills.csv": (None, "header", {2: "2025-03-01 12:00:00"}, set()),
    "fifo_ts_two_markets_btc_both_sides.csv": (None, "header", {2: "2025-03-01 12:00:00"}, set()),
    "fifo_ts_two_markets_fees.csv": (None, "header", {2: "2025-03-01 12:00:00"}, set()),
    "fifo_ts_three_markets_tie.csv": (None, "header", {2: "2025-03-01 12:00:00"}, set()),
    "fifo_ts_unpaired_buy.csv": (None, "header", {2: "2025-03-01 12:00:00"}, set()),
    "kryptledg_redacted_uid_plus_sign.csv": ("+00:00", "request", {2: "2024-01-01 12:00:00"}, set()),
    "csvimporter_ts_commission_history.csv": ("+00:00", "request", {2: "2021-01-21 18:52:34"}, set()),
    # the Spanish tool's incident fixtures (named binance.csv, q.csv...): Spain's zone, with its DST
    **{name: ("Europe/Madrid", "request", {2: "2024-03-01 09:00:00", 5: "2024-06-01 10:00:00"}, set())
       for name in ("es_incidente_plain.csv", "es_incidente_bom_line_quoted.csv",
                    "es_incidente_spaced_header.csv")},
    "ingest_ts_cross_source.csv": (None, "header", {2: "2025-01-03 10:00:00", 6: "2025-01-05 00:00:00"},
                                   set()),
    "ingest_ts_fills_small_then_large.csv": (None, "header", {2: "2025-01-03 10:00:00"}, set()),
    "ingest_ts_fills_large_then_small.csv": (None, "header", {2: "2025-01-03 10:00:00"}, set()),
    # LocalCrypto's workbook of one sheet XML and nothing else (named binance.xlsx in its test)
    "localcrypto_sheet_xml_only.xlsx": ("+01:00", "request", {11: "2026-03-09 00:28:25"}, set()),
})
# GiacenzeCrypto's Simple Earn twins (2026 exports write each bonus on Earn and on Spot)
CORPUS.update({
    "giacenze_earn_reward_twins.csv": (None, "header", {2: "2024-03-15 03:16:11", 3: "2024-03-15 04:19:06"},
                                       set()),
    "giacenze_earn_reward_records_unpaired.csv": (None, "header", {2: "2024-03-19 05:35:28"}, set()),
})
ONE_SIDED["fifo_ts_unpaired_buy.csv"] = {4}
ONE_SIDED["localcrypto_sheet_xml_only.xlsx"] = {11}
SWAP_KINDS = {"trade", "convert", "dust", "card_buy"}


def test_every_corpus_file_is_listed():
    on_disk = {p.name for p in REAL.iterdir() if p.suffix in (".csv", ".zip", ".xlsx")}
    assert on_disk == set(CORPUS)


def _parse(name: str, tz: str | None):
    parser = StatementParser(source_ref=name, file_name=name, tz=tz)
    with open(REAL / name, "rb") as fh:
        txs = parser.parse(fh)
    return txs, parser.stats


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_corpus_file(name):
    tz, zone_source, times, rejected_lines = CORPUS[name]
    txs, stats = _parse(name, tz)
    assert stats.zone["source"] == zone_source

    # every row in exactly one event, or rejected with its line and a reason
    lines = [line for tx in txs for line in tx.meta["lines"]]
    assert len(lines) == len(set(lines)) == stats.accepted
    assert {r.line for r in stats.rejected} == rejected_lines
    assert all(r.reason for r in stats.rejected)
    assert not set(lines) & rejected_lines
    assert stats.accepted + stats.rejected_count == stats.rows

    # each event's legs sum to its own rows' Change per (account, coin); all events to the file's
    for tx in txs:
        own: dict[tuple[str, str], Decimal] = {}
        for _line, _time, account, _op, coin, change, _remark in tx.source.raw:
            key = (coin, account_wallet(account))
            own[key] = own.get(key, Decimal(0)) + Decimal(change)
        if "reward_record" in tx.meta:  # Binance's record of a reward another row pays: no legs
            record = tx.meta["reward_record"]
            assert not tx.legs and own == {(record["asset"], record["wallet"]): Decimal(record["amount"])}
            continue
        assert legs_sum([tx]) == own, tx.meta["lines"]
    assert legs_sum(txs) == stats.balance_sums()
    assert stats.reward_records.records == sum("reward_record" in tx.meta for tx in txs)

    # no trade one-sided (unless the file holds only that side, flagged), none swapping an asset
    # for itself
    one_sided: set[int] = set()
    for tx in txs:
        if tx.kind in SWAP_KINDS:
            core = [leg for leg in tx.legs if leg.role != "fee" and leg.amount != 0]
            got = {leg.asset for leg in core if leg.amount > 0}
            gave = {leg.asset for leg in core if leg.amount < 0}
            if not (got and gave):
                assert tx.meta.get("one_sided"), (name, tx.kind, tx.meta["lines"])
                one_sided.update(tx.meta["lines"])
            assert not got & gave, (name, tx.meta["lines"])
    assert one_sided == ONE_SIDED.get(name, set())

    # times in the right zone
    by_line = {line: tx for tx in txs for line in tx.meta["lines"]}
    for line, utc in times.items():
        expected = int(dt.datetime.fromisoformat(utc).replace(tzinfo=dt.UTC).timestamp()) * 1000
        assert by_line[line].time_ms == expected, (name, line)
