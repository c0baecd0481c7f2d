"""No silent loss (issue 14 item 5): what a sync could not read is named on the run, never
reported complete.

The Fetch and Finish steps run for real on the local cloud's tables; the Binance client is a
stub that yields the pages a real walk produced (the client's own behaviour, and the short-page rule, are
covered in tests/binance/test_pagination.py).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from binsync.binance.client import ClientStats, Page
from binsync.normalise.futures import INCOME_KINDS, TRANSFER_INCOME
from binsync.storage.models import ConnectionModel, RunModel, TransactionModel, account_key
from binsync.sync import fetch, finish
from binsync.sync.tasks import TaskSpec, save_tasks

USER, UID, CONN, RUN = "user-loss", "777", "c-loss", "r-loss"
T0 = 1_780_000_000_000


class StubClient:
    """Yields the given pages for any walk."""

    def __init__(self, pages: list[Page]):
        self.pages = pages
        self.stats = ClientStats()

    def iter_pages(self, *_: Any, **__: Any):
        yield from self.pages


@pytest.fixture
def tables(cloud):
    ConnectionModel(USER, CONN, binance_uid=UID, secret_name="unused", created_at=T0).save()
    RunModel(CONN, RUN, user_id=USER, binance_uid=UID, mode="full", started_at=T0,
             coverage={}).save()
    return cloud


def _run(spec: TaskSpec, pages: list[Page]) -> dict[str, Any]:
    save_tasks(RUN, [spec])
    fetch.run_task(USER, CONN, RUN, spec.task_id, client=StubClient(pages))
    return finish.summarise(RunModel.get(CONN, RUN))


def _pay_row(n: int) -> dict[str, Any]:
    return {"orderType": "C2C", "transactionId": f"P{n}", "transactionTime": T0, "amount": "-1",
            "currency": "USDT", "walletType": 1, "fundsDetail": [{"currency": "USDT", "amount": "1"}],
            "payerInfo": {"name": "me"}, "receiverInfo": {"name": "you"}}


def test_more_than_limit_records_in_one_millisecond_leave_the_product_incomplete_and_named(tables):
    # What the client yields after bisecting down to 1 ms: 100 rows, the window still full.
    rows = [_pay_row(n) for n in range(100)]
    spec = TaskSpec("pay.transactions", T0 - 10, T0 + 10)
    summary = _run(spec, [Page(rows, None, 8, 8 * 3000, truncated=True, truncated_window=[T0, T0])])
    pay = summary["coverage"]["pay"]
    assert pay["complete"] is False
    (gap,) = pay["gaps"]
    assert gap["endpoint"] == "pay.transactions" and gap["cause"] == "same_millisecond_overflow"
    assert gap["windows"] == [[T0, T0]] and "100" in gap["reason"]
    assert summary["gaps"]["pay"] == pay["gaps"]


def test_an_unknown_income_type_is_kept_with_its_leg_and_counted_as_a_gap(tables):
    rows = [{"symbol": "BTCUSDT", "incomeType": "SOMETHING_NEW_2027", "income": "-0.5", "asset": "USDT",
             "info": "", "time": T0, "tranId": 9, "tradeId": ""},
            {"symbol": "BTCUSDT", "incomeType": "FUNDING_FEE", "income": "0.1", "asset": "USDT",
             "info": "", "time": T0, "tranId": 10, "tradeId": ""}]
    summary = _run(TaskSpec("usdm.income", T0 - 10, T0 + 10), [Page(rows, None, 1, 30)])
    items = TransactionModel.by_account.query(account_key(USER, UID))
    stored = {t.body["source"]["native_id"]: t for t in items}
    kept = stored["usdm_income:SOMETHING_NEW_2027:9"]
    assert kept.kind == "other"
    assert [(leg["asset"], Decimal(leg["amount"]), leg["wallet"]) for leg in kept.body["legs"]] == [
        ("USDT", Decimal("-0.5"), "usdm")]
    usdm = summary["coverage"]["usdm"]
    assert usdm["complete"] is False
    causes = {g["cause"]: g for g in usdm["gaps"]}
    assert causes["unknown_income_types"]["types"] == {"SOMETHING_NEW_2027": 1}
    # BTCUSDT is named by the income ledger but no fill task walked it: a gap too, and the
    # symbol is remembered for the next plan.
    assert causes["unwalked_income_symbols"]["symbols"] == ["BTCUSDT"]
    assert summary["known_symbols"]["usdm"] == ["BTCUSDT"]


# Every income type spec §5.6.2 (official page + SDK enum) and §5.7.2 list.
DOCUMENTED_INCOME_TYPES = (
    "TRANSFER", "WELCOME_BONUS", "REALIZED_PNL", "FUNDING_FEE", "COMMISSION", "INSURANCE_CLEAR",
    "REFERRAL_KICKBACK", "COMMISSION_REBATE", "API_REBATE", "CONTEST_REWARD", "CROSS_COLLATERAL_TRANSFER",
    "OPTIONS_PREMIUM_FEE", "OPTIONS_SETTLE_PROFIT", "INTERNAL_TRANSFER", "AUTO_EXCHANGE",
    "DELIVERED_SETTELMENT", "COIN_SWAP_DEPOSIT", "COIN_SWAP_WITHDRAW", "POSITION_LIMIT_INCREASE_FEE",
    "STRATEGY_UMFUTURES_TRANSFER", "FEE_RETURN", "BFUSD_REWARD",
)


def test_every_documented_income_type_has_a_kind():
    unmapped = [t for t in DOCUMENTED_INCOME_TYPES if t not in INCOME_KINDS and t != TRANSFER_INCOME]
    assert unmapped == []
    assert all(kind != "other" for kind in INCOME_KINDS.values())


def _transfer_pair(uid: str):
    from binsync.normalise import normalise

    ut = normalise("wallet.universal_transfer", [{"asset": "USDT", "amount": "25", "type": "MAIN_MARGIN",
                                                  "status": "CONFIRMED", "tranId": 5240372201,
                                                  "timestamp": T0}], uid=uid,
                   context={"type": "MAIN_MARGIN"}).transactions
    mt = normalise("margin.transfers", [{"amount": "25", "asset": "USDT", "status": "CONFIRMED",
                                         "timestamp": T0, "txId": 5240372201, "type": "ROLL_IN",
                                         "transFrom": "SPOT", "transTo": "CROSS_MARGIN"}],
                   uid=uid).transactions
    assert len(ut) == len(mt) == 1 and ut[0].id == mt[0].id  # the same movement, the same id
    return ut, mt


def test_a_transfer_reported_by_two_endpoints_is_one_record_naming_both_whatever_the_order(tables):
    import json

    from binsync.storage.writer import write_transactions

    bodies = []
    for user, order in (("u-ut-first", (0, 1)), ("u-mt-first", (1, 0))):
        pair = _transfer_pair(UID)
        for index in order:
            write_transactions(pair[index], user_id=user)
        (item,) = TransactionModel.query(user)
        body = json.loads(item.body) if isinstance(item.body, str) else item.body
        bodies.append((item.source_ref, body))
        # A rerun of either task changes nothing.
        assert write_transactions(pair[order[0]], user_id=user).unchanged == 1
    assert bodies[0] == bodies[1]
    ref, body = bodies[0]
    assert ref == "wallet.universal_transfer"
    assert [s["ref"] for s in body["meta"]["sources"]] == ["wallet.universal_transfer", "margin.transfers"]
    assert [(leg["wallet"], Decimal(leg["amount"])) for leg in body["legs"]] == [
        ("spot", Decimal(-25)), ("margin_cross", Decimal(25))]
