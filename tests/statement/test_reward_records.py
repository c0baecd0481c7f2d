"""Simple Earn bonuses written twice by 2026 exports: a record on Account Earn and the payment on
Spot (issue 16; GiacenzeCrypto's fixtures, tests/statement/data/real/giacenze_*). The reward is
income once, from the Spot row; the Earn row is kept, with no legs, linked to its payment."""

from __future__ import annotations

import random
from decimal import Decimal

from binsync.statement.events import legs_sum

from .helpers import parse, statement
from .test_real_corpus import REAL

TWINS = REAL / "giacenze_earn_reward_twins.csv"
UNPAIRED = REAL / "giacenze_earn_reward_records_unpaired.csv"


def _rows(path):
    return [line.split(",")[1:] for line in path.read_text().splitlines()[1:]]


def _income(txs):
    return {key: amount for key, amount in legs_sum(txs).items() if amount}


def test_a_bonus_on_earn_and_on_spot_is_income_once():
    txs, stats = parse(TWINS.read_bytes())
    assert _income(txs) == {("USDC", "spot"): Decimal("0.027396"), ("ETH", "spot"): Decimal("0.0001")}
    records = [tx for tx in txs if "reward_record" in tx.meta]
    payments = {tx.id: tx for tx in txs if tx.legs}
    assert len(records) == 2 and len(payments) == 2 and len(txs) == 4  # every row kept
    for record in records:
        assert not record.legs and record.meta["detail_of"]
        paid = payments[record.meta["paid_by"]]
        assert paid.legs[0].asset == record.meta["reward_record"]["asset"]
    assert sorted(r.meta["payment_gap_s"] for r in records) == [0, 3775]  # 03:16:11 -> 04:19:06
    assert stats.to_dict()["reward_records"] == {"rows": 2, "paid_in_file": 2, "payment_not_in_file": 0,
                                                 "payment_not_in_file_lines": []}
    # the file's Change column counts the bonus twice; the legs equal it less the records
    assert stats.sums[("USDC", "earn")] == Decimal("0.027396")
    assert stats.balance_sums() == _income(txs)


def test_links_do_not_depend_on_the_files_order():
    rows = _rows(TWINS)
    ascending, _ = parse(statement(rows, uid="1"))
    descending, _ = parse(statement(rows[::-1], uid="1"))
    shuffled = rows[:]
    random.Random(7).shuffle(shuffled)
    mixed, _ = parse(statement(shuffled, uid="1"))

    def links(txs):
        return {tx.id: tx.meta.get("paid_by") for tx in txs}

    assert links(ascending) == links(descending) == links(mixed)
    assert all(links(ascending)[tx.id] for tx in ascending if "reward_record" in tx.meta)


def test_a_record_without_its_payment_is_kept_and_named_never_a_credit():
    txs, stats = parse(UNPAIRED.read_bytes())
    # every Spot row is income; no Earn row is, paired or not
    assert _income(txs) == {("BTC", "spot"): Decimal("0.001"), ("ETH", "spot"): Decimal("0.001"),
                            ("USDC", "spot"): Decimal("0.25"), ("BNB", "spot"): Decimal("0.0000035")}
    report = stats.to_dict()["reward_records"]
    # paired: one of the two BNB records (a payment is the twin of one record only). Not paired:
    # the other BNB record, the BTC record (its Spot row is Locked, another product), the BNB
    # record whose Spot row is ETH, the USDC record two days before its Spot row.
    assert report["rows"] == 5 and report["paid_in_file"] == 1 and report["payment_not_in_file"] == 4
    # the BNB payment at 05:36:26 is the twin of the earlier record (line 9, 04:35:28), as in
    # GiacenzeCrypto's unaRigaSpotFaDaGemellaAUnaSolaEarn
    assert sorted(report["payment_not_in_file_lines"]) == [3, 5, 8, 10]
    bnb = [tx for tx in txs if tx.meta.get("reward_record", {}).get("asset") == "BNB"
           and tx.meta["reward_record"]["amount"] == "0.0000035"]
    assert sorted(bool(tx.meta.get("paid_by")) for tx in bnb) == [False, True]
    assert all(tx.meta["payment_not_in_file"] for tx in bnb if not tx.meta.get("paid_by"))


def test_a_bonus_cut_by_the_export_boundary_is_income_once_over_both_files():
    rows = _rows(TWINS)
    first, _ = parse(statement(rows[:1], uid="1"))   # ends after the Earn record
    second, _ = parse(statement(rows[1:], uid="1"))  # starts with its Spot payment
    union = {tx.id: tx for tx in first + second}
    assert _income(union.values()) == _income(parse(TWINS.read_bytes())[0])
    assert first[0].meta["payment_not_in_file"]


def test_the_payments_id_is_the_one_an_export_without_records_gives():
    rows = _rows(TWINS)
    old_export, _ = parse(statement([r for r in rows if r[1] == "Spot"], uid="1"))
    new_export, _ = parse(statement(rows, uid="1"))
    assert {tx.id for tx in old_export} == {tx.id for tx in new_export if tx.legs}
