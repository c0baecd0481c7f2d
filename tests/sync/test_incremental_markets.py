"""Incremental syncs walk only the spot markets that can have new fills, on the real state machine
(embedded cloud) with the in-process fake Binance: the snapshot taken at plan time, the market
state kept on the connection, and what a resync finds."""

from __future__ import annotations

import pytest
from binsync.binance.catalogue import DAY_MS
from binsync.binance.errors import TransientError
from binsync.model import transaction_id
from binsync.storage.models import ConnectionModel, RunModel, TaskModel, TransactionModel, account_key
from binsync.sync.planner import RULE_ALL, RULE_CHANGED
from binsync.sync.start import start_sync

from .fakes import GONE, NOW, TRADES, FakeBinance, connect, trade_row

UID = "778"
USER = "user-m"
ENDPOINTS = "spot.my_trades"
TRADED = ["BTCUSDT", "OLDBTC"]  # the fake's markets with fills
ALL = ["BTCUSDT", "DOGEUSDT", "ETHBTC", GONE, "OLDBTC", "XRPUSDT"]


@pytest.fixture
def env(cloud, monkeypatch):
    fake = FakeBinance()
    fake.known_markets.update(XRPUSDT=("XRP", "USDT", "TRADING"), DOGEUSDT=("DOGE", "USDT", "TRADING"))
    fake.balances = {"BTC": "19.5", "USDT": "1000", "ETH": "3"}
    connect(monkeypatch, fake, user=USER, uid=UID, only_endpoints=ENDPOINTS)
    return cloud, fake


def _sync(cloud, fake, mode):
    fake.calls.clear()
    run = start_sync(USER, "c1", mode, "test")
    describe = cloud.wait_execution(run.execution_arn, timeout=120)
    run = RunModel.get("c1", run.run_id)
    walked = sorted(s for ep, s in fake.calls if ep == "spot.my_trades")
    return run, describe, walked


def _stored_ids() -> list[str]:
    return [item.tx_id for item in TransactionModel.by_account.query(account_key(USER, UID))]


def _fill_id(symbol: str, trade_id: int) -> str:
    return transaction_id(UID, "api", f"spot_trade:{symbol}:{trade_id}")


def test_a_fill_in_a_never_traded_market_is_found_and_unchanged_balances_walk_only_traded_markets(env):
    cloud, fake = env
    run, describe, walked = _sync(cloud, fake, "full")
    assert describe["status"] == "SUCCEEDED", describe
    assert walked == ALL and run.coverage["spot"]["markets"]["rule"] == RULE_ALL
    assert run.spot_balances_at_plan == {"BTC": "19.5", "ETH": "3", "USDT": "1000"}
    connection = ConnectionModel.get(USER, "c1")
    assert connection.traded_markets == TRADED
    assert connection.last_success_balances == run.spot_balances_at_plan
    assert connection.last_all_markets_at == run.window_end == NOW

    # A week later: a first fill in XRPUSDT (bought 10 XRP for 5 USDT, fee in XRP).
    fill = {**trade_row("BTCUSDT", 900), "symbol": "XRPUSDT", "commissionAsset": "XRP"}
    fake.trades["XRPUSDT"] = [fill]
    fake.balances.update(XRP="9.99", USDT="995")
    run, describe, walked = _sync(cloud, fake, "incremental")
    assert describe["status"] == "SUCCEEDED", describe
    # traded markets + every market of XRP or USDT; ETHBTC, GONEBTC (no XRP/USDT, never traded) skipped
    assert walked == ["BTCUSDT", "DOGEUSDT", "OLDBTC", "XRPUSDT"]
    note = run.coverage["spot"]["markets"]
    assert note["rule"] == RULE_CHANGED and (note["walked"], note["of"]) == (4, len(ALL))
    assert note["changed_assets"] == ["USDT", "XRP"] and run.coverage["spot"]["complete"] is True
    ids = _stored_ids()
    assert ids.count(_fill_id("XRPUSDT", 900)) == 1 and len(ids) == len(set(ids))
    assert len(ids) == sum(len(rows) for rows in TRADES.values()) + 1
    connection = ConnectionModel.get(USER, "c1")
    assert connection.traded_markets == sorted([*TRADED, "XRPUSDT"])
    assert connection.last_success_balances == {"BTC": "19.5", "ETH": "3", "USDT": "995", "XRP": "9.99"}
    assert connection.last_all_markets_at == NOW  # this run did not walk every market

    # Nothing moved since: only the three markets with fills are asked (3 x weight 20, not 6 x).
    run, describe, walked = _sync(cloud, fake, "incremental")
    assert describe["status"] == "SUCCEEDED", describe
    assert walked == sorted([*TRADED, "XRPUSDT"]) and run.records == 0
    assert run.coverage["spot"]["markets"]["walked"] == 3
    assert run.coverage["spot"]["markets"]["changed_assets"] == []


def test_no_market_can_have_fills_plans_no_market_task_and_completes(env):
    cloud, fake = env
    fake.trades.clear()
    run, describe, walked = _sync(cloud, fake, "full")
    assert describe["status"] == "SUCCEEDED" and walked == ALL
    assert ConnectionModel.get(USER, "c1").traded_markets == []
    run, describe, walked = _sync(cloud, fake, "incremental")
    assert describe["status"] == "SUCCEEDED", describe
    assert walked == [] and run.tasks_total == 0
    assert run.coverage["spot"]["complete"] is True and run.coverage["spot"]["markets"]["walked"] == 0


def test_stale_full_walk_or_unreadable_balances_walk_every_market(env):
    cloud, fake = env
    _sync(cloud, fake, "full")
    connection = ConnectionModel.get(USER, "c1")
    connection.update(actions=[ConnectionModel.last_all_markets_at.set(NOW - 29 * DAY_MS)])
    run, describe, walked = _sync(cloud, fake, "incremental")
    assert describe["status"] == "SUCCEEDED" and walked == ALL
    assert run.coverage["spot"]["markets"]["rule"] == RULE_ALL
    assert ConnectionModel.get(USER, "c1").last_all_markets_at == NOW  # the walk is recorded again

    fake.balance_error = TransientError
    run, describe, walked = _sync(cloud, fake, "incremental")
    assert describe["status"] == "SUCCEEDED" and walked == ALL and run.spot_balances_at_plan is None
    # A success without a snapshot leaves no baseline: the next incremental walks everything too.
    assert ConnectionModel.get(USER, "c1").last_success_balances is None
    fake.balance_error = None
    _, _, walked = _sync(cloud, fake, "incremental")
    assert walked == ALL
    _, _, walked = _sync(cloud, fake, "incremental")
    assert walked == TRADED


def test_markets_whose_fills_an_earlier_failed_run_stored_are_known_as_traded(env):
    cloud, fake = env
    fake.fail_always["spot.my_trades:OLDBTC"] = TransientError
    run, describe, _ = _sync(cloud, fake, "full")
    assert describe["status"] == "FAILED"
    assert ConnectionModel.get(USER, "c1").traded_markets is None  # not established by a failure
    fake.fail_always.clear()
    run, describe, _ = _sync(cloud, fake, "full")
    assert describe["status"] == "SUCCEEDED", describe
    btc = next(t for t in TaskModel.query(run.run_id) if t.symbol == "BTCUSDT")
    assert btc.records == 0  # stored by the failed run: this run's task counts none
    assert ConnectionModel.get(USER, "c1").traded_markets == TRADED  # from the stored fills

    # Once established, a failed run's new fills are added too (they stay stored).
    fake.trades["ETHBTC"] = [{**trade_row("BTCUSDT", 901), "symbol": "ETHBTC", "commissionAsset": "ETH"}]
    fake.balances.update(ETH="4")
    fake.fail_always["spot.my_trades:OLDBTC"] = TransientError  # after ETHBTC in the Map item
    run, describe, walked = _sync(cloud, fake, "incremental")
    assert describe["status"] == "FAILED" and "ETHBTC" in walked
    connection = ConnectionModel.get(USER, "c1")
    assert connection.traded_markets == sorted([*TRADED, "ETHBTC"])
    assert connection.last_success_balances == {"BTC": "19.5", "ETH": "3", "USDT": "1000"}  # untouched



def test_an_incremental_walk_resumes_each_id_chain_where_the_last_finished_walk_ended(env):
    """A weekly resync re-read every fill of every walked market from id 0 (the reference
    resync: 18,976 spot fills read again and checked against the table, 22,079 read units for
    no new record). Now each chain starts past the highest id its last finished walk read; a
    `full` sync still walks from the first fill."""
    from binsync.binance.catalogue import ENDPOINTS as CATALOGUE
    from binsync.binance.pagination import resume_state
    from binsync.sync import ledger
    from binsync.sync.ledger import scope_key

    cloud, fake = env
    run, describe, _ = _sync(cloud, fake, "full")
    assert describe["status"] == "SUCCEEDED", describe
    assert all(c is None for c in fake.cursors["spot.my_trades:BTCUSDT"])
    known = ledger.load("c1")
    btc, old = scope_key(ENDPOINTS, {}, "BTCUSDT"), scope_key(ENDPOINTS, {}, "OLDBTC")
    assert known.chain_next[btc] == 26 and known.chain_next[old] == 4  # ids 1-25 and 1-3 read
    assert scope_key(ENDPOINTS, {}, "DOGEUSDT") not in known.chain_next  # no fill: from id 0 again

    fake.cursors.clear()
    fake.trades["BTCUSDT"].append(trade_row("BTCUSDT", 26))
    fake.balances.update(BTC="20.499")
    run, describe, _ = _sync(cloud, fake, "incremental")
    assert describe["status"] == "SUCCEEDED", describe
    spot = CATALOGUE[ENDPOINTS]
    assert fake.cursors["spot.my_trades:BTCUSDT"] == [resume_state(spot, 26, run.window_end)]
    assert fake.cursors["spot.my_trades:OLDBTC"] == [resume_state(spot, 4, run.window_end)]
    assert ledger.load("c1").chain_next[btc] == 27
    assert _stored_ids().count(_fill_id("BTCUSDT", 26)) == 1

    # a failed walk does not move the resume point; a full sync starts at the first fill
    fake.cursors.clear()
    fake.fail_always["spot.my_trades:BTCUSDT"] = TransientError
    fake.trades["BTCUSDT"].append(trade_row("BTCUSDT", 27))
    fake.balances.update(BTC="21.498")
    _sync(cloud, fake, "incremental")
    assert ledger.load("c1").chain_next[btc] == 27
    fake.fail_always.clear()
    fake.cursors.clear()
    run, describe, _ = _sync(cloud, fake, "full")
    assert describe["status"] == "SUCCEEDED", describe
    assert all(c is None for c in fake.cursors["spot.my_trades:BTCUSDT"])
    assert ledger.load("c1").chain_next[btc] == 28
