"""Row validation (line numbers), every Operation of spec §4, grouping, ids across files."""

from __future__ import annotations

from decimal import Decimal

import pytest
from binsync.model import KINDS
from binsync.statement.operations import lookup

from .helpers import assert_conserved, legs_of, parse, statement

# Every Operation name of spec/binance-statement.md §4 (tables 4.1-4.9), as written there.
SPEC_OPERATIONS = (
    "Buy", "Sell", "Fee", "Transaction Related", "Transaction Buy", "Transaction Spend", "Transaction Fee",
    "Transaction Revenue", "Transaction Sold", "The Easiest Way to Trade", "Large OTC trading",
    "Binance Convert", "Asset Conversion Transfer", "Futures Convert", "Stablecoins Auto-Conversion",
    "Leverage Token Redemption", "Small assets exchange BNB", "Small Assets Exchange BNB",
    "BNB Fee Deduction", "BNB deducts fee", "ETH 2.0 Staking", "BETH to WBETH Wrapping", "Buy Crypto",
    "Buy Crypto With Card", "Buy Crypto With Fiat", "Auto-Invest Transaction", "Swap Farming Transaction",
    "Liquid Swap Sell", "Deposit", "Withdraw", "Fiat Deposit", "Fiat Withdraw", "Fiat Withdrawal",
    "Fiat OCBS - Add Fiat and Fees", "Send", "P2P Trading", "Binance Pay", "Merchant Payment", "Spending",
    "Crypto Box", "Transfer Between Main and Funding Wallet", "Transfer Between Spot and Funding",
    "Main and Funding Account Transfer", "Transfer Between Spot Account and UM Futures Account",
    "Transfer Between Spot Account and CM Futures Account",
    "Transfer Between Main Account/Futures and Margin Account",
    "Transfer Between Main Account And Mining Account", "Transfer Between Main And Mining Account",
    "Transfer Between Spot and Strategy Account", "transfer_in", "transfer_out",
    "Simple Earn Flexible Subscription", "Simple Earn Flexible Redemption",
    "Simple Earn Locked Subscription", "Simple Earn Locked Redemption", "Staking Purchase",
    "Staking Redemption", "POS savings purchase", "POS savings redemption", "Savings purchase",
    "Savings Principal redemption", "Launchpool Subscription/Redemption", "Launchpad Subscribe",
    "Liquid Swap add", "Liquid Swap Add", "Liquid Swap Add/Sell", "Liquid Swap remove",
    "Liquidity Farming Remove", "Dual Investment Subscribe", "Dual Investment Settlement", "Auto Compound",
    "ETH 2.0 Staking Withdrawals", "Freeze", "Unfreeze", "Simple Earn Flexible Interest",
    "Simple Earn Flexible realTimeApr Interest", "Simple Earn Locked Rewards",
    "Simple Earn Locked Interest", "Simple Earn Flexible Airdrop", "Savings Interest",
    "Savings distribution", "Savings Distribution", "POS savings interest", "Staking Rewards",
    "ETH 2.0 Staking Rewards", "DOT Staking Rewards", "SOL Staking Rewards", "ADA Staking Rewards",
    "DOT Slot Auction Rewards", "BNB Vault Rewards", "Swap Farming Rewards", "Liquid Swap rewards",
    "Liquid Swap Rewards", "Launchpool Interest", "Launchpool Earnings Withdrawal", "Launchpool Earnings",
    "Launchpool Earnings Distribution", "Launchpad token distribution", "Pool Distribution",
    "Super BNB Mining", "Distribution", "Airdrop Assets", "Asset - Transfer", "Cash Voucher distribution",
    "Cash Voucher Distribution", "Cash Voucher", "Cashback Voucher", "Mission Reward Distribution",
    "Campaign Related Reward", "Launchpool Airdrop", "Launchpool Airdrop - User Claim Distribution",
    "Launchpool Airdrop - System Distribution", "HODLer Airdrops Distribution", "Megadrop Rewards",
    "Token Swap - Distribution", "Token Swap - Redenomination/Rebranding", "Token Swap Restitution",
    "Alpha 2.0 Tokens Distribution", "Binance Convert Bonus", "Asset Recovery", "Fund Recovery",
    "Leveraged Coin Consolidation", "Commission History", "Commission Rebate",
    "Commission Fee Shared With You", "Referral Kickback", "Referral Commission", "Referrer rebates",
    "Referee rebates", "Strategy Trading Fee Rebate", "Binance Card Spending", "Binance Card Cashback",
    "Card Cashback", "Cashback", "NFT Transaction", "NFT Gas Fee", "Funding Fee",
    "Realized Profit and Loss", "Realize profit and loss", "Insurance Fund Compensation",
    "Insurance fund compensation", "Insurance Fund Refund", "Margin loan", "Margin Loan",
    "Isolated Margin Loan", "IsolatedMargin loan", "Margin Repayment", "Isolated Margin Repayment",
    "IsolatedMargin repayment", "Cross Margin Liquidation - Repayment",
    "Cross Margin Liquidation - Small Assets Takeover", "Isolated Margin Liquidation - Fee",
)

EXPECTED_KIND = {
    "Deposit": "deposit", "Withdraw": "withdrawal", "Binance Convert": "convert",
    "Small assets exchange BNB": "dust", "Transaction Buy": "trade", "Funding Fee": "funding_fee",
    "Realize profit and loss": "futures_pnl", "Margin loan": "borrow", "IsolatedMargin repayment": "repay",
    "Simple Earn Flexible Interest": "interest", "Simple Earn Locked Rewards": "reward",
    "HODLer Airdrops Distribution": "airdrop", "Referral Kickback": "rebate",
    "Binance Card Cashback": "rebate", "Binance Card Spending": "pay", "P2P Trading": "p2p",
    "Super BNB Mining": "mining", "Fiat Deposit": "fiat_deposit", "Fiat Withdrawal": "fiat_withdrawal",
    "Buy Crypto": "card_buy", "Transfer Between Spot and Strategy Account": "transfer",
    "Insurance Fund Compensation": "liquidation",
}


@pytest.mark.parametrize("name", SPEC_OPERATIONS)
def test_every_spec_operation_is_known_in_any_case(name):
    spec = lookup(name, "spot")
    assert (spec.known and spec.kind in KINDS and spec.kind != "other") or name in (
        "Asset Recovery", "Fund Recovery", "Leveraged Coin Consolidation", "NFT Transaction")
    for variant in (name.upper(), name.lower(), f"  {name.replace(' ', '  ')} "):
        assert lookup(variant, "spot") == spec
    if name in EXPECTED_KIND:
        assert spec.kind == EXPECTED_KIND[name]


def test_a_file_with_every_operation_conserves_every_balance():
    rows = []
    for i, name in enumerate(SPEC_OPERATIONS):
        t = f"2024-01-01 {i // 60:02d}:{i % 60:02d}:00"
        account = "USD-M Futures" if name in ("Funding Fee", "Realized Profit and Loss") else "Spot"
        rows.append((t, account, name, "USDT", f"-{i + 1}.5"))
        rows.append((t, "Funding" if "Transfer" in name else account, name, "BTC", f"0.{i + 1:04d}"))
    txs, stats = parse(statement(rows))
    assert stats.rejected_count == 0 and stats.unknown_operations == {}
    assert_conserved(txs, stats)
    assert len({tx.id for tx in txs}) == len(txs)


def test_futures_fee_is_a_cash_flow_but_spot_fee_belongs_to_the_fill():
    assert lookup("Fee", "usdm").kind == "fee" and lookup("Fee", "usdm").family == "single"
    assert lookup("Fee", "spot").family == "spot_trade"
    assert lookup("Fee", "margin_cross").family == "spot_trade"


def test_unknown_operation_is_kept_as_other_and_reported():
    txs, stats = parse(statement([
        ("2025-05-01 10:00:00", "Spot", "Quantum Vault Payout", "QNT", "2"),
        ("2025-05-01 10:00:00", "Spot", "Quantum Vault Payout", "USDT", "-1"),
        ("2025-05-01 10:00:01", "Spot", "Deposit", "BTC", "1"),
    ]))
    assert stats.unknown_operations == {"Quantum Vault Payout": 2}
    other = [tx for tx in txs if tx.kind == "other"]
    assert len(other) == 1
    assert legs_of(other[0]) == {("QNT", "2", "spot", "in"), ("USDT", "-1", "spot", "out")}
    assert other[0].meta["unknown_operation"] == "Quantum Vault Payout"
    assert_conserved(txs, stats)


def test_malformed_rows_are_rejected_with_their_line_and_the_rest_imported():
    data = statement([
        ("2025-01-01 00:00:00", "Spot", "Deposit", "BTC", "1"),           # line 2 ok
        ("2025-13-01 00:00:00", "Spot", "Deposit", "BTC", "1"),           # 3 bad month
        ("2025-01-01 25:00:00", "Spot", "Deposit", "BTC", "1"),           # 4 bad hour
        ("2025-01-01 00:00:01", "Spot", "Deposit", "BTC", "1,2,3"),       # 5 bad number
        ("2025-01-01 00:00:02", "Spot", "Deposit", "BTC", "NaN"),         # 6 not finite
        ("2025-01-01 00:00:03", "Moon Wallet", "Deposit", "BTC", "1"),    # 7 unknown account
        ("2025-01-01 00:00:04", "Spot", "Deposit", "", "1"),              # 8 empty coin
        ("2025-01-01 00:00:05", "Spot", "Deposit", "ETH", "2"),           # 9 ok
    ])
    data += b'"123456789","2025-01-01 00:00:06","Spot"\n'  # 10 short row
    data += b'"999","2025-01-01 00:00:07","Spot","Deposit","BTC","1",""\n'  # 11 another account
    txs, stats = parse(data)
    assert [(r.line, r.reason) for r in stats.rejected] == [
        (3, "bad date '2025-13-01 00:00:00'"),
        (4, "bad time of day in '2025-01-01 25:00:00'"),
        (5, "bad number '1,2,3' in Change"),
        (6, "bad number 'NaN' in Change"),
        (7, "unknown Account 'Moon Wallet'"),
        (8, "empty Coin"),
        (10, "missing column Operation, Coin, Change (row has 3 cells)"),
        (11, "User_ID '999' differs from the file's 123456789"),
    ]
    assert stats.rows == 10 and stats.accepted == 2
    assert [legs_of(tx) for tx in txs] == [{("BTC", "1", "spot", "in")}, {("ETH", "2", "spot", "in")}]
    assert_conserved(txs, stats)


def test_line_numbers_count_physical_lines_of_multiline_remarks():
    data = statement([("2025-01-01 00:00:00", "Spot", "Deposit", "BTC", "1", "two\nlines"),
                      ("2025-01-01 00:00:09", "Spot", "Deposit", "BTC", "x")])
    _, stats = parse(data)
    assert [(r.line, r.reason) for r in stats.rejected] == [(4, "bad number 'x' in Change")]


# ---------------------------------------------------------------------------- grouping
FILLS = [
    ("2025-03-04 09:15:27", "Spot", "Transaction Spend", "USDT", "-100"),
    ("2025-03-04 09:15:27", "Spot", "Transaction Buy", "ETH", "0.05"),
    ("2025-03-04 09:15:27", "Spot", "Transaction Fee", "BNB", "-0.0001"),
]


def test_identical_fills_in_one_file_are_all_kept():
    txs, _ = parse(statement(FILLS * 3))
    (trade,) = txs
    assert legs_of(trade) == {("USDT", "-300", "spot", "out"), ("ETH", "0.15", "spot", "in"),
                              ("BNB", "-0.0003", "spot", "fee")}
    # the same rows as separate identical deposits: three events, three ids
    dep = [("2025-03-04 09:15:27", "Spot", "Deposit", "USDT", "100")] * 3
    txs, _ = parse(statement(dep))
    assert len(txs) == 3 and len({tx.id for tx in txs}) == 3


def test_overlapping_exports_produce_the_same_ids():
    shared = [*FILLS, ("2025-03-05 08:00:00", "Spot", "Deposit", "BTC", "1"),
              ("2025-03-05 08:00:00", "Spot", "Deposit", "BTC", "1")]
    year1 = [("2024-06-01 10:00:00", "Spot", "Deposit", "BTC", "1"), *shared]
    year2 = [*shared, ("2025-06-01 10:00:00", "Spot", "Deposit", "ETH", "3")]
    ids1 = {tx.id for tx in parse(statement(year1))[0]}
    ids2 = {tx.id for tx in parse(statement(year2))[0]}
    assert len(ids1 & ids2) == 3  # the shared trade and the two identical deposits
    # concatenated (what users upload, repeated header included): each shared event twice, same id
    both, stats = parse(statement(year1) + statement(year2))
    assert stats.rejected_count == 0
    assert {tx.id for tx in both} == ids1 | ids2
    assert len(both) == len(ids1 | ids2) + 3


def test_file_order_does_not_change_ids():
    rows = [*FILLS, ("2025-03-04 09:15:29", "Spot", "Deposit", "BTC", "1"),
            ("2025-03-05 00:00:00", "Spot", "Withdraw", "BTC", "-0.5")]
    forward = {tx.id for tx in parse(statement(rows))[0]}
    backward = {tx.id for tx in parse(statement(list(reversed(rows))))[0]}
    assert forward == backward


def test_spill_over_joins_an_event_cut_across_two_seconds():
    txs, stats = parse(statement([
        ("2025-01-20 20:22:20", "Spot", "Small Assets Exchange BNB", "SHIB", "-15200"),
        ("2025-01-20 20:22:20", "Spot", "Small Assets Exchange BNB", "BNB", "0.00053110"),
        ("2025-01-20 20:22:21", "Spot", "Small Assets Exchange BNB", "DOGE", "-1.91"),
        ("2025-01-20 20:22:21", "Spot", "Small Assets Exchange BNB", "BNB", "0.00041002"),
        ("2025-01-20 20:30:00", "Spot", "Transaction Spend", "USDT", "-10"),
        ("2025-01-20 20:30:01", "Spot", "Transaction Buy", "SOL", "0.05"),
        ("2025-01-20 20:30:01", "Spot", "Transaction Fee", "SOL", "-0.00005"),
    ]))
    dust, _ = txs
    # a dust conversion spans seconds (issue 16: 42 coins over 3 s): the chained seconds are one
    # batch even when the first second already looks complete
    assert dust.kind == "dust" and dust.meta["seconds"] == [1737404540, 1737404541]
    assert {leg.asset for leg in dust.legs} == {"SHIB", "DOGE", "BNB"}
    trades = [tx for tx in txs if tx.kind == "trade"]
    assert len(trades) == 1 and trades[0].meta["seconds"] == [1737405000, 1737405001]
    assert legs_of(trades[0]) == {("USDT", "-10", "spot", "out"), ("SOL", "0.05", "spot", "in"),
                                  ("SOL", "-0.00005", "spot", "fee")}
    assert_conserved(txs, stats)


def test_several_pairs_in_one_second_split_into_one_trade_per_pair():
    txs, stats = parse(statement([
        ("2025-01-01 00:00:00", "Spot", "Transaction Spend", "USDT", "-100"),
        ("2025-01-01 00:00:00", "Spot", "Transaction Buy", "ETH", "0.05"),
        ("2025-01-01 00:00:00", "Spot", "Transaction Fee", "BNB", "-0.001"),
        ("2025-01-01 00:00:00", "Spot", "Transaction Sold", "BTC", "-0.01"),
        ("2025-01-01 00:00:00", "Spot", "Transaction Revenue", "USDT", "600"),
        ("2025-01-01 00:00:00", "Spot", "Transaction Fee", "USDT", "-0.6"),
        ("2025-01-01 00:00:00", "Spot", "Transaction Spend", "USDT", "-50"),
        ("2025-01-01 00:00:00", "Spot", "Transaction Buy", "ETH", "0.025"),
        ("2025-01-01 00:00:00", "Spot", "Transaction Fee", "BNB", "-0.0005"),
    ]))
    assert sorted(frozenset(legs_of(tx)) for tx in txs) == sorted([
        frozenset({("USDT", "-150", "spot", "out"), ("ETH", "0.075", "spot", "in"),
                   ("BNB", "-0.0015", "spot", "fee")}),
        frozenset({("BTC", "-0.01", "spot", "out"), ("USDT", "600", "spot", "in"),
                   ("USDT", "-0.6", "spot", "fee")}),
    ])
    assert_conserved(txs, stats)


def test_transfers_pair_by_coin_and_amount_across_accounts():
    op = "Transfer Between Main and Funding Wallet"
    txs, stats = parse(statement([
        ("2025-01-01 00:00:00", "Spot", op, "USDT", "-5"),
        ("2025-01-01 00:00:00", "Spot", op, "BTC", "-1"),
        ("2025-01-01 00:00:00", "Funding", op, "BTC", "1"),
        ("2025-01-01 00:00:00", "Funding", op, "USDT", "5"),
        ("2025-01-01 00:00:00", "Spot", op, "ETH", "-2"),  # other half hidden by the export option
    ]))
    pairs = sorted(frozenset(legs_of(tx)) for tx in txs)
    assert pairs == sorted([
        frozenset({("USDT", "-5", "spot", "out"), ("USDT", "5", "funding", "in")}),
        frozenset({("BTC", "-1", "spot", "out"), ("BTC", "1", "funding", "in")}),
        frozenset({("ETH", "-2", "spot", "out")}),
    ])
    assert all(tx.kind == "transfer" for tx in txs)
    assert_conserved(txs, stats)


def test_period_and_sums():
    _, stats = parse(statement([
        ("2025-01-02 00:00:00", "Spot", "Deposit", "BTC", "1"),
        ("2024-12-31 23:59:59", "Spot", "Deposit", "BTC", "0.5"),
    ]))
    assert stats.period() == {"from": "2024-12-31 23:59:59", "to": "2025-01-02 00:00:00"}
    assert stats.sums == {("BTC", "spot"): Decimal("1.5")}
