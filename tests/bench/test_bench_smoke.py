"""The benchmark code runs (tiny inputs) and its lower bound matches the spec's numbers.

Speed itself is never asserted here (it belongs to `make bench`); these tests keep bench/ from
rotting: every benchmark function runs end to end on a small profile or a 1,000-row statement.
"""

from __future__ import annotations

import pytest
from binsync.binance import catalogue

from bench import capacity, ccxt_baseline, coldstart, fullsync, statement
from bench.tmin import TaskRow, rate_terms, t_min


def test_rate_terms_follow_the_catalogue_limits():
    # spec §3.4: myTrades weight 20 on the shared 6000/min IP bucket -> 300 calls per minute per IP.
    assert rate_terms({"spot.my_trades": 300}, ips=1)["ip:api"] == pytest.approx(60.0)
    assert rate_terms({"spot.my_trades": 300}, ips=8)["ip:api"] == pytest.approx(7.5)
    # fiat/orders: UID 90000 of 180000/min -> 2 calls a minute, whatever the number of IPs.
    assert rate_terms({"fiat.orders": 4}, ips=32)["uid:fiat.orders"] == pytest.approx(120.0)
    # /sapi IP endpoints have their own counter each: two endpoints do not add up.
    terms = rate_terms({"wallet.deposits": 12000, "earn.flexible_rewards": 80}, ips=1)
    assert terms["ip:wallet.deposits"] == pytest.approx(60.0)
    assert terms["ip:earn.flexible_rewards"] == pytest.approx(60.0)


def test_t_min_takes_the_binding_term_in_emulator_seconds():
    rows = [TaskRow("spot.my_trades", 1)] * 600 + [TaskRow("fiat.orders", 1)] * 2
    at_one_ip = t_min(rows, ips=1, time_scale=60, rtt_s=0.001)
    assert at_one_ip["binding"] == "ip" and at_one_ip["t_min_s"] == pytest.approx(2.0)  # 120 Binance s / 60
    at_32 = t_min(rows, ips=32, time_scale=60, rtt_s=0.001)
    assert at_32["binding"] == "uid" and at_32["t_min_s"] == pytest.approx(1.0)  # fiat: 60 Binance s
    slow = t_min(rows, ips=32, time_scale=60, rtt_s=0.5, extra_chain=5)
    assert slow["binding"] == "chain" and slow["t_min_s"] == pytest.approx(3.0)  # (1 + 5) * 0.5 s


def test_time_scale_keeps_one_ip_under_half_the_capacity():
    per_ip = capacity.per_ip_requests_per_s()
    assert per_ip == pytest.approx(catalogue.API_IP.limit / 60 / 20)
    assert capacity.choose_time_scale(56) == 5  # 5 req/s * 5 <= 28
    assert capacity.choose_time_scale(1000) == 60
    assert capacity.choose_time_scale(1) == 1



def test_time_scale_keeps_the_machines_own_time_within_sixty_percent_of_t_min():
    # reference: T_min 600 Binance s (fiat/orders); 85 s of machine time -> N = 4 (T_min 150 s)
    assert capacity.choose_pipeline_time_scale(85, 600, emulator_n=15) == 4
    assert capacity.choose_pipeline_time_scale(85, 600, emulator_n=3) == 3  # never above the emulator's N
    assert capacity.choose_pipeline_time_scale(20, 600, emulator_n=60) == 15
    assert capacity.choose_pipeline_time_scale(900, 600, emulator_n=60) == 1


def test_execution_timing_splits_the_map_from_finish():
    from datetime import datetime, timedelta

    t0 = datetime(2026, 1, 1)

    def ev(s, kind, name):
        return {"timestamp": t0 + timedelta(seconds=s), f"state{kind}EventDetails": {"name": name}}

    history = [{"timestamp": t0}, ev(0, "Entered", "Plan"), ev(2, "Exited", "Plan"),
               ev(2, "Entered", "FetchDistributed"), ev(50, "Exited", "FetchDistributed"),
               ev(50, "Entered", "Finish"), ev(58, "Exited", "Finish"),
               {"timestamp": t0 + timedelta(seconds=59)}]
    timing = fullsync.execution_timing(history)
    assert timing["history_in_s"] == 50 and timing["total_s"] == 59
    assert timing["phases_s"] == {"Plan": 2, "FetchDistributed": 48, "Finish": 8}


@pytest.fixture(scope="module")
def small_account():
    from binsync_local.emulator import generate_account

    return generate_account("small", 3)


def test_sync_and_weekly_resync_on_a_restricted_small_account(small_account):
    out = fullsync.sync_account(small_account, ips=2, time_scale=60, only=("fiat.payments",), resync=True)
    full, resync = out["full"], out["resync"]
    assert full["status"] == "succeeded" and resync["status"] == "succeeded"
    assert full["tasks"] > 0 and full["requests"] >= full["bound"]["requests"]
    assert full["t_min_s"] > 0 and full["bound"]["top_bucket"] == "ip:fiat.payments"
    assert 0 < resync["requests"] < full["requests"]
    assert resync["weight_fraction"] == pytest.approx(resync["weight"] / full["weight"])


def test_ccxt_baseline_reads_every_deposit_and_withdrawal(small_account):
    from binsync.sync.modes import BINANCE_LAUNCH_MS

    out = ccxt_baseline.run_ccxt(small_account, time_scale=60, floor_ms=BINANCE_LAUNCH_MS)
    # Every row the API holds (transactions and noise such as failed deposits), no more, no less.
    assert out["deposits"] == len(small_account.records("wallet.deposits"))
    assert out["withdrawals"] == len(small_account.records("wallet.withdrawals"))
    assert out["markets"] > 0 and out["trades"] > 0 and out["emulator"]["http_418"] == 0


def test_statement_benchmark_on_a_thousand_rows(tmp_path):
    out = statement.bench_statement(tmp_path, rows=1000, small_rows=100, profile="small")
    assert out["file"]["rows"] == 1000
    assert out["binsync"]["rows"] == 1000 and out["binsync"]["rejected"] == 0
    assert out["binsync"]["rows_per_s"] > 0 and out["memory_growth"] > 0
    if statement.BENCH_VENV_PY.exists():  # created by `make bench`
        assert out["bittytax"]["rows"] == 1000, out["bittytax"]
        assert out["speed_ratio"] > 0


def test_coldstart_times_a_handler_import():
    out = coldstart.import_times(repeats=1, names=("plan_sync",))
    assert list(out) == ["plan_sync"] and out["plan_sync"]["median_ms"] > 0


def test_fixed_window_floor_is_one_window_under_the_continuous_bound():
    # fiat/orders 20 calls at 2 per minute: 10 minutes of budget, but the first window's two calls
    # go at once and the last two at the start of the tenth minute: 9 minutes.
    rows = [TaskRow("fiat.orders", 20)]
    bound = t_min(rows, ips=32, time_scale=1, rtt_s=0.001)
    assert bound["t_min_s"] == pytest.approx(600) and bound["window_floor_s"] == pytest.approx(540)
    assert t_min([TaskRow("spot.my_trades", 10)], ips=1, time_scale=1, rtt_s=0.001)["window_floor_s"] \
        == pytest.approx(0.01)  # fits one window: only the chain of round trips remains
