"""Waltio import format (spec §9): read as an input, written as an export, round trip."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from binsync.model import Leg, Source, Transaction
from binsync.statement.events import legs_sum
from binsync.statement.waltio import (
    WALTIO_HEADER,
    to_waltio_rows,
    write_waltio_csv,
    write_waltio_xlsx,
)

from .helpers import legs_of, parse
from .test_spec_samples import DATA

# spec §9.4, verbatim
SAMPLE = """Type,Date,Fuseau horaire,Montant reçu,Monnaie ou jeton reçu,Montant envoyé,Monnaie ou jeton envoyé,Frais,Monnaie ou jeton des frais,Exchange / Plateforme,Description,Label,Prix du jeton du montant envoyé,Prix du jeton du montant recu,Prix du jeton des frais,Adresse,Transaction hash,ID Externe
Échange,04/03/2025 09:15:27,GMT,0.1568,ETH,350,USDT,0.000441,BNB,Binance,Achat ETH (2 exécutions),,0.92,2056.12,560.10,,,binance-stmt-2025-03-04T09:15:27-1
Dépôt,02/03/2025 06:01:00,GMT,0.13421,USDC,,,,,Binance,Simple Earn Flexible Interest,Masternode & Staking,,0.92,,,,binance-stmt-2025-03-02T06:01:00-1
Retrait,11/02/2025 16:44:51,GMT,,,149,USDT,1,USDT,Binance,Retrait USDT,Transfert entre compte,0.95,,0.95,TXyz...,0xabc...,binance-wd-8f1c
Dépôt,13/03/2025 16:43:41,GMT,27.384,USDT,,,,,Binance,Futures USDⓈ-M realized PnL,Gain de produit dérivé,,0.93,,,,binance-stmt-2025-03-13T16:43:41-2
Retrait,12/03/2025 08:00:02,GMT,,,0.07779065,USDT,,,Binance,Funding Fee,Frais,0.93,,,,,binance-stmt-2025-03-12T08:00:02-1
Dépôt,02/12/2024 07:00:00,GMT,1.24,ME,,,,,Binance,HODLer Airdrops Distribution,Airdrop,,3.10,,,,binance-stmt-2024-12-02T07:00:00-1
"""  # noqa: E501


def test_the_spec_sample_is_detected_and_read():
    txs, stats = parse(SAMPLE.encode(), uid="123456789")
    assert stats.file_kind == "waltio" and stats.rejected_count == 0
    assert [tx.kind for tx in txs] == ["trade", "reward", "withdrawal", "futures_pnl", "fee", "airdrop"]
    trade, _, withdrawal, *_ = txs
    assert legs_of(trade) == {("ETH", "0.1568", "spot", "in"), ("USDT", "-350", "spot", "out"),
                              ("BNB", "-0.000441", "spot", "fee")}
    assert trade.time.strftime("%Y-%m-%d %H:%M:%S") == "2025-03-04 09:15:27"
    assert legs_of(withdrawal) == {("USDT", "-149", "spot", "out"), ("USDT", "-1", "spot", "fee")}
    assert withdrawal.meta["tx_hash"] == "0xabc..." and withdrawal.meta["address"] == "TXyz..."
    assert len({tx.id for tx in txs}) == 6
    # the same file again: same ids (its ID Externe)
    again, _ = parse(SAMPLE.encode(), uid="123456789")
    assert [tx.id for tx in again] == [tx.id for tx in txs]


def test_decimal_commas_time_zones_and_the_14_column_subset():
    text = ("Type;Date;Fuseau horaire;Montant reçu;Monnaie ou jeton reçu;Montant envoyé;"
            "Monnaie ou jeton envoyé;Frais;Monnaie ou jeton des frais\n"
            'Dépôt;01/01/2025 01:00:00;GMT+1:00;"0,01713112";BTC;;;;\n'
            "Retrait;01/01/2025 00:00:00;GMT-3:30;;;5;ETH;0,01;ETH\n"
            "Swap;01/01/2025 00:00:00;GMT;1;BTC;;;;\n"
            "Dépôt;31/02/2025 00:00:00;GMT;1;BTC;;;;\n")
    txs, stats = parse(text.encode(), uid="1")
    assert [(r.line, r.reason.split(" (")[0]) for r in stats.rejected] == [
        (4, "bad Type 'Swap'"), (5, "bad date '31/02/2025 00:00:00'")]
    deposit, withdrawal = txs
    assert deposit.time.strftime("%Y-%m-%d %H:%M:%S") == "2025-01-01 00:00:00"
    assert withdrawal.time.strftime("%Y-%m-%d %H:%M:%S") == "2025-01-01 03:30:00"
    assert legs_of(deposit) == {("BTC", "0.01713112", "spot", "in")}
    assert legs_of(withdrawal) == {("ETH", "-5", "spot", "out"), ("ETH", "-0.01", "spot", "fee")}


def _tx(kind: str, *legs: tuple[str, str, str, str], tid: str = "a" * 32) -> Transaction:
    return Transaction(tid, "1", 1_741_079_727_000, kind,
                       tuple(Leg(a, Decimal(v), w, r) for a, v, w, r in legs), Source("api", "x"))


def test_export_rows_follow_the_18_columns():
    rows = list(to_waltio_rows([
        _tx("trade", ("ETH", "0.1568", "spot", "in"), ("USDT", "-350", "spot", "out"),
            ("BNB", "-0.000441", "spot", "fee")),
        _tx("transfer", ("USDT", "-500", "spot", "out"), ("USDT", "500", "funding", "in"), tid="b" * 32),
        _tx("interest", ("USDC", "0.13421", "earn", "in"), tid="c" * 32),
        _tx("dust", ("SHIB", "-15200", "spot", "out"), ("DOGE", "-1.91", "spot", "out"),
            ("BNB", "0.00094112", "spot", "in"), tid="d" * 32),
        _tx("fee", ("USDT", "-0.18", "usdm", "fee"), tid="e" * 32),
    ]))
    assert all(tuple(row) == WALTIO_HEADER for row in rows)
    trade = rows[0]
    assert (trade["Type"], trade["Date"], trade["Fuseau horaire"], trade["Montant reçu"],
            trade["Monnaie ou jeton reçu"], trade["Montant envoyé"], trade["Frais"],
            trade["Monnaie ou jeton des frais"], trade["ID Externe"]) == (
        "Échange", "04/03/2025 09:15:27", "GMT", "0.1568", "ETH", "350", "0.000441", "BNB", "a" * 32)
    # the internal transfer nets to zero across wallets: nothing for Waltio
    assert [r["ID Externe"][:1] for r in rows[1:]] == ["c", "d", "d", "d", "e"]
    assert (rows[1]["Type"], rows[1]["Label"]) == ("Dépôt", "Masternode & Staking")
    assert [(r["Type"], r["Label"]) for r in rows[2:5]] == [("Dépôt", "Swap"), ("Retrait", "Swap"),
                                                             ("Retrait", "Swap")]
    assert [r["ID Externe"] for r in rows[2:5]] == ["d" * 32, "d" * 32 + "-1", "d" * 32 + "-2"]
    assert (rows[5]["Type"], rows[5]["Label"], rows[5]["Montant envoyé"]) == ("Retrait", "Frais", "0.18")


def _net_by_asset(txs):
    out: dict[str, Decimal] = {}
    for (asset, _), value in legs_sum(txs).items():
        out[asset] = out.get(asset, Decimal(0)) + value
    return {a: v for a, v in out.items() if v}


def test_statement_to_waltio_and_back_keeps_ids_times_and_amounts():
    with open(DATA / "spec_samples.csv", "rb") as fh:
        original, _ = parse(fh.read())
    buf = io.StringIO()
    write_waltio_csv(original, buf)
    back, stats = parse(buf.getvalue().encode("utf-8"), uid="123456789")
    assert stats.file_kind == "waltio" and stats.rejected_count == 0
    exported = [tx for tx in original if _net_by_asset([tx])]  # internal transfers are not exported
    assert [(tx.id, tx.time_ms) for tx in back] == [(tx.id, tx.time_ms) for tx in exported]
    for before, after in zip(exported, back, strict=True):
        assert _net_by_asset([after]) == _net_by_asset([before])
    assert _net_by_asset(back) == _net_by_asset(original)


def test_xlsx_export_reads_back(tmp_path):
    with open(DATA / "spec_samples.csv", "rb") as fh:
        original, _ = parse(fh.read())
    path = tmp_path / "waltio.xlsx"
    write_waltio_xlsx(original, str(path))
    back, stats = parse(path.read_bytes(), uid="123456789")
    assert stats.file_kind == "waltio" and stats.container == "xlsx" and stats.rejected_count == 0
    assert _net_by_asset(back) == _net_by_asset(original)


def test_csv_is_plain_rfc4180():
    buf = io.StringIO()
    write_waltio_csv([_tx("deposit", ("BTC", "1E-8", "spot", "in"))], buf)
    header, row = list(csv.reader(io.StringIO(buf.getvalue())))
    assert header == list(WALTIO_HEADER) and row[3] == "0.00000001"


def test_dates_outside_the_supported_range_are_refused_by_line_like_statement_rows():
    """Issue 17 item 4: a pre-1970 row was stored but never listed; a year-9999 one broke the
    `from` filter and the API's own cursor."""
    text = ("Type,Date,Fuseau horaire,Montant reçu,Monnaie ou jeton reçu\n"
            "Dépôt,31/12/1969 23:59:59,GMT,1,BTC\n"
            "Dépôt,01/01/9999 00:00:00,GMT,2,BTC\n"
            "Dépôt,01/01/1970 00:30:00,GMT+1:00,3,BTC\n"
            "Dépôt,01/01/2025 00:00:00,GMT,4,BTC\n")
    txs, stats = parse(text.encode(), uid="1")
    assert [r.line for r in stats.rejected] == [2, 3, 4]
    assert all("outside the supported range" in r.reason and r.reason.startswith("Date")
               for r in stats.rejected)
    assert [legs_of(tx) for tx in txs] == [{("BTC", "4", "spot", "in")}]  # the valid row is kept
