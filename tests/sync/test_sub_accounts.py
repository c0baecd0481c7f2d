"""Sub-account transfers seen from a master account (issue 14, spec §5.13): the sub-account list
is discovered at plan time, each history is planned per sub-account and direction in its
documented windows, a non-master account is neither an error nor a gap, and the normaliser books
only the master's side (a transfer between two sub-accounts moves none of its balances)."""

from __future__ import annotations

import itertools
from decimal import Decimal

from binsync.binance.catalogue import DAY_MS, ENDPOINTS
from binsync.binance.errors import InvalidRequest, TransientError
from binsync.normalise import legs_sum, normalise
from binsync.sync import discovery
from binsync.sync.planner import PlanInputs, build_plan

NOW = 1_780_000_000_000
START = NOW - 400 * DAY_MS
SUBS = ["a_virtual@x.test", "b_virtual@x.test"]
MASTER = "boss@x.test"
NAMES = ("sub_account.spot_transfers", "sub_account.universal_transfers")


def _plan(**kw):
    return build_plan(PlanInputs(start_ms=START, now_ms=NOW, permissions={"enableReading": True},
                                 only=frozenset(NAMES), **kw))


def test_each_history_is_planned_per_sub_account_and_direction_in_its_windows():
    plan = _plan(symbols={"sub_accounts": SUBS})
    for name in NAMES:
        ep = ENDPOINTS[name]
        tasks = [t for t in plan.tasks if t.endpoint == name]
        variants = {tuple(sorted(t.params.items())) for t in tasks}
        assert variants == {((p, e),) for e in SUBS for p in ("fromEmail", "toEmail")}
        for variant in variants:
            mine = sorted((t for t in tasks if tuple(sorted(t.params.items())) == variant),
                          key=lambda t: t.window_start)
            assert mine[0].window_start == START and mine[-1].window_end == NOW
            assert all(b.window_start == a.window_end + 1 for a, b in itertools.pairwise(mine))
            assert all((t.window_end - t.window_start + 1) % ep.max_window_ms == 0 for t in mine[:-1])
    assert ENDPOINTS["sub_account.universal_transfers"].max_window_ms == 7 * DAY_MS  # spec §8 #20
    assert not plan.not_planned


def test_a_non_master_account_plans_nothing_and_names_no_gap():
    plan = _plan(symbols={"sub_accounts": []})
    assert not plan.tasks and not plan.not_planned


def test_an_unreadable_sub_account_list_is_named_not_planned():
    plan = _plan(unknown_scopes=frozenset({"sub_accounts"}))
    assert not plan.tasks
    assert {n["endpoint"] for n in plan.not_planned} == set(NAMES)
    assert all("sub_accounts" in n["reason"] for n in plan.not_planned)


class _Client:
    def __init__(self, answer):
        self.answer, self.calls = answer, []

    def request(self, name, params=None):
        self.calls.append((name, dict(params or {})))
        return self.answer(name, params or {})


def _refuse(exc):
    def answer(name, params):
        if name == "sub_account.list":
            raise exc
        return {}
    return answer


def test_discovery_pages_the_sub_account_list_and_keeps_earlier_members():
    emails = [f"s{i:03d}@x.test" for i in range(250)]

    def answer(name, params):
        page, limit = params["page"], params["limit"]
        return {"subAccounts": [{"email": e} for e in emails[(page - 1) * limit: page * limit]]}

    client, out = _Client(answer), discovery.Scopes()
    discovery.sub_account_scopes(client, out, {"sub_accounts": ["gone@x.test"]})
    assert out.symbols["sub_accounts"] == sorted([*emails, "gone@x.test"])
    assert [c[1]["page"] for c in client.calls] == [1, 2] and client.calls[0][1]["limit"] == 200
    assert "sub_accounts" not in out.failed


def test_discovery_reads_not_a_master_as_an_empty_scope_and_other_errors_as_unknown():
    out = discovery.Scopes()
    refusal = InvalidRequest("Sub-account function is not enabled.", code=-8012, http_status=400)
    discovery.sub_account_scopes(_Client(_refuse(refusal)), out, {})
    assert out.symbols["sub_accounts"] == [] and not out.failed
    assert out.notes["sub_accounts"]["rule"] == "not_a_master_account"

    out = discovery.Scopes()
    discovery.sub_account_scopes(_Client(_refuse(TransientError("boom", http_status=503))), out, {})
    assert "sub_accounts" in out.failed and "sub_accounts" not in out.symbols


def _spot_row(tran, sender, receiver, qty="1.5", status="SUCCESS"):
    return {"from": sender, "to": receiver, "asset": "BTC", "qty": qty, "status": status, "tranId": tran,
            "time": NOW - DAY_MS}


def test_the_normaliser_books_the_masters_side_only():
    rows = [_spot_row(1, MASTER, SUBS[0]), _spot_row(2, SUBS[1], MASTER, "0.25"),
            _spot_row(3, SUBS[0], SUBS[1]), _spot_row(4, SUBS[0], MASTER, status="FAILED")]
    result = normalise("sub_account.spot_transfers", rows, uid="9",
                       context={"params": {"fromEmail": SUBS[0]}, "sub_accounts": SUBS})
    assert not result.rejected and [i for i, _ in result.skipped] == [3]
    by_key = {t.source.native_id: t for t in result.transactions}
    spot = {k: sum((leg.amount for leg in t.legs if leg.wallet == "spot"), Decimal(0))
            for k, t in by_key.items()}
    assert spot == {"sub_transfer:1": Decimal("-1.5"), "sub_transfer:2": Decimal("0.25"), "sub_transfer:3": 0}
    assert by_key["sub_transfer:3"].legs == ()  # between two sub-accounts: nothing of the master moves
    # Conservation: what leaves the master reaches the sub-account (`external`), and back.
    assert sum(legs_sum(result.transactions, include_external=True).values()) == 0
    assert legs_sum(result.transactions, include_external=False) == {("BTC", "spot"): Decimal("-1.25")}


def test_the_universal_history_names_the_masters_wallet_and_unknowns_are_rejected():
    row = {"tranId": 92275823339, "fromEmail": SUBS[0], "toEmail": MASTER, "asset": "USDT", "amount": "10",
           "createTimeStamp": NOW - DAY_MS, "fromAccountType": "SPOT", "toAccountType": "USDT_FUTURE",
           "status": "SUCCESS", "clientTranId": ""}
    result = normalise("sub_account.universal_transfers", [row], uid="9", context={"sub_accounts": SUBS})
    (tx,) = result.transactions
    assert [(leg.wallet, leg.amount) for leg in tx.legs] == [("external", -10), ("usdm", 10)]
    # Without the sub-account list, or with two parties that are not sub-accounts, nothing is guessed.
    for context in ({}, {"sub_accounts": ["other@x.test"]}):
        result = normalise("sub_account.universal_transfers", [row], uid="9", context=context)
        assert not result.transactions and len(result.rejected) == 1


def test_a_sub_accounts_histories_start_at_its_creation():
    created = NOW - 100 * DAY_MS
    plan = _plan(symbols={"sub_accounts": SUBS}, scope_floors={"sub_accounts": {SUBS[0]: created}})
    for name in NAMES:
        first = {}
        for t in plan.tasks:
            if t.endpoint == name:
                (email,) = t.params.values()
                first[email] = min(first.get(email, t.window_start), t.window_start)
        assert first == {SUBS[0]: created, SUBS[1]: START}


FUTURES = "sub_account.futures_transfers"


def test_futures_transfers_are_planned_per_sub_account_and_futures_type_inside_their_horizon():
    plan = build_plan(PlanInputs(start_ms=START, now_ms=NOW, permissions={"enableReading": True},
                                 only=frozenset({FUTURES}), symbols={"sub_accounts": SUBS}))
    tasks = [t for t in plan.tasks if t.endpoint == FUTURES]
    assert {tuple(sorted(t.params.items())) for t in tasks} == {
        (("email", e), ("futuresType", f)) for e in SUBS for f in ("1", "2")}
    # "Cannot be earlier than 1 month ago": nothing older than the 28-day horizon is asked for,
    # and what the window loses is named beyond reach, not dropped silently.
    horizon = NOW - ENDPOINTS[FUTURES].retention_ms
    assert min(t.window_start for t in tasks) == horizon and max(t.window_end for t in tasks) == NOW
    assert [b["before"] for b in plan.beyond_retention if b["endpoint"] == FUTURES] == [horizon]
    assert not plan.not_planned


def test_futures_transfers_book_the_wallet_of_the_requests_futures_type():
    rows = [{"from": SUBS[0], "to": MASTER, "asset": "BTC", "qty": "0.5", "tranId": 7, "time": NOW - DAY_MS},
            {"from": MASTER, "to": SUBS[1], "asset": "USDT", "qty": "20", "tranId": 8, "time": NOW - DAY_MS}]
    coinm = normalise(FUTURES, rows[:1], uid="9", context={"params": {"email": SUBS[0], "futuresType": "2"},
                                                           "sub_accounts": SUBS})
    assert [(leg.wallet, leg.amount) for leg in coinm.transactions[0].legs] == [("external", -Decimal("0.5")),
                                                                               ("coinm", Decimal("0.5"))]
    usdm = normalise(FUTURES, rows[1:], uid="9", context={"params": {"email": SUBS[1], "futuresType": "1"},
                                                          "sub_accounts": SUBS})
    legs = [(leg.wallet, leg.amount) for leg in usdm.transactions[0].legs]
    assert legs == [("usdm", -20), ("external", 20)]
    # A request with no (or an unknown) futuresType names no wallet: rejected, never guessed.
    for params in ({}, {"futuresType": "3"}):
        result = normalise(FUTURES, rows[:1], uid="9", context={"params": params, "sub_accounts": SUBS})
        assert not result.transactions and len(result.rejected) == 1
