"""The cause and period of a reconciliation difference (issue 15 item 2), on plain data, and the
CLI's `--now-ms` (item 5): the value used is printed, so a statement and an API describe one account."""

from __future__ import annotations

import json
from decimal import Decimal

from binsync.binance.catalogue import BINANCE_LAUNCH_MS
from binsync.sync.reconcile_wallets import Context, StoredLedger, reconcile, summary_line
from binsync.sync.wallet_balances import LiveBalances
from binsync_local.cli import main

DAY = 86_400_000
NOW = 1_795_000_000_000
FIRST = NOW - 900 * DAY


def _ledger(**balances: str) -> StoredLedger:
    return StoredLedger(balances={tuple(k.split("__")): Decimal(v) for k, v in balances.items()},  # type: ignore[misc]
                        first_ms=FIRST)


def _live(**balances: str) -> LiveBalances:
    live = LiveBalances()
    for key, value in balances.items():
        wallet, asset = key.split("__")
        live.wallets.setdefault(wallet, {})[asset] = Decimal(value)
        live.read.setdefault(wallet, []).append("x")
    return live


def _row(report: dict, wallet: str, asset: str) -> dict:
    return next(r for r in report["results"] if (r["wallet"], r["asset"]) == (wallet, asset))


def test_without_a_statement_a_difference_lies_in_a_period_only_a_statement_can_fill():
    ctx = Context(now_ms=NOW, first_sync_ms=NOW, listed_assets={"BTC", "USDT"})
    report = reconcile(_ledger(funding__EUR="10"), _live(funding__EUR="25"), ctx)
    row = _row(report, "funding", "EUR")
    assert (row["status"], row["difference"], row["cause"]) == ("difference", "15", "statement_period")
    assert row["statement_uploaded"] is False
    assert row["period"] == {"from_ms": BINANCE_LAUNCH_MS, "to_ms": NOW}
    assert summary_line(report) == "reconciliation: 0/1 assets balance in 1 wallets"


def test_a_retention_horizon_names_the_endpoint_and_ends_at_the_horizon():
    horizon = NOW - 90 * DAY
    ctx = Context(now_ms=NOW, first_sync_ms=NOW, listed_assets={"USDT"},
                  beyond_retention=[{"product": "usdm", "endpoint": "usdm.income", "before": horizon}])
    row = _row(reconcile(_ledger(usdm__USDT="1"), _live(usdm__USDT="3.5"), ctx), "usdm", "USDT")
    assert row["cause"] == "beyond_retention" and row["candidates"][0]["endpoint"] == "usdm.income"
    assert row["period"] == {"from_ms": BINANCE_LAUNCH_MS, "to_ms": horizon}
    # A horizon of a product that never moves this wallet is no explanation for it.
    row = _row(reconcile(_ledger(spot__USDT="1"), _live(spot__USDT="2"), ctx), "spot", "USDT")
    assert row["cause"] == "statement_period"


def test_an_asset_no_listed_market_trades_points_at_a_delisted_market():
    ctx = Context(now_ms=NOW, first_sync_ms=NOW - DAY, listed_assets={"BTC", "USDT"})
    report = reconcile(_ledger(spot__USDT="5"), _live(spot__USDT="7", spot__OLD="3"), ctx)
    row = _row(report, "spot", "OLD")
    assert row["cause"] == "delisted_market" and row["period"]["to_ms"] == NOW - DAY
    # That market's fills moved its quote asset too.
    assert _row(report, "spot", "USDT")["cause"] == "delisted_market"


def test_once_statements_cover_the_whole_life_a_difference_is_unexplained_or_kept_as_other():
    covered = [(FIRST - DAY, NOW - 300 * DAY), (NOW - 301 * DAY, NOW)]  # two files, overlapping
    ctx = Context(now_ms=NOW, first_sync_ms=NOW, listed_assets={"BTC"}, statement_periods=covered,
                  beyond_retention=[{"product": "wallet", "endpoint": "wallet.universal_transfer",
                                     "before": NOW - 180 * DAY}])
    ledger = _ledger(spot__BTC="1", funding__BTC="2")
    ledger.other[("funding", "BTC")] = [NOW - 5 * DAY]
    report = reconcile(ledger, _live(spot__BTC="1.5", funding__BTC="2.5"), ctx)
    spot = _row(report, "spot", "BTC")
    assert spot["cause"] == "unexplained" and spot["statement_uploaded"] is True
    funding = _row(report, "funding", "BTC")
    assert funding["cause"] == "kept_as_other" and funding["period"]["from_ms"] == NOW - 5 * DAY
    # A gap between the files leaves that gap to fill, named.
    gap = Context(now_ms=NOW, first_sync_ms=NOW, listed_assets={"BTC"},
                  statement_periods=[(FIRST, NOW - 300 * DAY), (NOW - 200 * DAY, NOW)])
    row = _row(reconcile(_ledger(spot__BTC="1"), _live(spot__BTC="2"), gap), "spot", "BTC")
    assert row["cause"] == "statement_period" and row["statement_uploaded"] is True
    assert row["period"] == {"from_ms": NOW - 300 * DAY + 1, "to_ms": NOW - 200 * DAY - 1}


def test_a_wallet_without_a_balance_endpoint_is_shown_and_never_counted_as_balanced():
    ctx = Context(now_ms=NOW, first_sync_ms=NOW)
    report = reconcile(_ledger(mining__BTC="0.1", spot__BTC="1"), _live(spot__BTC="1"), ctx)
    assert _row(report, "mining", "BTC")["status"] == "not_checked"
    assert (report["balanced"], report["assets"], report["complete"]) == (1, 2, False)


def test_emulator_statement_prints_the_clock_it_used_and_reuses_it(tmp_path, capsys):
    args = ["emulator", "statement", "--profile", "small", "--seed", "3"]
    assert main([*args, "--out", str(tmp_path / "a.csv")]) == 0
    first = json.loads(capsys.readouterr().out)
    assert isinstance(first["now_ms"], int)
    assert main([*args, "--now-ms", str(first["now_ms"]), "--out", str(tmp_path / "b.csv")]) == 0
    second = json.loads(capsys.readouterr().out)
    assert second["now_ms"] == first["now_ms"] and second["uid"] == first["uid"]
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
