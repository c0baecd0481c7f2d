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
        assert legs_sum([tx]) == own, tx.meta["lines"]
    assert legs_sum(txs) == stats.sums

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
