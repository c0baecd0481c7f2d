"""The generated ledger: deterministic, conserving, plausible, rendered consistently."""

from __future__ import annotations

import csv
import io
import time
from collections import Counter, defaultdict
from decimal import Decimal

import pytest
from binsync.binance import catalogue
from binsync.model import KINDS, WALLETS
from binsync_local.emulator import generate_account, write_statement
from binsync_local.emulator.statement import ACCOUNT_NAMES, write_statement_files
from emulator_support import FIXED_NOW

ACCOUNT_TO_WALLET = {v: k for k, v in ACCOUNT_NAMES.items()}


REWARD_RECORDS = frozenset({"Simple Earn Flexible - Rewards Income", "Simple Earn Locked - Rewards Income"})


def statement_sums(account) -> tuple[dict, list[list[str]]]:
    buf = io.StringIO()
    write_statement(account, buf)
    buf.seek(0)
    rows = list(csv.reader(buf))
    sums: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for row in rows[1:]:
        if row[3] in REWARD_RECORDS:  # a reward's twin on Account Earn: its payment moves the coin
            continue
        sums[(row[4], ACCOUNT_TO_WALLET[row[2]])] += Decimal(row[5])
    return {k: v for k, v in sums.items() if v}, rows


@pytest.mark.parametrize("seed", [1, 2, 3, 42])
def test_statement_change_sums_to_balances_small(seed):
    account = generate_account("small", seed, FIXED_NOW)
    sums, rows = statement_sums(account)
    assert rows[0] == ["User_ID", "UTC_Time", "Account", "Operation", "Coin", "Change", "Remark"]
    assert sums == account.truth().balances()


@pytest.mark.slow
@pytest.mark.parametrize("seed", [5])
def test_statement_change_sums_to_balances_reference(seed):
    account = generate_account("reference", seed, FIXED_NOW)
    sums, _ = statement_sums(account)
    assert sums == account.truth().balances()


def test_deterministic_for_profile_seed_and_now():
    a = generate_account("small", 3, FIXED_NOW)
    b = generate_account("small", 3, FIXED_NOW)
    c = generate_account("small", 4, FIXED_NOW)
    assert a.uid == b.uid and [e.api[0].raw for e in a.events if e.api] == [
        e.api[0].raw for e in b.events if e.api
    ]
    assert a.truth().balances() == b.truth().balances()
    assert a.uid != c.uid or a.truth().balances() != c.truth().balances()


def test_small_is_fast_and_covers_every_family(small_fixed):
    t0 = time.perf_counter()
    generate_account("small", 99, FIXED_NOW)
    assert time.perf_counter() - t0 < 2.0  # generous: measured ~0.05 s; tests must not be flaky
    endpoints = set(small_fixed.records())
    for name in (
        "spot.my_trades",
        "wallet.deposits",
        "wallet.withdrawals",
        "fiat.orders",
        "fiat.payments",
        "convert.trade_flow",
        "wallet.dust",
        "wallet.dividends",
        "wallet.universal_transfer",
        "margin.transfers",
        "p2p.orders",
        "pay.transactions",
        "margin.my_trades",
        "margin.borrow_repay",
        "margin.interest",
        "margin.liquidations",
        "usdm.user_trades",
        "usdm.income",
        "coinm.user_trades",
        "coinm.income",
        "options.user_trades",
        "options.bill",
        "options.exercise",
        "earn.flexible_subscriptions",
        "earn.flexible_redemptions",
        "earn.flexible_rewards",
        "earn.locked_subscriptions",
        "earn.locked_redemptions",
        "earn.locked_rewards",
        "staking.eth_stake",
        "staking.wbeth_rewards",
        "staking.sol_stake",
        "auto_invest.history",
        "mining.payments",
        "loans.income",
        "rebates.tax_query",
    ):
        assert name in endpoints, name
        assert name in catalogue.ENDPOINTS, name
    kinds = {e.kind for e in small_fixed.events}
    assert kinds <= set(KINDS)
    assert {w for e in small_fixed.events for _a, _v, w, _r in e.legs} <= set(WALLETS)


def test_balances_never_negative_outside_external(small_fixed):
    running: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    times = [e.time_ms for e in small_fixed.events]
    assert times == sorted(times)
    for ev in small_fixed.events:
        for asset, amount, wallet, _role in ev.legs:
            if wallet != "external":
                running[(asset, wallet)] += amount
        for (asset, wallet), v in running.items():
            assert v >= 0, (asset, wallet, ev.time_ms, ev.kind)
    # Money arrives first: the very first events are deposits / fiat deposits.
    assert {e.kind for e in small_fixed.events[:3]} <= {"deposit", "fiat_deposit"}


def test_native_keys_unique_and_records_carry_ledger_legs(small_fixed):
    keys = Counter((r.endpoint, r.native_key) for e in small_fixed.events for r in e.api)
    assert max(keys.values()) == 1
    for ev in small_fixed.events:
        # One item per native key: a margin transfer is shown by two endpoints with the same key.
        ledger = list({r.native_key: r for r in ev.api if not r.detail}.values())
        if ledger:  # the event's legs are exactly its ledger records' legs
            assert sorted(ev.legs) == sorted(leg for r in ledger for leg in r.legs), ev.kind
        for r in ev.api:
            if r.detail:
                assert r.legs == ()


def test_big_ids_stay_ints_beyond_2_53(small_fixed):
    big = {
        "convert.trade_flow": "orderId",
        "margin.interest": "txId",
        "options.user_trades": "id",
        "options.bill": "id",
    }
    for name, fld in big.items():
        recs = small_fixed.records(name)
        assert recs and all(isinstance(r.raw[fld], int) and r.raw[fld] > 2**53 for r in recs), name


def test_noise_records_are_not_events(small_fixed):
    noise = {(r.endpoint, r.raw.get("status", r.raw.get("orderStatus"))) for r in small_fixed.noise}
    assert ("wallet.deposits", 0) in noise
    assert ("fiat.payments", "Failed") in noise
    assert ("p2p.orders", "CANCELLED") in noise
    assert all(not r.completed and not r.legs for r in small_fixed.noise)


def test_statement_shape_and_quirks():
    account = generate_account("reference", 2, FIXED_NOW, scale=0.2)
    _, rows = statement_sums(account)
    ops = Counter(r[3] for r in rows[1:])
    for op in (
        "Transaction Related",
        "Buy",
        "Sell",
        "Fee",
        "Transaction Buy",
        "Transaction Spend",
        "Transaction Fee",
        "Transaction Revenue",
        "Transaction Sold",
        "Deposit",
        "Withdraw",
        "Fiat Deposit",
        "Binance Convert",
        "Small Assets Exchange BNB",
        "Binance Card Spending",
        "Funding Fee",
        "Realized Profit and Loss",
        "Margin Loan",
        "Margin Repayment",
        "Transfer Between Main and Funding Wallet",
        "Simple Earn Flexible Interest",
    ):
        assert ops[op] > 0, op
    assert all(r[6] == "Withdraw fee is included" for r in rows[1:] if r[3] == "Withdraw")
    # Internal transfers are two rows that cancel out.
    transfer_rows = [r for r in rows[1:] if r[3].startswith("Transfer Between")]
    assert sum(Decimal(r[5]) for r in transfer_rows) == 0
    # Futures are cash flows only; no futures trade legs.
    assert not any(r[2] == "USD-M Futures" and r[3].startswith(("Transaction", "Buy", "Sell")) for r in rows)
    # Some second holds interleaved legs of several fills.
    per_second = Counter((r[1], r[2]) for r in rows[1:] if r[3].startswith("Transaction "))
    assert max(per_second.values()) >= 6
    assert all(len(r[1]) == 19 for r in rows[1:])
    # Some orders' fills straddle two seconds (their rows spill into the next second).
    seconds: dict[tuple, set] = defaultdict(set)
    for r in account.records("spot.my_trades"):
        seconds[(r.raw["symbol"], r.raw["orderId"])].add(r.time_ms // 1000)
    assert any(len(s) > 1 for s in seconds.values())


def test_statement_per_year_files_add_up(tmp_path, small_fixed):
    paths = write_statement_files(small_fixed, tmp_path / "statement.csv", per_year=True)
    assert len(paths) >= 4
    total = 0
    for p in paths:
        with p.open() as fh:
            rows = list(csv.reader(fh))
        assert rows[0][0] == "User_ID"
        year = p.stem.rsplit("-", 1)[1]
        assert all(r[1].startswith(year) for r in rows[1:])
        total += len(rows) - 1
    buf = io.StringIO()
    assert write_statement(small_fixed, buf) == total


def test_truth_statement_only_includes_card_and_removed_markets(small_fixed):
    only = small_fixed.truth().statement_only()
    notes = {e.note for e in only}
    assert "card spending" in notes
    removed = small_fixed.removed_symbols
    assert any(r.symbol in removed for e in only for r in e.api)
    ids = small_fixed.truth().api_ids()
    assert "spot.my_trades" in ids and "wallet.dust" in ids
