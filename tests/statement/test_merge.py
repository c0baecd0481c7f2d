"""Cross-source merge: statement events the API also returned are stored once, in either order."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from binsync.model import Leg, Source, Transaction, transaction_id
from binsync.statement.merge import legs_match, match_key, plan_merges, reconcile_api_transactions

from .helpers import UID, statement
from .test_upload import CONN, ROWS, USER, _create_upload, _ensure_connection, _items, _report

D = Decimal


def api_tx(native: str, time_ms: int, kind: str, *legs: tuple[str, str, str, str],
           endpoint: str = "x") -> Transaction:
    return Transaction(
        id=transaction_id(UID, "api", native), account=UID, time_ms=time_ms, kind=kind,
        legs=tuple(Leg(a, D(v), w, r) for a, v, w, r in legs), source=Source("api", endpoint, native, {}),
    )


def ms(text: str) -> int:
    from binsync.statement.parser import parse_time

    return parse_time(text[:19]) * 1000 + int(text[20:23])


API = [
    api_tx("spot_trade:ETHUSDT:1", ms("2025-03-04 09:15:27.120"), "trade",
           ("ETH", "0.112", "spot", "in"), ("USDT", "-250", "spot", "out"),
           ("BNB", "-0.000315", "spot", "fee")),
    api_tx("spot_trade:ETHUSDT:2", ms("2025-03-04 09:15:27.870"), "trade",
           ("ETH", "0.0448", "spot", "in"), ("USDT", "-100", "spot", "out"),
           ("BNB", "-0.000126", "spot", "fee")),
    api_tx("deposit:77", ms("2025-02-01 10:00:03.999"), "deposit", ("BTC", "0.05", "spot", "in")),
    api_tx("withdrawal:88", ms("2025-02-11 16:44:51.400"), "withdrawal",
           ("USDT", "-149", "spot", "out"), ("USDT", "-1", "spot", "fee")),
    api_tx("transfer:99", ms("2025-02-13 00:33:45.010"), "transfer",
           ("USDT", "-500", "spot", "out"), ("USDT", "500", "funding", "in")),
    api_tx("usdm_income:FUNDING_FEE:5", ms("2025-03-12 08:00:02.000"), "funding_fee",
           ("USDT", "-0.07779065", "usdm", "out")),
]
MERGED = 5  # trade (2 fills = 1 statement event), deposit, withdrawal, transfer, funding fee


def _write_api(transactions: list[Transaction]) -> None:
    from binsync.storage.writer import write_transactions

    write_transactions(transactions, user_id=USER, connection_id=CONN)
    reconcile_api_transactions(USER, UID, transactions)  # what the sync does after each page


def _state() -> tuple[list[tuple[str, str, tuple[str, ...]]], dict[tuple[str, str], Decimal]]:
    items = _items()
    sums: dict[tuple[str, str], Decimal] = {}
    for item in items:
        for leg in item.body["legs"]:
            key = (leg["asset"], leg["wallet"])
            sums[key] = sums.get(key, D(0)) + D(leg["amount"])
    shape = sorted((i.source_kind, i.kind, tuple(sorted(i.merged_from or []))) for i in items)
    return shape, {k: v for k, v in sums.items() if v}


def _statement_sums(report: dict[str, Any]) -> dict[tuple[str, str], Decimal]:
    return {(s["asset"], s["wallet"]): D(s["change"]) for s in report["sums"] if D(s["change"])}


def test_api_first_then_statement_stores_each_event_once(cloud: Any) -> None:
    _ensure_connection()
    _write_api(API)
    key = _create_upload("u-1")
    cloud.put_upload(key, statement(ROWS))
    status, report = _report("u-1")
    assert status == "done"
    assert report["merged_as_duplicate"] == MERGED
    assert report["imported"] == 2  # the launchpool interest and the unknown operation
    shape, sums = _state()
    statement_items = [s for s in shape if s[0] == "statement"]
    assert statement_items == [("statement", "interest", ()), ("statement", "other", ())]
    api = [s for s in shape if s[0] == "api"]
    assert len(api) == len(API) and all(s[2] for s in api)  # every API item records its statement twin
    assert sums == _statement_sums(report)  # nothing counted twice: balances equal the file's


def test_statement_first_then_api_reaches_the_same_state(cloud: Any) -> None:
    _ensure_connection()
    key = _create_upload("u-1")
    cloud.put_upload(key, statement(ROWS))
    _, report = _report("u-1")
    assert report["imported"] == 7 and report["merged_as_duplicate"] == 0
    _write_api(API)
    shape, sums = _state()
    assert sum(1 for s in shape if s[0] == "statement") == 2
    assert sums == _statement_sums(report)
    # and re-uploading the statement now merges instead of duplicating
    key2 = _create_upload("u-2")
    cloud.put_upload(key2, statement(ROWS))
    _, again = _report("u-2")
    assert again["merged_as_duplicate"] == MERGED and again["imported"] == 0
    assert _state() == (shape, sums)


def test_a_different_amount_is_not_merged(cloud: Any) -> None:
    _ensure_connection()
    off = [api_tx("withdrawal:88", ms("2025-02-11 16:44:51.400"), "withdrawal",
                  ("USDT", "-149", "spot", "out"), ("USDT", "-0.5", "spot", "fee"))]
    _write_api(off)
    cloud.put_upload(_create_upload("u-1"), statement(ROWS))
    _, report = _report("u-1")
    assert report["merged_as_duplicate"] == 0


def test_spill_over_fills_match_across_two_seconds(cloud: Any) -> None:
    _ensure_connection()
    rows = [("2025-01-20 20:22:20", "Spot", "Transaction Spend", "USDT", "-10"),
            ("2025-01-20 20:22:21", "Spot", "Transaction Buy", "SOL", "0.05"),
            ("2025-01-20 20:22:21", "Spot", "Transaction Fee", "SOL", "-0.00005")]
    fills = [api_tx("spot_trade:SOLUSDT:1", ms("2025-01-20 20:22:20.990"), "trade",
                    ("SOL", "0.05", "spot", "in"), ("USDT", "-10", "spot", "out"),
                    ("SOL", "-0.00005", "spot", "fee"))]
    _write_api(fills)
    cloud.put_upload(_create_upload("u-1"), statement(rows))
    _, report = _report("u-1")
    assert report["transactions"] == 1 and report["merged_as_duplicate"] == 1


# ---------------------------------------------------------------------------- pure rule
def _item(tx: Transaction, is_api: bool) -> Any:
    from binsync.statement.merge import _Item, _seconds

    return _Item(None, tx, match_key(tx.kind, tx.legs), _seconds(tx), is_api)  # type: ignore[arg-type]


def stmt_tx(time_ms: int, kind: str, *legs: tuple[str, str, str, str]) -> Transaction:
    return Transaction(id=f"s{time_ms}{kind}", account=UID, time_ms=time_ms, kind=kind,
                       legs=tuple(Leg(a, D(v), w, r) for a, v, w, r in legs), source=Source("statement", "f"))


def test_match_key_families_and_fee_handling() -> None:
    fee_only = match_key("fee", [Leg("USDT", D("-1"), "usdm", "fee")])
    pnl = match_key("futures_pnl", [Leg("USDT", D("2"), "usdm", "in")])
    assert fee_only == pnl == "derivatives|usdm|USDT"
    assert match_key("reward", [Leg("BNB", D(1))]) == match_key("interest", [Leg("BNB", D(1))])
    assert match_key("other", [Leg("BNB", D(1))]) is None
    card = [Leg("BTC", D("0.01")), Leg("EUR", D("-100"), "external", "out")]
    assert match_key("card_buy", card) == "card_buy|spot|BTC"


def test_two_cash_flows_of_one_second_match_as_a_group() -> None:
    t = 1_700_000_000_000
    statement_side = [stmt_tx(t, "fee", ("USDT", "-0.18905360", "usdm", "fee")),
                      stmt_tx(t, "futures_pnl", ("USDT", "27.384", "usdm", "in"))]
    api_side = [api_tx("i:1", t + 300, "futures_pnl", ("USDT", "27.384", "usdm", "in")),
                api_tx("i:2", t + 300, "fee", ("USDT", "-0.1890536", "usdm", "fee"))]
    merges = plan_merges([_item(tx, False) for tx in statement_side] + [_item(tx, True) for tx in api_side])
    assert len(merges) == 1 and len(merges[0][0]) == 2 and len(merges[0][1]) == 2


def test_rounding_tolerance_is_one_unit_of_the_8th_decimal_per_leg() -> None:
    t = 1_700_000_000_000
    s = [_item(stmt_tx(t, "deposit", ("BTC", "0.12345678", "spot", "in")), False)]
    assert legs_match(s, [_item(api_tx("d", t, "deposit", ("BTC", "0.123456785", "spot", "in")), True)])
    assert not legs_match(s, [_item(api_tx("d", t, "deposit", ("BTC", "0.12345681", "spot", "in")), True)])


def test_items_seconds_apart_do_not_match() -> None:
    t = 1_700_000_000_000
    s = [_item(stmt_tx(t, "deposit", ("BTC", "1", "spot", "in")), False)]
    far = [_item(api_tx("d", t + 2500, "deposit", ("BTC", "1", "spot", "in")), True)]
    assert plan_merges(s + far) == []
    near = [_item(api_tx("d", t + 1500, "deposit", ("BTC", "1", "spot", "in")), True)]
    assert len(plan_merges(s + near)) == 1




def test_fills_of_two_markets_in_one_second_merge_even_when_the_statement_paired_a_fee_elsewhere() -> None:
    """Seen on the reference demo (2025-03-25 11:48:05): a BNB->USDT fill and an ETH->USDT fill
    whose fee was paid in BNB. The statement has no market column, so its BNB fee row went to the
    BNB event: neither statement event equals its API fill, and both were kept, counting the
    fills twice (spot USDT +115.32, BNB -0.36434081, ETH -0.0031132 after the upload)."""
    t = 1_742_903_285_000
    statement_side = [
        stmt_tx(t, "trade", ("USDT", "6.32633372", "spot", "in"), ("ETH", "-0.0031132", "spot", "out")),
        stmt_tx(t, "trade", ("USDT", "-0.1091044", "spot", "fee"), ("USDT", "109.10440775", "spot", "in"),
                ("BNB", "-0.364325", "spot", "out"), ("BNB", "-0.00001581", "spot", "fee")),
    ]
    api_side = [
        api_tx("spot_trade:BNBUSDT:1", t + 489, "trade", ("BNB", "-0.364325", "spot", "out"),
               ("USDT", "109.10440775", "spot", "in"), ("USDT", "-0.1091044", "spot", "fee")),
        api_tx("spot_trade:ETHUSDT:1", t + 927, "trade", ("ETH", "-0.0031132", "spot", "out"),
               ("USDT", "6.32633372", "spot", "in"), ("BNB", "-0.00001581", "spot", "fee")),
    ]
    merges = plan_merges([_item(tx, False) for tx in statement_side] + [_item(tx, True) for tx in api_side])
    assert [(len(s), len(a)) for s, a in merges] == [(2, 2)]
    # A different amount in either market is still not the same fills.
    changed = [*statement_side[:1], stmt_tx(t, "trade", ("USDT", "109.1", "spot", "in"),
                                            ("BNB", "-0.364325", "spot", "out"),
                                            ("BNB", "-0.00001581", "spot", "fee"))]
    assert plan_merges([_item(tx, False) for tx in changed] + [_item(tx, True) for tx in api_side]) == []
