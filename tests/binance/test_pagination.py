"""Every pagination kind of spec §7.2 and the window walker of §7.3, through the real client
against the in-process fake (which rejects windows that are too large, fromId mixed with times,
oversized pages and bad signatures). Includes bisection and cursor resume."""

from __future__ import annotations

import itertools
import json
from collections import Counter

import pytest
from binance_fakes import API_KEY, DAY_MS, SECRET, FakeBinance, FakeClock, make_rows
from binsync.binance.catalogue import ENDPOINTS, endpoint
from binsync.binance.client import BinanceClient
from binsync.binance.errors import InvalidRequest
from binsync.binance.pagination import CursorMismatch, initial_state
from binsync.binance.signing import Credentials


def client_for(fake: FakeBinance, **kw) -> BinanceClient:
    return BinanceClient(
        Credentials(API_KEY, SECRET),
        "http://fake.local",
        session=fake.session(),
        clock=fake.clock.time,
        sleep=fake.clock.sleep,
        **kw,
    )


@pytest.fixture
def fake() -> FakeBinance:
    return FakeBinance(FakeClock())


def walk(client, name, **kw):
    rows, pages = [], []
    for page in client.iter_pages(name, **kw):
        rows.extend(page.rows)
        pages.append(page)
    assert pages[-1].cursor is None
    return rows, pages


def keys(ep_name, rows):
    ep = ENDPOINTS[ep_name]
    return [tuple(str(r.get(f)) for f in ep.id_fields) for r in rows]


def sent_to(fake, path):
    return [s.params for s in fake.sent if s.path == path]


def test_from_id_chain_walks_full_history_without_times(fake):
    now = fake.now_ms()
    fake.rows["spot.my_trades"] = make_rows(
        "spot.my_trades", 2500, now - 900 * DAY_MS, 3_600_000, symbol="BTCUSDT"
    )
    rows, _ = walk(client_for(fake), "spot.my_trades", symbol="BTCUSDT")
    assert len(rows) == 2500 and len(set(keys("spot.my_trades", rows))) == 2500
    calls = sent_to(fake, "/api/v3/myTrades")
    assert [c["fromId"] for c in calls] == ["0", "1001", "2001"]
    assert all(c["limit"] == "1000" and "startTime" not in c for c in calls)


def test_from_id_since_a_time_probes_24h_windows_then_chains(fake):
    now = fake.now_ms()
    fake.rows["spot.my_trades"] = make_rows(
        "spot.my_trades", 3000, now - 400 * DAY_MS, 3_000_000, symbol="ETHBTC"
    )
    start = now - 380 * DAY_MS
    end = now - 300 * DAY_MS
    rows, _ = walk(client_for(fake), "spot.my_trades", symbol="ETHBTC", start_ms=start, end_ms=end)
    expected = [r for r in fake.rows["spot.my_trades"] if start <= r["time"] <= end]
    assert sorted(keys("spot.my_trades", rows)) == sorted(keys("spot.my_trades", expected))
    assert len(rows) == len(expected)
    calls = sent_to(fake, "/api/v3/myTrades")
    windows = [(int(c["startTime"]), int(c["endTime"])) for c in calls if "startTime" in c]
    assert windows and all(e - s == DAY_MS - 1 for s, e in windows)  # inclusive, 24 h
    assert all(b[0] == a[1] + 1 for a, b in itertools.pairwise(windows))  # contiguous
    assert all("fromId" not in c for c in calls if "startTime" in c)  # never mixed (-1128)


def test_offset_kind_walks_90_day_windows_and_offsets(fake):
    now = fake.now_ms()
    dense = make_rows("wallet.deposits", 2300, now - 50 * DAY_MS, 1000)
    sparse = make_rows("wallet.deposits", 40, now - 700 * DAY_MS, 15 * DAY_MS)
    for i, r in enumerate(sparse):
        r["id"] = f"s{i}"
    fake.rows["wallet.deposits"] = dense + sparse
    rows, _ = walk(client_for(fake), "wallet.deposits", start_ms=now - 800 * DAY_MS)
    assert Counter(keys("wallet.deposits", rows)) == Counter(keys("wallet.deposits", dense + sparse))
    calls = sent_to(fake, "/sapi/v1/capital/deposit/hisrec")
    assert all(int(c["endTime"]) - int(c["startTime"]) < 90 * DAY_MS for c in calls)
    assert sorted({c["offset"] for c in calls}) == ["0", "1000", "2000"]


def test_current_size_kind_with_variant_and_retention(fake):
    now = fake.now_ms()
    fake.rows["wallet.universal_transfer"] = make_rows(
        "wallet.universal_transfer", 250, now - 20 * DAY_MS, 60_000, type="MAIN_UMFUTURE"
    ) + make_rows("wallet.universal_transfer", 5, now - 10 * DAY_MS, 60_000, type="MAIN_MARGIN")
    for i, r in enumerate(fake.rows["wallet.universal_transfer"]):
        r["tranId"] = i + 1
    rows, _ = walk(client_for(fake), "wallet.universal_transfer", params={"type": "MAIN_UMFUTURE"})
    assert len(rows) == 250 and {r["type"] for r in rows} == {"MAIN_UMFUTURE"}
    calls = sent_to(fake, "/sapi/v1/asset/transfer")
    # 6-month horizon: the walk starts inside it, not at Binance's launch
    assert min(int(c["startTime"]) for c in calls) >= now - 180 * DAY_MS
    assert [c["current"] for c in calls if c["current"] != "1"] == ["2", "3"]
    assert all(c["size"] == "100" for c in calls)


def test_page_kind_fiat_begin_time_param_and_rows(fake):
    now = fake.now_ms()
    fake.rows["fiat.orders"] = make_rows("fiat.orders", 1100, now - 30 * DAY_MS, 60_000, transactionType="0")
    rows, _ = walk(
        client_for(fake), "fiat.orders", start_ms=now - 40 * DAY_MS, params={"transactionType": "0"}
    )
    assert len(set(keys("fiat.orders", rows))) == 1100
    calls = sent_to(fake, "/sapi/v1/fiat/orders")
    assert all("beginTime" in c and c["rows"] == "500" for c in calls)
    assert [c["page"] for c in calls] == ["1", "2", "3"]


def test_page_kind_rebate_stops_at_total_page_num(fake):
    now = fake.now_ms()
    fake.rows["rebates.tax_query"] = make_rows("rebates.tax_query", 400, now - 10 * DAY_MS, 60_000)
    rows, _ = walk(client_for(fake), "rebates.tax_query", start_ms=now - 20 * DAY_MS)
    assert len(rows) == 400
    calls = sent_to(fake, "/sapi/v1/rebate/taxQuery")
    assert [c["page"] for c in calls] == ["1", "2"]  # exactly 2 pages of 200: no empty 3rd request


def test_window_only_bisects_full_pages_without_losing_or_duplicating(fake):
    now = fake.now_ms()
    fake.rows["wallet.dividends"] = make_rows("wallet.dividends", 1800, now - 3 * DAY_MS, 90_000)
    rows, _ = walk(client_for(fake), "wallet.dividends", start_ms=now - 10 * DAY_MS)
    assert Counter(keys("wallet.dividends", rows)) == Counter(
        keys("wallet.dividends", fake.rows["wallet.dividends"])
    )
    calls = sent_to(fake, "/sapi/v1/asset/assetDividend")
    assert len(calls) > 4  # it had to split


def test_window_only_more_data_flag_bisects_convert(fake):
    now = fake.now_ms()
    fake.rows["convert.trade_flow"] = make_rows("convert.trade_flow", 2500, now - 5 * DAY_MS, 60_000)
    rows, _ = walk(client_for(fake), "convert.trade_flow", start_ms=now - 6 * DAY_MS)
    assert len(rows) == 2500 and len(set(keys("convert.trade_flow", rows))) == 2500
    calls = sent_to(fake, "/sapi/v1/convert/tradeFlow")
    assert all("startTime" in c and "endTime" in c for c in calls)  # both times are required


def test_window_only_1ms_window_still_full_is_reported_truncated(fake):
    now = fake.now_ms()
    fake.rows["pay.transactions"] = make_rows("pay.transactions", 150, now - DAY_MS, 0)  # same ms
    client = client_for(fake)
    rows, pages = walk(client, "pay.transactions", start_ms=now - 2 * DAY_MS)
    assert len(rows) == 100
    assert any(p.truncated for p in pages) and client.stats.truncated_windows == 1


def test_exclusive_from_id_inside_windows(fake):
    now = fake.now_ms()
    fake.rows["margin.capital_flow"] = make_rows("margin.capital_flow", 2200, now - 5 * DAY_MS, 100_000)
    rows, _ = walk(client_for(fake), "margin.capital_flow")
    assert len(rows) == 2200 and len(set(keys("margin.capital_flow", rows))) == 2200
    with_cursor = [c for c in sent_to(fake, "/sapi/v1/margin/capital-flow") if "fromId" in c]
    assert [c["fromId"] for c in with_cursor] == ["1000", "2000"]  # id > fromId: next = last id


def test_record_id_kind_options_bill(fake):
    now = fake.now_ms()
    fake.rows["options.bill"] = make_rows("options.bill", 1500, now - 20 * DAY_MS, 60_000, currency="USDT")
    rows, _ = walk(client_for(fake), "options.bill", params={"currency": "USDT"})
    assert len(set(keys("options.bill", rows))) == 1500
    # The bill's maximum page size is undocumented: the short page is confirmed by one more
    # request (issue 14), which comes back empty.
    assert [c["recordId"] for c in sent_to(fake, "/eapi/v1/bill")] == ["0", "1001", "1501"]


def test_single_request_endpoint(fake):
    fake.hooks["account.spot"] = lambda p: (
        200,
        {},
        {"balances": [{"asset": "BTC", "free": "1.5", "locked": "0"}], "uid": 354937868},
    )
    rows, pages = walk(client_for(fake), "account.spot")
    assert rows == [{"asset": "BTC", "free": "1.5", "locked": "0"}]
    assert pages[0].request_count == 1


CASES = [
    ("spot.my_trades", 3600, 0, {"symbol": "BTCUSDT"}, {"symbol": "BTCUSDT"}),
    ("wallet.deposits", 3300, 0, {}, {}),
    ("wallet.universal_transfer", 260, 0, {"params": {"type": "MAIN_FUNDING"}}, {"type": "MAIN_FUNDING"}),
    ("fiat.orders", 1600, 0, {"params": {"transactionType": "1"}}, {"transactionType": "1"}),
    ("wallet.dividends", 1800, 0, {}, {}),
    ("margin.capital_flow", 2100, 0, {}, {}),
]


@pytest.mark.parametrize(("name", "n", "_", "kw", "fixed"), CASES)
@pytest.mark.parametrize("stop_after", [1, 2, 3])
def test_cursor_resume_loses_nothing_and_duplicates_nothing(name, n, _, kw, fixed, stop_after):
    fake = FakeBinance(FakeClock())
    now = fake.now_ms()
    fake.rows[name] = make_rows(name, n, now - 60 * DAY_MS, 1_500, **fixed)
    start = now - 70 * DAY_MS if ENDPOINTS[name].pagination not in ("from_id",) else None
    got, cursor = [], None
    first = client_for(fake)
    for i, page in enumerate(first.iter_pages(name, start_ms=start, **kw)):
        got.extend(page.rows)
        cursor = page.cursor
        if i + 1 == stop_after:
            break  # the task is killed right after checkpointing this page
    assert cursor is not None
    cursor = json.loads(json.dumps(cursor))  # the checkpoint is plain JSON
    second = client_for(fake)  # a fresh process
    for page in second.iter_pages(name, cursor=cursor, **kw):
        got.extend(page.rows)
    assert Counter(keys(name, got)) == Counter(keys(name, fake.rows[name]))


def test_cursor_of_another_endpoint_is_refused(fake):
    state = initial_state(endpoint("wallet.deposits"), start_ms=None, end_ms=None, now_ms=fake.now_ms())
    with pytest.raises(CursorMismatch):
        next(client_for(fake).iter_pages("wallet.withdrawals", cursor=state))


def test_start_after_end_sends_nothing(fake):
    now = fake.now_ms()
    pages = list(
        client_for(fake).iter_pages("wallet.deposits", start_ms=now - DAY_MS, end_ms=now - 2 * DAY_MS)
    )
    assert len(pages) == 1 and pages[0].rows == [] and pages[0].cursor is None
    assert [s.path for s in fake.sent if s.path != "/api/v3/time"] == []


@pytest.mark.parametrize("name", sorted(n for n, ep in ENDPOINTS.items() if ep.history and ep.max_window_ms))
def test_every_window_the_walker_plans_fits_the_endpoint(name):
    ep = ENDPOINTS[name]
    now = 1_700_000_000_000
    state = initial_state(ep, start_ms=now - 3 * 365 * DAY_MS, end_ms=now, now_ms=now)
    assert state is not None
    if state["mode"] == "windows":
        s, e = state["win"]
        assert 0 <= e - s < ep.max_window_ms
        if ep.retention_ms:
            assert s >= now - ep.retention_ms
        if ep.earliest_ms:
            assert s >= ep.earliest_ms


def test_a_server_that_ignores_the_cursor_is_not_walked_forever(fake):
    page = [{"symbol": "BTCUSDT", "id": i, "time": 1_600_000_000_000 + i} for i in range(1, 1001)]
    fake.hooks["spot.my_trades"] = lambda p: (200, {}, page)  # same full page whatever fromId says
    with pytest.raises(InvalidRequest, match="did not advance"):
        walk(client_for(fake), "spot.my_trades", symbol="BTCUSDT")


def test_rows_without_their_id_field_are_a_clear_error(fake):
    fake.hooks["spot.my_trades"] = lambda p: (200, {}, [{"symbol": "BTCUSDT", "time": 1}] * 1000)
    with pytest.raises(InvalidRequest, match="usable 'id'"):
        walk(client_for(fake), "spot.my_trades", symbol="BTCUSDT")


def test_malformed_bodies_are_empty_pages_not_crashes(fake):
    fake.hooks["wallet.universal_transfer"] = lambda p: (200, {}, {"total": "n/a", "rows": "oops"})
    rows, _ = walk(client_for(fake), "wallet.universal_transfer", params={"type": "MAIN_UMFUTURE"})
    assert rows == []


def test_a_short_page_ends_the_walk_only_when_the_maximum_page_size_is_documented():
    fake = FakeBinance(FakeClock())  # issue 14 item 5
    now = fake.now_ms()
    fake.rows["options.bill"] = make_rows("options.bill", 450, now - 20 * 86_400_000, 60_000,
                                          currency="USDT")
    bill = ENDPOINTS["options.bill"]
    assert bill.page_size_documented is False and bill.page_size == 1000

    def capped(params: dict[str, str]):  # a server that serves 100 rows whatever we ask
        return 200, {}, fake._serve(bill, {**params, "limit": "100"})[1]

    fake.hooks["options.bill"] = capped
    rows, _ = walk(client_for(fake), "options.bill", params={"currency": "USDT"})
    assert len({r["id"] for r in rows}) == 450


def test_an_undocumented_page_size_with_a_total_counts_rows_against_the_total():
    """sub-account universalTransfer: max 500 (official) vs 20 ([LEGACY]). A server capping pages
    at 20 loses nothing, and the total ends the window without one more (empty) request."""
    fake = FakeBinance(FakeClock())
    now = fake.now_ms()
    ep = ENDPOINTS["sub_account.universal_transfers"]
    assert ep.page_size_documented is False and ep.page_size == 500 and ep.total_path == ("totalCount",)
    fake.rows[ep.name] = make_rows(ep.name, 45, now - 3 * DAY_MS, 60_000, fromEmail="a@x.test")

    def capped(params: dict[str, str]):
        return 200, {}, fake._serve(ep, {**params, "limit": "20"})[1]

    fake.hooks[ep.name] = capped
    rows, _ = walk(client_for(fake), ep.name, params={"fromEmail": "a@x.test"}, start_ms=now - 6 * DAY_MS,
                   end_ms=now)
    assert len({r["tranId"] for r in rows}) == 45 == len(rows)
    assert [p["page"] for p in sent_to(fake, ep.path)] == ["1", "2", "3"]
