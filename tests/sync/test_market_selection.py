"""Which spot markets a sync walks (planner.select_markets), pure: no storage, no Binance."""

from __future__ import annotations

import pytest
from binsync.binance.catalogue import DAY_MS
from binsync.sync.planner import (
    FULL_WALK_EVERY_MS,
    RULE_ALL,
    RULE_CHANGED,
    PlanInputs,
    build_plan,
    changed_assets,
    select_markets,
)

NOW = 1_780_000_000_000
MARKETS = {
    "BTCUSDT": {"base": "BTC", "quote": "USDT", "status": "TRADING"},
    "ETHBTC": {"base": "ETH", "quote": "BTC", "status": "TRADING"},
    "ETHUSDT": {"base": "ETH", "quote": "USDT", "status": "TRADING"},
    "XRPETH": {"base": "XRP", "quote": "ETH", "status": "BREAK"},
    "DOGEUSDT": {"base": "DOGE", "quote": "USDT", "status": "TRADING"},
    "ADABNB": {"base": "ADA", "quote": "BNB", "status": "REMOVED"},
    "SOLFDUSD": {"base": "SOL", "quote": "FDUSD", "status": "TRADING"},
}
LAST = {"BTC": "1.50", "ETH": "2", "USDT": "100", "BNB": "0.3", "ZERO": "0"}


def _select(mode="incremental", **kw):
    args = {"now_ms": NOW, "balances": dict(LAST), "last_balances": dict(LAST), "traded": ["BTCUSDT"],
            "last_all_markets_at": NOW - 7 * DAY_MS}
    args.update(kw)
    return select_markets(mode, MARKETS, **args)


def test_selection_is_traded_markets_plus_every_market_of_an_asset_whose_balance_changed():
    # BTC: "1.5" == "1.50" as a Decimal (no change); ZERO: missing now = 0 (no change);
    # USDT changed; XRP appeared; BNB disappeared (sold out: missing = 0).
    now = {"BTC": "1.5", "ETH": "2", "USDT": "90.5", "XRP": "12"}
    assert changed_assets(LAST, now) == {"USDT", "XRP", "BNB"}
    selection = _select(balances=now, traded=["SOLFDUSD"])
    # Brute force over the market map: a market is walked iff traded or one of its assets changed.
    moved = {"USDT", "XRP", "BNB"}
    expected = {s for s, m in MARKETS.items() if s == "SOLFDUSD" or {m["base"], m["quote"]} & moved}
    assert expected == {"SOLFDUSD", "BTCUSDT", "ETHUSDT", "DOGEUSDT", "XRPETH", "ADABNB"}
    assert selection.symbols == sorted(expected)
    assert "ETHBTC" not in selection.symbols  # neither ETH nor BTC moved: no fill possible there
    assert selection.note["rule"] == RULE_CHANGED and not selection.walks_every_market
    assert (selection.note["walked"], selection.note["of"]) == (6, len(MARKETS))
    assert selection.note["changed_assets"] == ["BNB", "USDT", "XRP"] and selection.note["reason"]


def test_unchanged_balances_walk_only_the_traded_markets():
    selection = _select(traded=["ETHBTC", "BTCUSDT"])
    assert selection.symbols == ["BTCUSDT", "ETHBTC"]
    assert selection.note["walked"] == 2 and selection.note["changed_assets"] == []
    # Nothing traded and nothing moved: no market at all, and that is a valid plan.
    empty = _select(traded=[])
    assert empty.symbols == [] and empty.note["rule"] == RULE_CHANGED
    plan = build_plan(PlanInputs(start_ms=NOW - 9 * DAY_MS, now_ms=NOW, only=frozenset({"spot.my_trades"}),
                                 symbols={"spot.my_trades": empty.symbols},
                                 symbol_notes={"spot.my_trades": empty.note}))
    assert plan.tasks == [] and plan.not_planned == []
    assert plan.coverage["spot"]["markets"] == empty.note


def test_a_locked_amount_counts_like_a_free_one():
    # The snapshot holds free + locked: an order placed (free -> locked) is no change.
    from binsync.sync import binance_io

    class Client:
        def request(self, name, params=None):
            assert name == "account.spot"
            return {"balances": [{"asset": "BTC", "free": "0.5", "locked": "1.0"},
                                 {"asset": "ETH", "free": "0", "locked": "0"}]}

    now = {k: str(v) for k, v in binance_io.spot_balances(Client()).items()}
    assert now == {"BTC": "1.5"} and changed_assets({"BTC": "1.50"}, now) == set()


def test_an_unreadable_stored_amount_is_a_change_not_a_crash():
    assert changed_assets({"BTC": "n/a"}, {"BTC": "1"}) == {"BTC"}


def test_a_market_without_known_assets_is_always_walked():
    markets = {**MARKETS, "NEWPAIR": {"status": "TRADING"}}
    selection = select_markets("incremental", markets, now_ms=NOW, balances=LAST, last_balances=LAST,
                               traded=[], last_all_markets_at=NOW)
    assert selection.symbols == ["NEWPAIR"]


@pytest.mark.parametrize(("change", "reason_word"), [
    ({"last_all_markets_at": NOW - FULL_WALK_EVERY_MS}, "28 days"),           # exactly 4 weeks: due
    ({"last_all_markets_at": NOW - 29 * DAY_MS}, "28 days"),
    ({"last_all_markets_at": None}, "28 days"),
    ({"last_balances": None}, "snapshot"),
    ({"balances": None}, "could not be read"),
    ({"traded": None}, "not known"),
])
def test_every_market_is_walked_without_a_sound_baseline(change, reason_word):
    selection = _select(**change)
    assert selection.symbols == sorted(MARKETS) and selection.walks_every_market
    assert selection.note == {"rule": RULE_ALL, "walked": len(MARKETS), "of": len(MARKETS),
                              "reason": selection.note["reason"]}
    assert reason_word in selection.note["reason"]


def test_a_recent_full_walk_allows_narrowing():
    selection = _select(last_all_markets_at=NOW - FULL_WALK_EVERY_MS + 1)
    assert selection.symbols == ["BTCUSDT"]


@pytest.mark.parametrize("mode", ["full", "since_last"])
def test_full_and_since_last_walk_every_market_even_with_a_baseline(mode):
    selection = _select(mode, balances={"XRP": "1"})
    assert selection.symbols == sorted(MARKETS) and selection.note["rule"] == RULE_ALL
    assert mode in selection.note["reason"]
