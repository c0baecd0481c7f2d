"""The margin capital flow cross-checks the margin ledger (sync/margin_check.py)."""

from __future__ import annotations

from binsync.sync.margin_check import cross_check

T = 1_780_000_000_000


def _flow(n: int, flow_type: str, asset: str, amount: str) -> dict:
    return {"time_ms": T + n, "source": {"ref": "margin.capital_flow"}, "legs": [],
            "meta": {"type": flow_type, "asset": asset, "amount": amount}}


def _fill(n: int, legs: list[tuple[str, str, str]]) -> dict:
    return {"time_ms": T + n, "source": {"ref": "margin.my_trades"},
            "legs": [{"asset": a, "amount": v, "wallet": w} for a, v, w in legs]}


FILL = [("BTC", "0.01", "margin_cross"), ("USDT", "-300", "margin_cross"),
        ("BTC", "-0.00001", "margin_cross")]
FLOWS = [_flow(1, "BUY_INCOME", "BTC", "0.01"), _flow(1, "BUY_EXPENSE", "USDT", "-300"),
         _flow(1, "TRADING_COMMISSION", "BTC", "-0.00001"), _flow(2, "TRANSFER", "USDT", "500")]


def test_flows_and_fills_agree_per_asset():
    check = cross_check([*FLOWS, _fill(1, FILL)], since_ms=T)
    assert check["agrees"] is True and check["flows"] == 3 and check["not_compared"] == {"TRANSFER": 1}


def test_a_fill_missing_from_the_ledger_is_named_by_asset():
    check = cross_check(FLOWS, since_ms=T)
    assert check["agrees"] is False
    assert {d["asset"]: d["difference"] for d in check["differences"]} == {"BTC": "0.00999", "USDT": "-300"}


def test_records_before_the_horizon_are_not_compared():
    assert cross_check([_fill(-5, FILL)], since_ms=T)["agrees"] is True
