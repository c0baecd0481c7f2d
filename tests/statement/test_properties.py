"""Property: for any statement, legs of the parsed transactions sum to the Change column per
(asset, wallet), minus rejected rows; ids are unique; row order inside a file does not matter."""

from __future__ import annotations

from decimal import Decimal

from binsync.statement.events import legs_sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .helpers import nonzero, parse, statement

ACCOUNTS = {"Spot": "spot", "Funding": "funding", "Earn": "earn", "Cross Margin": "margin_cross",
            "IsolatedMargin": "margin_isolated", "USD-MFutures": "usdm", "Coin-M Futures": "coinm",
            "Card": "card", "Pool": "mining", "Savings": "earn", "USDT-Futures": "usdm"}
OPERATIONS = ["Transaction Buy", "Transaction Spend", "Transaction Fee", "Transaction Sold",
              "Transaction Revenue", "Buy", "Sell", "Fee", "Binance Convert", "Small Assets Exchange BNB",
              "Deposit", "Withdraw", "Transfer Between Main and Funding Wallet", "Funding Fee",
              "Realized Profit and Loss", "Simple Earn Flexible Interest", "Margin Loan", "Distribution",
              "Never Seen Before Op", "ETH 2.0 Staking", "Simple Earn Locked Subscription", "P2P Trading"]
COINS = ["BTC", "ETH", "USDT", "BNB", "SHIB"]
BASE = 1_735_689_600  # 2025-01-01

amounts = st.decimals(min_value=Decimal("-1000"), max_value=Decimal("1000"), places=8, allow_nan=False)
good_row = st.tuples(st.integers(0, 40), st.sampled_from(sorted(ACCOUNTS)), st.sampled_from(OPERATIONS),
                     st.sampled_from(COINS), amounts, st.sampled_from(["", "Binance Earn"]),
                     st.sampled_from(["plain", "sci"]))
bad_row = st.tuples(st.integers(0, 40), st.sampled_from(["bad_time", "bad_number", "bad_account"]))


def _render(row) -> tuple[str, ...]:
    from datetime import UTC, datetime

    offset, account, op, coin, amount, remark, style = row
    when = datetime.fromtimestamp(BASE + offset, tz=UTC).strftime("%Y-%m-%d %H:%M:%S")
    text = f"{amount:E}" if style == "sci" and amount else format(amount, "f")
    return (when, account, op, coin, text, remark)


def _render_bad(row) -> tuple[str, ...]:
    _, kind = row
    return {"bad_time": ("2025-02-30 00:00:00", "Spot", "Deposit", "BTC", "1"),
            "bad_number": ("2025-01-01 00:00:00", "Spot", "Deposit", "BTC", "1.2.3"),
            "bad_account": ("2025-01-01 00:00:00", "Vault", "Deposit", "BTC", "1")}[kind]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(good_row.map(lambda r: ("good", r)), bad_row.map(lambda r: ("bad", r))),
                max_size=60),
       st.booleans())
def test_legs_sum_to_the_change_column_minus_rejected_rows(rows, sort_rows):
    good = [r for tag, r in rows if tag == "good"]
    # Binance files are time-ordered; unsorted ones must conserve too
    ordered = sorted(rows, key=lambda tr: tr[1][0]) if sort_rows else rows
    rendered = [_render(r) if tag == "good" else _render_bad(r) for tag, r in ordered]
    txs, stats = parse(statement(rendered))
    assert stats.rejected_count == len(rows) - len(good)
    expected: dict[tuple[str, str], Decimal] = {}
    for _, account, _, coin, amount, _, _ in good:
        key = (coin, ACCOUNTS[account])
        expected[key] = expected.get(key, Decimal(0)) + amount
    assert nonzero(legs_sum(txs)) == nonzero(expected) == nonzero(stats.sums)
    if sort_rows:
        assert len({tx.id for tx in txs}) == len(txs)
    assert sum(len(tx.meta["lines"]) for tx in txs) == len(good)  # every row in exactly one event


@settings(max_examples=60, deadline=None)
@given(st.lists(good_row, min_size=1, max_size=40), st.randoms())
def test_ids_do_not_depend_on_row_order_between_seconds(rows, rnd):
    """Binance writes newest first, users may sort: events (rows of one second keep their
    relative order) get the same ids either way."""
    rows = sorted(rows, key=lambda r: r[0])
    by_second: dict[int, list] = {}
    for r in rows:
        by_second.setdefault(r[0], []).append(r)
    seconds = sorted(by_second)
    reordered = [r for s in reversed(seconds) for r in by_second[s]]
    forward = sorted(tx.id for tx in parse(statement([_render(r) for r in rows]))[0])
    backward = sorted(tx.id for tx in parse(statement([_render(r) for r in reordered]))[0])
    assert forward == backward
