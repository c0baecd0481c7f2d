"""Futures asynchronous exports (issue 14 item 2): parser, planner rule, task state machine, quota.

The export file's layout is undocumented and no public sample was found (catalogue `choice`):
the rows below are Binance's documented JSON examples (spec §5.6.1 and §5.6.2, official
developers.binance.com samples) written in the assumed layout (a header naming the live fields).
"""

from __future__ import annotations

import dataclasses
import itertools

import pytest
from binsync.binance.catalogue import DAY_MS, ENDPOINTS, USDM_LAUNCH_MS
from binsync.binance.client import Page
from binsync.model import transaction_id
from binsync.normalise import normalise
from binsync.sync import exports
from binsync.sync.errors import RETRYABLE_ERRORS
from binsync.sync.export_file import ExportFileError, parse_export
from binsync.sync.export_plan import QUOTA_REASON, plan_exports
from binsync.sync.export_quota import month_of, next_month
from binsync.sync.planner import PlanInputs, build_plan
from binsync_local.emulator.api import ApiError
from binsync_local.emulator.exports import QUOTA_CODE, ExportJobs, to_csv
from binsync_local.emulator.generator import generate_account

# spec §5.6.2, official sample (the COMMISSION row; tranId a string there, a number in the SDK).
INCOME_LIVE = {"symbol": "BTCUSDT", "incomeType": "COMMISSION", "income": "-0.01000000", "asset": "USDT",
               "info": "COMMISSION", "time": 1570636800000, "tranId": 9689322392, "tradeId": "2059192"}
# spec §5.6.1, official sample.
TRADE_LIVE = {"buyer": False, "commission": "-0.07819010", "commissionAsset": "USDT", "id": 698759,
              "maker": False, "orderId": 25851813, "price": "7819.01", "qty": "0.002", "quoteQty": "15.63802",
              "realizedPnl": "-0.91539999", "side": "SELL", "positionSide": "SHORT", "symbol": "BTCUSDT",
              "time": 1569514978020}
UID = "1234"


def _ids(endpoint: str, rows: list[dict]) -> list[str]:
    return [t.id for t in normalise(endpoint, rows, uid=UID, context={}).transactions]


def test_an_exported_row_is_the_live_record_with_the_same_id():
    # Columns in another order, plus one the parser does not know: header-driven, ignored.
    income_csv = ("tranId,time,asset,incomeType,income,symbol,info,tradeId,Remark\n"
                  "9689322392,1570636800000,USDT,COMMISSION,-0.01000000,BTCUSDT,COMMISSION,2059192,x\n")
    parsed = parse_export("usdm.income", income_csv)
    assert parsed.rows == [INCOME_LIVE] and not parsed.rejected
    assert _ids("usdm.income", parsed.rows) == _ids("usdm.income", [INCOME_LIVE])
    trades_csv = to_csv("usdm.user_trades", [TRADE_LIVE])
    parsed = parse_export("usdm.user_trades", trades_csv.encode("utf-8-sig"))  # a BOM is tolerated
    assert parsed.rows == [TRADE_LIVE]
    assert _ids("usdm.user_trades", parsed.rows) == _ids("usdm.user_trades", [TRADE_LIVE])


def test_a_missing_required_column_is_named_and_a_bad_line_is_kept_apart():
    with pytest.raises(ExportFileError, match="tranId"):
        parse_export("usdm.income", "symbol,incomeType,income,asset,time\n,TRANSFER,1,USDT,1\n")
    text = ("symbol,incomeType,income,asset,info,time,tranId,tradeId\n"
            ",TRANSFER,5,USDT,TRANSFER,not-a-time,11,\n"
            ",TRANSFER,7,USDT,TRANSFER,1570608000000,12,\n")
    parsed = parse_export("usdm.income", text)
    assert parsed.rejected == ["line 2: time: invalid literal for int() with base 10: 'not-a-time'"]
    assert [r["tranId"] for r in parsed.rows] == [12]


NOW = 1_796_000_000_000  # 2026-11-30


def _plan(start_ms: int, now_ms: int = NOW):
    return build_plan(PlanInputs(start_ms=start_ms, now_ms=now_ms, symbols={"usdm": ["BTCUSDT"]},
                                 only=frozenset({"usdm.income", "usdm.user_trades", "coinm.income"})))


def test_exports_are_planned_only_past_the_horizon_newest_first_within_the_quota():
    plan = _plan(1_500_001_200_000)  # a full sync from Binance's launch
    income = [t for t in plan.tasks if t.endpoint == "usdm.income_export"]
    horizon = NOW - ENDPOINTS["usdm.income"].retention_ms
    assert len(income) == ENDPOINTS["usdm.income_export"].extra["monthly_quota"] == 5
    assert income[0].window_end == horizon - 1  # newest first, up to the live horizon
    assert all(t.window_end - t.window_start < 365 * DAY_MS for t in income)  # "≤ 1 year"
    assert all(b.window_end + 1 == a.window_start for a, b in itertools.pairwise(income))
    trades = [t for t in plan.tasks if t.endpoint == "usdm.trades_export"]
    assert trades[0].window_end == NOW - ENDPOINTS["usdm.user_trades"].retention_ms - 1
    # 2019-09 (launch) .. the horizon is more than 5 years: the rest is named, not dropped.
    cut = [b for b in plan.beyond_retention if b["endpoint"] == "usdm.income_export"]
    retry = next_month(month_of(NOW))
    assert cut == [{"product": "usdm", "endpoint": "usdm.income_export", "before": income[-1].window_start,
                    "retry_month": retry, "reason": QUOTA_REASON.format(month=retry)}]
    assert income[-1].window_start > USDM_LAUNCH_MS
    # The live endpoints' "beyond retention" entries are replaced by the exports'.
    assert not [b for b in plan.beyond_retention if b["endpoint"] in ("usdm.income", "usdm.user_trades")]
    # COIN-M income has no documented horizon: the live walk reads it all.
    assert not [t for t in plan.tasks if t.endpoint == "coinm.income_export"]


def test_a_sync_starting_inside_the_horizon_plans_no_export():
    plan = _plan(NOW - 9 * DAY_MS)  # the weekly incremental (last success - 2 days)
    assert not [t for t in plan.tasks if t.endpoint.endswith("_export")]
    assert plan_exports({"usdm.income"}, NOW - 10 * DAY_MS, NOW, lambda ep: None) == ([], [], set())


def test_no_export_without_the_futures_permission():
    tasks, _, _ = plan_exports({"usdm.income"}, 0, NOW, lambda ep: "no futures permission")
    assert tasks == []


class _Client:
    """Answers the download-id request and the link polls from scripts."""

    def __init__(self, statuses: list[str]):
        self.statuses = statuses
        self.calls: list[str] = []
        self.deadline = None

    def request(self, ep, params):
        self.calls.append(ep.name)
        if ep.pagination == "export":
            return {"avgCostTimestampOfLast30d": 7241837, "downloadId": "546975389218332672"}
        status = self.statuses.pop(0)
        return {"downloadId": params["downloadId"], "status": status,
                "url": "" if status == "processing" else "http://files/x.csv"}


def test_a_file_still_processing_hands_back_a_retryable_error_and_the_retry_spends_no_quota(monkeypatch):
    ep = ENDPOINTS["usdm.income_export"]
    client = _Client(["processing"] * 50)
    clock = iter(range(0, 1000, 5))  # 5 s per poll: the poll budget runs out
    pages = exports.iter_export_pages(client, ep, start_ms=0, end_ms=1, cursor=None, rejected=[],
                                      sleep=lambda s: None, clock=lambda: next(clock))
    first = next(pages)
    assert first == Page(rows=[], cursor={"downloadId": "546975389218332672"}, request_count=1, weight=1000)
    with pytest.raises(exports.ExportPending) as info:  # its own Retry rule in the state machine
        next(pages)
    assert type(info.value).__name__ in RETRYABLE_ERRORS
    # The retry resumes from the checkpoint: it polls the same id, no second request.
    client = _Client(["processing", "completed"])

    class _Resp:
        status_code = 200
        content = to_csv("usdm.income", [INCOME_LIVE]).encode()

    monkeypatch.setattr(exports.requests, "get", lambda url, timeout: _Resp())
    pages = list(exports.iter_export_pages(client, ep, start_ms=0, end_ms=1, cursor=first.cursor,
                                           rejected=[], sleep=lambda s: None))
    assert client.calls == ["usdm.income_export_link", "usdm.income_export_link"]
    assert pages == [Page(rows=[INCOME_LIVE], cursor=None, request_count=3, weight=20)]


def test_the_emulator_enforces_the_monthly_quota_and_serves_the_old_records():
    account = generate_account("small", 7)
    jobs = ExportJobs(account, ready_after_s=0)
    ep = ENDPOINTS["usdm.income_export"]
    now = account.now_ms
    params = {"startTime": str(now - 365 * DAY_MS), "endTime": str(now - 1)}
    ids = [jobs.answer(ep, params, now, "key", "h") for _ in range(5)]
    with pytest.raises(ApiError) as info:
        jobs.answer(ep, params, now, "key", "h")
    assert info.value.code == QUOTA_CODE and "5 times per month" in info.value.msg
    with pytest.raises(ApiError):  # "can not be longer than 1 year"
        jobs.answer(ep, {"startTime": "0", "endTime": str(366 * DAY_MS)}, now, "other", "h")
    download_id = ids[0].split('"downloadId":"')[1].split('"')[0]
    link = jobs.answer(ENDPOINTS["usdm.income_export_link"], {"downloadId": download_id}, now, "key", "h")
    assert '"status":"completed"' in link
    rows = parse_export("usdm.income", jobs.file(f"/export-files/{download_id}.csv")).rows
    horizon = now - ENDPOINTS["usdm.income"].retention_ms
    old = [r for r in account.records("usdm.income") if now - 365 * DAY_MS <= r.time_ms < horizon]
    assert old and {transaction_id(UID, "api", r.native_key) for r in old} <= {
        t for t in _ids("usdm.income", rows)}


def test_coinm_fills_past_a_horizon_would_come_from_the_coinm_trade_export(monkeypatch):
    """COIN-M has a trade export (Binance COIN-M docs: GET /dapi/v1/trade/asyn, 5 a month). Its
    live fills have no documented horizon (spec §5.7.1), so today none is planned; were a horizon
    documented, the export is planned like USD-M's, past it, and the emulator serves the fills."""
    live = {"coinm.user_trades"}
    assert not plan_exports(live, 1_500_000_000_000, NOW, lambda ep: None)[0]
    ep = ENDPOINTS["coinm.user_trades"]
    monkeypatch.setitem(ENDPOINTS, ep.name, dataclasses.replace(ep, retention_ms=180 * DAY_MS))
    tasks, beyond, covered = plan_exports(live, 1_500_000_000_000, NOW, lambda ep: None)
    assert {t.endpoint for t in tasks} == {"coinm.trades_export"} and covered == live
    assert tasks[0].window_end == NOW - 180 * DAY_MS - 1 and len(tasks) == 5
    assert tasks[-1].window_start > ENDPOINTS["coinm.trades_export"].earliest_ms
    assert [b["endpoint"] for b in beyond] == ["coinm.trades_export"]

    account = generate_account("small", 7)
    jobs = ExportJobs(account, ready_after_s=0)
    now = account.now_ms
    params = {"startTime": str(now - 364 * DAY_MS), "endTime": str(now - 1)}
    answer = jobs.answer(ENDPOINTS["coinm.trades_export"], params, now, "key", "h")
    download_id = answer.split('"downloadId":"')[1].split('"')[0]
    link = jobs.answer(ENDPOINTS["coinm.trades_export_link"], {"downloadId": download_id}, now, "key", "h")
    assert '"status":"completed"' in link
    rows = parse_export("coinm.user_trades", jobs.file(f"/export-files/{download_id}.csv")).rows
    fills = [r for r in account.records("coinm.user_trades") if now - 364 * DAY_MS <= r.time_ms]
    assert fills and set(_ids("coinm.user_trades", rows)) == {
        transaction_id(UID, "api", r.native_key) for r in fills}
