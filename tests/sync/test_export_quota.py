"""The monthly quota of the asynchronous futures exports, counted across runs (issue 14 item 2).

Binance allows 5 download requests per export endpoint a month, shared with the website
(spec §5.6.2). The plan asks for no more than what is left this month and names the rest as a
gap with the month it can be read; the count survives the run (the connection row), and a
refusal means the rest of the month is spent, so a later run asks no more.
"""

from __future__ import annotations

from binsync.binance.catalogue import ENDPOINTS
from binsync.storage.models import ConnectionModel, RunModel, TaskModel
from binsync.sync import export_quota
from binsync.sync.export_plan import export_endpoints, plan_exports
from binsync_local.cli.sync_cmd import ProgressBar, allow_base_url, follow_run
from binsync_local.emulator.generator import generate_account
from binsync_local.emulator.server import EmulatorServer

NOW = 1_780_000_000_000  # 2026-05-28
MONTH = export_quota.month_of(NOW)
INCOME, TRADES = ENDPOINTS["usdm.income_export"], ENDPOINTS["usdm.trades_export"]


def test_the_plan_asks_only_for_what_is_left_this_month_and_names_the_rest_with_its_month():
    live = {"usdm.income", "usdm.user_trades"}
    tasks, beyond, covered = plan_exports(live, 1_500_000_000_000, NOW, lambda ep: None,
                                          quota_left={INCOME.name: 2, TRADES.name: 0})
    income = [t for t in tasks if t.endpoint == INCOME.name]
    horizon = NOW - ENDPOINTS["usdm.income"].retention_ms
    assert len(income) == 2 and income[0].window_end == horizon - 1  # the newest windows first
    assert not [t for t in tasks if t.endpoint == TRADES.name]
    gaps = {b["endpoint"]: b for b in beyond}
    assert gaps[INCOME.name]["before"] == income[-1].window_start
    trades_horizon = NOW - ENDPOINTS["usdm.user_trades"].retention_ms
    assert gaps[TRADES.name]["before"] == trades_horizon  # nothing read past the horizon
    assert {b["retry_month"] for b in beyond} == {"2026-06"} and "2026-06" in gaps[TRADES.name]["reason"]
    assert covered == live  # the live endpoints' own "beyond retention" entries are replaced


def test_months_roll_over():
    assert export_quota.next_month("2026-12") == "2027-01" and export_quota.next_month("2026-05") == "2026-06"
    assert export_quota._previous("2027-01") == "2026-12"


def _connection() -> ConnectionModel:
    row = ConnectionModel(user_id="u", connection_id="c", binance_uid="1", secret_name="s", created_at=1)
    row.save()
    return row


def test_spent_requests_and_refusals_are_remembered_for_later_runs(cloud):
    _connection()
    for _ in range(3):
        export_quota.spend("u", "c", INCOME, NOW)
    ledger = ConnectionModel.get("u", "c").export_quota
    assert export_quota.remaining(ledger, export_endpoints(), NOW)[INCOME.name] == 2
    assert export_quota.remaining(ledger, export_endpoints(), NOW)[TRADES.name] == 5
    export_quota.exhaust("u", "c", TRADES, NOW)  # refused: the website spent the month
    ledger = ConnectionModel.get("u", "c").export_quota
    assert export_quota.remaining(ledger, export_endpoints(), NOW) == {
        INCOME.name: 2, TRADES.name: 0, "coinm.income_export": 5, "coinm.trades_export": 5}
    # A new month starts at the whole quota; months before the previous one are dropped.
    later = NOW + 70 * 86_400_000
    assert export_quota.remaining(ledger, export_endpoints(), later)[TRADES.name] == 5
    export_quota.spend("u", "c", INCOME, later)
    assert set(ConnectionModel.get("u", "c").export_quota) == {export_quota.month_of(later)}


def test_a_month_spent_on_the_website_is_not_asked_again_by_the_next_run(cloud, monkeypatch):
    """The first run's requests are refused (the user spent the quota downloading files); the
    second run of the month asks Binance for none of them and names the windows as gaps."""
    monkeypatch.setenv("SYNC_ONLY_ENDPOINTS", "usdm.income,usdm.user_trades")
    account = generate_account("small", 7)
    server = EmulatorServer(account, time_scale=60).start()
    try:
        allow_base_url(server.base_url)
        creds = server.credentials
        month = export_quota.month_of(server.state.now_ms())
        server.state.exports.used[(creds["api_key"], INCOME.name, month)] = 5  # spent on the website
        status, _, body = cloud.api_request("POST", "/connections", user="uq", body={
            "api_key": creds["api_key"], "api_secret": creds["api_secret"], "base_url": server.base_url,
            "sync_mode": "full"})
        assert status == 201, body
        cid = body["connection_id"]
        first = follow_run(cloud, cid, body["current_run"]["run_id"], timeout=300,
                           progress=ProgressBar(False))
        assert first.status == "succeeded", first.error
        refused = dict(server.state.exports.refused)
        assert refused.get((creds["api_key"], INCOME.name, month)), "nothing refused: the test proves nothing"
        trades = [t for t in TaskModel.query(first.run_id) if t.endpoint == TRADES.name]
        ledger = ConnectionModel.get("uq", cid).export_quota
        assert ledger[month] == {INCOME.name: 5, TRADES.name: len(trades)}

        status, _, sync = cloud.api_request("POST", f"/connections/{cid}/syncs", user="uq",
                                            body={"mode": "full"})
        assert status == 202, sync
        second = follow_run(cloud, cid, sync["run_id"], timeout=300, progress=ProgressBar(False))
        assert second.status == "succeeded", second.error
    finally:
        server.stop()
    assert server.state.exports.refused == refused  # no request the quota would refuse
    assert not [t for t in TaskModel.query(second.run_id) if t.endpoint == INCOME.name]
    run = RunModel.get(cid, second.run_id)
    gap = next(b for b in run.beyond_retention if b["endpoint"] == INCOME.name)
    assert gap["retry_month"] == export_quota.next_month(month)
