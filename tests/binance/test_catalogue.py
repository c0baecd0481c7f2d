"""The catalogue holds the spec's numbers (binance-api.md §3, §5, §7, §8) and the ledger's names."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from binsync.binance.catalogue import (
    API_IP,
    DAY_MS,
    ENDPOINTS,
    FAPI_IP,
    SAPI_IP,
    SAPI_UID,
    SAPI_UID_1S,
    UNIVERSAL_TRANSFER_TYPES,
    by_path,
    endpoint,
    planned_endpoints,
)

LEDGER = Path(__file__).resolve().parents[2] / "docs" / "ledger.md"
NON_HISTORY = {
    "spot.exchange_info",
    "account.spot",
    "account.api_restrictions",
    "account.info",
    "system.time",
    "usdm.exchange_info",
    "coinm.exchange_info",
}


def ledger_names() -> set[str]:
    return set(re.findall(r"^\| `([a-z0-9_]+\.[a-z0-9_]+)`", LEDGER.read_text(), re.M))


def test_every_ledger_endpoint_and_every_non_history_endpoint_is_catalogued():
    names = ledger_names()
    assert len(names) >= 40
    assert names <= set(ENDPOINTS)
    assert set(NON_HISTORY) <= set(ENDPOINTS)
    for name in names:
        ep = ENDPOINTS[name]
        assert ep.history and ep.normaliser == name
        # a record's time is a top-level field, or (auto-invest rebalances) named where it is nested
        assert ep.id_fields and (ep.time_field or ep.extra.get("time_nested")), name
        assert ep.pagination != "none", name
    for name in NON_HISTORY:
        assert not ENDPOINTS[name].history


def test_paths_are_unique_and_families_match_paths():
    assert len({ep.path for ep in ENDPOINTS.values()}) == len(ENDPOINTS)
    for ep in ENDPOINTS.values():
        assert ep.path.startswith(f"/{ep.family}/"), ep.name
        assert by_path(ep.path) is ep


@pytest.mark.parametrize(
    ("name", "weight", "bucket"),
    [
        ("spot.exchange_info", 20, API_IP),
        ("account.spot", 20, API_IP),
        ("spot.my_trades", 20, API_IP),
        ("account.api_restrictions", 1, SAPI_IP),
        ("wallet.deposits", 1, SAPI_IP),
        ("wallet.withdrawals", 18000, SAPI_UID_1S),
        ("fiat.orders", 90000, SAPI_UID),
        ("fiat.payments", 1, SAPI_IP),
        ("convert.trade_flow", 3000, SAPI_UID),
        ("pay.transactions", 3000, SAPI_UID),
        ("wallet.dividends", 10, SAPI_IP),
        ("margin.my_trades", 10, SAPI_IP),
        ("margin.capital_flow", 100, SAPI_IP),
        ("usdm.user_trades", 5, FAPI_IP),
        ("usdm.income", 30, FAPI_IP),
        ("coinm.income", 20, None),
        ("earn.flexible_rewards", 150, SAPI_IP),
        ("staking.eth_stake", 150, SAPI_IP),
        ("loans.income", 6000, SAPI_UID),
        ("rebates.tax_query", 12000, SAPI_UID),
        ("mining.payments", 5, SAPI_IP),
        ("account.snapshot", 2400, SAPI_IP),
    ],
)
def test_weights_and_buckets_from_the_spec(name, weight, bucket):
    ep = endpoint(name)
    assert ep.weight == weight
    if bucket is not None:
        assert ep.bucket == bucket


def test_bucket_limits():
    assert (API_IP.limit, API_IP.interval_s, API_IP.scope) == (6000, 60, "shared")
    assert (SAPI_IP.limit, SAPI_IP.scope, SAPI_IP.header) == (12000, "endpoint", "X-SAPI-USED-IP-WEIGHT-1M")
    assert (SAPI_UID.limit, SAPI_UID.kind, SAPI_UID.header) == (180000, "uid", "X-SAPI-USED-UID-WEIGHT-1M")
    assert SAPI_UID_1S.interval_s == 1 and SAPI_UID_1S.limit // endpoint("wallet.withdrawals").weight == 10
    assert FAPI_IP.limit == 2400 and endpoint("coinm.income").bucket.limit == 2400
    assert API_IP.header_prefix == "X-MBX-USED-WEIGHT-"


@pytest.mark.parametrize(
    ("name", "max_window_days", "default_days", "retention_days"),
    [
        ("spot.my_trades", 1, None, None),
        ("wallet.deposits", 90, 90, None),
        ("wallet.withdrawals", 90, 90, None),
        ("wallet.universal_transfer", 30, 7, 180),
        ("wallet.dividends", 180, None, None),
        ("convert.trade_flow", 30, None, None),
        ("p2p.orders", 30, 30, 180),
        ("pay.transactions", 90, 90, 540),
        ("margin.my_trades", 1, 1, None),
        ("margin.borrow_repay", 7, 7, None),
        ("margin.interest", 30, 7, 90),
        ("margin.transfers", 30, 7, None),
        ("margin.capital_flow", 7, None, 90),
        ("usdm.user_trades", 7, 7, 180),
        ("usdm.income", 30, 7, 90),
        ("coinm.user_trades", 7, 7, None),
        ("coinm.income", 365, None, None),
        ("options.bill", 30, None, 90),
        ("earn.locked_rewards", 30, 30, None),
        ("staking.sol_redeem", 90, 30, None),
        ("auto_invest.history", 30, 30, None),
        ("loans.income", 30, 7, None),
        ("rebates.tax_query", 30, 7, None),
    ],
)
def test_windows_and_horizons(name, max_window_days, default_days, retention_days):
    ep = endpoint(name)
    assert ep.max_window_ms == max_window_days * DAY_MS
    assert ep.default_window_ms == (default_days * DAY_MS if default_days else None)
    assert ep.retention_ms == (retention_days * DAY_MS if retention_days else None)


def test_pagination_kinds_and_page_sizes():
    expect = {
        "spot.my_trades": ("from_id", 1000, "fromId"),
        "margin.my_trades": ("from_id", 500, "fromId"),
        "usdm.user_trades": ("from_id", 1000, "fromId"),
        "margin.capital_flow": ("from_id_exclusive", 1000, "fromId"),
        "options.bill": ("record_id", 1000, "recordId"),
        "wallet.deposits": ("offset", 1000, "offset"),
        "wallet.withdrawals": ("offset", 1000, "offset"),
        "wallet.universal_transfer": ("current_size", 100, "current"),
        "earn.flexible_subscriptions": ("current_size", 100, "current"),
        "fiat.orders": ("page", 500, "page"),
        "p2p.orders": ("page", 100, "page"),
        "usdm.income": ("page", 1000, "page"),
        "mining.payments": ("page", 200, "pageIndex"),
        "rebates.tax_query": ("page", 200, "page"),
        "wallet.dividends": ("window_only", 500, None),
        "convert.trade_flow": ("window_only", 1000, None),
        "pay.transactions": ("window_only", 100, None),
        "loans.income": ("window_only", 100, None),
        "wallet.dust": ("window_only", 100, None),
    }
    for name, (kind, size, cursor) in expect.items():
        ep = endpoint(name)
        assert (ep.pagination, ep.page_size, ep.cursor_param) == (kind, size, cursor), name
        assert ep.max_page_size is None or ep.page_size <= ep.max_page_size


def test_parameter_names_that_differ_from_the_usual():
    assert (endpoint("fiat.orders").start_param, endpoint("fiat.orders").limit_param) == ("beginTime", "rows")
    assert endpoint("p2p.orders").start_param == "startTimestamp"
    assert endpoint("p2p.orders").end_param == "endTimestamp"
    assert endpoint("mining.payments").start_param == "startDate"
    assert endpoint("earn.flexible_rewards").limit_param == "size"


def test_variants():
    assert [v["transactionType"] for v in endpoint("fiat.orders").variants] == ["0", "1"]
    assert [v["tradeType"] for v in endpoint("p2p.orders").variants] == ["BUY", "SELL"]
    assert [v["type"] for v in endpoint("margin.borrow_repay").variants] == ["BORROW", "REPAY"]
    assert [v["accountType"] for v in endpoint("wallet.dust").variants] == ["SPOT", "MARGIN"]
    assert [v["type"] for v in endpoint("earn.flexible_rewards").variants] == ["BONUS", "REALTIME", "REWARDS"]
    assert len(endpoint("wallet.universal_transfer").variants) == len(UNIVERSAL_TRANSFER_TYPES) == 31


def test_earliest_times_and_record_caps():
    assert endpoint("wallet.dust").earliest_ms == 1_606_780_800_000  # 2020-12-01
    assert endpoint("wallet.dust").retention_records == 100
    assert endpoint("rebates.tax_query").earliest_ms == 1_591_747_200_000  # 2020-06-10


def test_every_section_8_disagreement_and_unknown_has_a_written_choice():
    for name, item in [
        ("wallet.deposits", "§8 #3"),
        ("wallet.withdrawals", "§8 #4"),
        ("fiat.orders", "§8 #6"),
        ("earn.flexible_subscriptions", "§8 #7"),
        ("earn.flexible_rewards", "§8 #8"),
        ("rebates.tax_query", "§8 #9"),
        ("margin.my_trades", "§8 #10"),
        ("margin.interest", "§8 #12"),
        ("margin.borrow_repay", "§8 #13"),
        ("usdm.income", "§8 #14"),
        ("coinm.user_trades", "§8 #16"),
        ("usdm.user_trades", "§8 #17"),
        ("options.user_trades", "§8 #18"),
        ("mining.payments", "§8 #19"),
        ("p2p.orders", "§8 #24"),
    ]:
        assert item in endpoint(name).choice, name
    for name in (
        "fiat.orders",
        "fiat.payments",
        "wallet.dust",
        "wallet.universal_transfer",
        "margin.liquidations",
        "options.bill",
        "coinm.income",
        "wallet.dividends",
    ):
        assert "❓" in endpoint(name).choice, name


def test_planned_set():
    planned = {ep.name for ep in planned_endpoints()}
    # issue 14: capital flow is read by default (cheap next to the margin fills, a cross-check)
    assert "margin.capital_flow" in planned and "mining.payments" not in planned
    assert {"spot.my_trades", "usdm.income", "fiat.orders", "wallet.dust"} <= planned
    assert all(ep.extra.get("planned") is False for ep in ENDPOINTS.values() if not ep.planned)
