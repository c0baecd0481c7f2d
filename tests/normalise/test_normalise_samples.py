"""Every endpoint of docs/ledger.md: the spec §5 sample rows normalise to the ledger's kind, legs
and native key."""

# ruff: noqa: E501  (EXPECTED is a table: one ledger row per line reads best)
from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
from binsync.model import KINDS, WALLETS, transaction_id
from binsync.normalise import REGISTRY, normalise
from normalise_samples import SAMPLES, rows_of

UID = "354937868"

# (endpoint, context) -> per row: (native key, kind, legs as (asset, amount, wallet, role)) or a
# (native key, kind, "detail_of") triple for detail records, or ("skip", reason fragment).
EXPECTED: dict[str, tuple[dict, list]] = {
    "spot.my_trades": ({"symbol": "BNBBTC", "base": "BNB", "quote": "BTC"}, [
        ("spot_trade:BNBBTC:28457", "trade", [("BNB", "12", "spot", "in"), ("BTC", "-48.000012", "spot", "out"),
                                             ("BNB", "-10.1", "spot", "fee")])]),
    "wallet.deposits": ({}, [("deposit:769800519366885376", "deposit", [("BNB", "0.001", "spot", "in")])]),
    "wallet.withdrawals": ({}, [("withdrawal:b6ae22b3aa844210a7041aee7589627c", "withdrawal",
                                 [("USDT", "-8.91", "funding", "out"), ("USDT", "-0.004", "funding", "fee")])]),
    "wallet.universal_transfer": ({"type": "MAIN_UMFUTURE"}, [
        ("transfer:11415955596", "transfer", [("USDT", "-1", "spot", "out"), ("USDT", "1", "usdm", "in")])]),
    "wallet.dust": ({"accountType": "SPOT"}, [
        ("dust:45178372831", "dust", [("USDT", "-0.0009", "spot", "out"), ("BNB", "0.00045", "spot", "in"),
                                      ("BNB", "-0.000009", "spot", "fee")])]),
    "wallet.dividends": ({}, [("dividend:1637366104", "airdrop", [("BHFT", "10", "spot", "in")])]),
    "fiat.orders": ({"transactionType": "0"}, [("skip", "status=Expired")]),
    "fiat.payments": ({"transactionType": "0"}, [("skip", "status=Failed")]),
    "convert.trade_flow": ({}, [("convert:940708407462087200", "convert",
                                 [("USDT", "-20", "spot", "out"), ("BNB", "0.06154036", "spot", "in")])]),
    "p2p.orders": ({"tradeType": "SELL"}, [("p2p:20219644646554779648", "p2p",
                                           [("BUSD", "-5000", "funding", "out"),
                                            ("CNY", "33400", "external", "in")])]),
    "pay.transactions": ({}, [("pay:M_P_71505104267788288", "pay", [("BNB", "23.72469206", "funding", "in")])]),
    "margin.my_trades": ({"symbol": "BNBBTC", "base": "BNB", "quote": "BTC", "isIsolated": "FALSE"}, [
        ("margin_trade:BNBBTC:cross:34", "trade", [("BNB", "-3", "margin_cross", "out"),
                                                  ("BTC", "0.06", "margin_cross", "in"),
                                                  ("BTC", "-0.00006", "margin_cross", "fee")])]),
    "margin.borrow_repay": ({"type": "REPAY"}, [
        ("margin_REPAY:2970933056", "repay", [("BNB", "-13.98133333", "margin_isolated", "out"),
                                              ("BNB", "-0.01866667", "margin_isolated", "fee")])]),
    "margin.interest": ({}, [("margin_interest:1352286576452864800", "interest", "margin.borrow_repay")]),
    "margin.liquidations": ({}, [("margin_liquidation:180015097", "liquidation", "margin.my_trades")]),
    "margin.transfers": ({}, [
        ("transfer:5240372201", "transfer", [("BNB", "-0.1", "spot", "out"), ("BNB", "0.1", "margin_isolated", "in")]),
        ("transfer:5239810406", "transfer", [("USDT", "-5", "margin_isolated", "out"),
                                             ("USDT", "5", "margin_isolated", "in")])]),
    "margin.capital_flow": ({}, [("margin_flow:123456", "other", "margin.borrow_repay")]),
    "usdm.user_trades": ({}, [("usdm_trade:BTCUSDT:698759", "trade", "usdm.income")]),
    "usdm.income": ({}, [
        ("usdm_income:TRANSFER:9689322392", "transfer", "wallet.universal_transfer"),
        ("usdm_income:COMMISSION:9689322392", "fee", [("USDT", "-0.01", "usdm", "fee")])]),
    "coinm.user_trades": ({}, [("coinm_trade:BTCUSD_200626:6", "trade", "coinm.income")]),
    "coinm.income": ({}, [("coinm_income:TRANSFER:9689322392", "transfer", "wallet.universal_transfer")]),
    "options.user_trades": ({}, [("options_trade:4611875134427365377", "options", "options.bill")]),
    "options.bill": ({"currency": "USDT"}, [
        ("options_bill:1125899906842624000", "fee", [("USDT", "-0.552", "options", "fee")])]),
    "options.exercise": ({}, [("options_exercise:1125899906842624042", "options", "options.bill")]),
    "earn.flexible_subscriptions": ({}, [("earn_flex_sub:26055", "transfer",
                                          [("USDT", "-100", "spot", "out"), ("USDT", "100", "earn", "in")])]),
    "earn.flexible_redemptions": ({}, [("earn_flex_red:40607", "transfer",
                                        [("USDT", "-10.54", "earn", "out"), ("USDT", "10.54", "spot", "in")])]),
    "earn.flexible_rewards": ({"type": "BONUS"}, [("earn_flex_reward:BONUS:BUSD:1577233578000", "interest",
                                                   [("BUSD", "0.00006408", "earn", "in")])]),
    "earn.locked_subscriptions": ({}, [("earn_locked_sub:26055", "transfer",
                                        [("BNB", "-21312.23223", "spot", "out"), ("BNB", "21312.23223", "earn", "in")])]),
    "earn.locked_redemptions": ({}, [("earn_locked_red:40607", "transfer",
                                      [("BNB", "-21312.23223", "earn", "out"), ("BNB", "21312.23223", "spot", "in")])]),
    "earn.locked_rewards": ({}, [("earn_locked_reward:123123:1575018510000:Locked Rewards", "reward",
                                  [("BNB", "21312.23223", "spot", "in")])]),
    "staking.eth_stake": ({}, [("eth_stake:1575018510000:21312.23223", "trade",
                                [("ETH", "-21312.23223", "spot", "out"), ("WBETH", "21286.42584", "spot", "in")])]),
    "staking.eth_redeem": ({}, [("eth_redeem:1575018510000:21312.23223", "trade",
                                 [("WBETH", "-21312.23223", "spot", "out"), ("ETH", "21338.0699", "spot", "in")])]),
    "staking.wbeth_rewards": ({}, [("wbeth_reward:1575018510000", "reward", "staking.eth_redeem")]),
    "staking.sol_stake": ({}, [("sol_stake:1575018510000:21312.23223", "trade",
                                [("SOL", "-21312.23223", "spot", "out"), ("BNSOL", "21286.42584", "spot", "in")])]),
    "staking.sol_redeem": ({}, [("sol_redeem:1575018510000:21312.23223", "trade",
                                 [("BNSOL", "-21312.23223", "spot", "out"), ("SOL", "21338.0699", "spot", "in")])]),
    "staking.bnsol_rewards": ({}, [("bnsol_reward:1575018510000", "reward", "staking.sol_redeem")]),
    "auto_invest.history": ({}, [("auto_invest:1111", "trade", [("BUSD", "-297.12145", "spot", "out"),
                                                                 ("BUSD", "-0.002", "spot", "fee"),
                                                                 ("BTC", "0.005", "spot", "in")])]),
    "mining.payments": ({"algo": "sha256", "userName": "miner1"}, [
        ("mining:BTC:1586188800000:31", "mining", [("BTC", "8.6083060304", "funding", "in")])]),
    "loans.income": ({}, [("loan_income:borrowIn:80423589583", "borrow", [("BUSD", "100", "spot", "in")])]),
    "rebates.tax_query": ({}, [("rebate:1:USDT:1637651320000:0.0001126", "rebate",
                                [("USDT", "0.0001126", "spot", "in")])]),
    "wallet.convert_transfer": ({}, [("convert_transfer:118263407119", "convert",
                                      [("BUSD", "-1", "spot", "out"), ("USDC", "1", "spot", "in")])]),
}


# issue 14 products (documented examples, provenance in product_samples.py)
from product_samples import PRODUCT_EXPECTED  # noqa: E402

EXPECTED.update(PRODUCT_EXPECTED)

def _ledger_names() -> set[str]:
    text = (Path(__file__).parents[2] / "docs" / "ledger.md").read_text(encoding="utf-8")
    table = text.split("## Table", 1)[1].split("Non-history endpoints", 1)[0]
    return set(re.findall(r"^\| `([a-z0-9_]+\.[a-z0-9_]+)`", table, flags=re.M))


def test_every_ledger_endpoint_has_a_normaliser_a_sample_and_an_expectation():
    names = _ledger_names()
    assert len(names) >= 40
    assert names <= set(REGISTRY)
    assert names <= set(SAMPLES)
    assert names <= set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_rows_normalise_per_ledger(name: str):
    context, expected = EXPECTED[name]
    rows = rows_of(name)
    result = normalise(name, rows, uid=UID, context=context)
    assert result.rejected == []
    assert len(expected) == len(rows)
    transactions = iter(result.transactions)
    skipped = dict(result.skipped)
    for index, (row, want) in enumerate(zip(rows, expected, strict=True)):
        if want[0] == "skip":
            assert want[1] in skipped[index]
            continue
        tx = next(transactions)
        key, kind, legs = want
        assert tx.source.native_id == key
        assert tx.id == transaction_id(UID, "api", key)
        assert (tx.source.kind, tx.source.ref, tx.source.raw) == ("api", name, row)
        assert tx.kind == kind and kind in KINDS
        assert tx.account == UID
        assert tx.time_ms > 10**12  # milliseconds, never seconds
        if isinstance(legs, str):  # a detail record
            assert tx.legs == ()
            assert tx.meta["detail_of"] == legs
        else:
            got = [(leg.asset, leg.amount, leg.wallet, leg.role) for leg in tx.legs]
            assert got == [(a, Decimal(m), w, r) for a, m, w, r in legs]
            assert all(leg.wallet in WALLETS for leg in tx.legs)
            assert all(isinstance(leg.amount, Decimal) for leg in tx.legs)
            assert "detail_of" not in tx.meta
    assert next(transactions, None) is None


def test_times_come_from_the_right_field():
    def time_of(name, context=None, **changes):
        rows = [{**rows_of(name)[0], **changes}]
        return normalise(name, rows, uid=UID, context=context or EXPECTED[name][0]).transactions[0].time_ms

    # withdrawal: completeTime "2023-03-23 16:52:41" UTC, else applyTime "2019-10-12 11:12:02" UTC
    assert time_of("wallet.withdrawals") == 1679590361000
    assert time_of("wallet.withdrawals", completeTime=None) == 1570878722000
    # margin transfer sample has 10-digit (seconds) timestamps
    assert time_of("margin.transfers") == 1566898617000
    assert time_of("spot.my_trades") == 1499865549590
    assert time_of("wallet.deposits") == 1661493146000
    assert time_of("margin.interest") == 1672160400000
    assert time_of("options.bill") == 1592449456000
    assert time_of("auto_invest.history") == 1648378800000
    assert time_of("loans.income") == 1633771139847


def test_meta_carries_the_useful_facts():
    trade = normalise("spot.my_trades", rows_of("spot.my_trades"), uid=UID,
                      context=EXPECTED["spot.my_trades"][0]).transactions[0]
    assert trade.meta["symbol"] == "BNBBTC" and trade.meta["orderId"] == "100234"
    assert trade.meta["isMaker"] is False and trade.meta["price"] == "4.000001"
    deposit = normalise("wallet.deposits", rows_of("wallet.deposits"), uid=UID).transactions[0]
    assert deposit.meta["network"] == "BNB" and deposit.meta["addressTag"] == "101764890"
    assert deposit.meta["txId"].startswith("98A3EA56")
    withdrawal = normalise("wallet.withdrawals", rows_of("wallet.withdrawals"), uid=UID).transactions[0]
    assert withdrawal.meta["network"] == "ETH" and withdrawal.meta["txId"].startswith("0xb5ef8c13")
    assert withdrawal.meta["withdrawOrderId"] == "WITHDRAWtest123"
    convert = normalise("convert.trade_flow", rows_of("convert.trade_flow"), uid=UID).transactions[0]
    assert convert.meta["orderId"] == "940708407462087200"
    for tx in (trade, deposit, withdrawal, convert):
        assert tx.to_dict()["legs"]  # JSON-ready
        assert tx.description
