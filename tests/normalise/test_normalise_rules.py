"""Normaliser behaviour that matters beyond the samples: skips, rejections, big ids, idempotency,
and the ledger's numeric rules (withdrawal, dust, margin repay, futures income)."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from binsync.model import Transaction
from binsync.normalise import UnknownEndpoint, legs_sum, normalise
from normalise_samples import rows_of

UID = "354937868"
BNBBTC = {"symbol": "BNBBTC", "base": "BNB", "quote": "BTC"}


def one(name: str, row: dict, context: dict | None = None) -> Transaction:
    result = normalise(name, [row], uid=UID, context=context)
    assert result.rejected == [] and result.skipped == [], (result.rejected, result.skipped)
    return result.transactions[0]


def legs(tx: Transaction) -> list[tuple[str, Decimal, str, str]]:
    return [(leg.asset, leg.amount, leg.wallet, leg.role) for leg in tx.legs]


# --- skipped: well-formed rows that are not events -------------------------------------------

@pytest.mark.parametrize(("name", "changes", "context", "reason"), [
    ("wallet.deposits", {"status": 0}, {}, "status=0"),
    ("wallet.deposits", {"status": 6}, {}, "status=6"),  # credited but cannot withdraw: not final
    ("wallet.withdrawals", {"status": 4}, {}, "status=4"),
    ("convert.trade_flow", {"orderStatus": "PROCESS"}, {}, "orderStatus=PROCESS"),
    ("wallet.universal_transfer", {"status": "FAILED"}, {"type": "MAIN_UMFUTURE"}, "status=FAILED"),
    ("margin.transfers", {"status": "PENDING"}, {}, "status=PENDING"),
    ("margin.borrow_repay", {"status": "FAILED"}, {"type": "REPAY"}, "status=FAILED"),
    ("p2p.orders", {"orderStatus": "CANCELLED"}, {"tradeType": "SELL"}, "orderStatus=CANCELLED"),
    ("earn.flexible_subscriptions", {"status": "PURCHASING"}, {}, "status=PURCHASING"),
    ("staking.eth_stake", {"status": "PENDING"}, {}, "status=PENDING"),
    ("auto_invest.history", {"transactionStatus": "FAILED"}, {}, "transactionStatus=FAILED"),
    ("mining.payments", {"status": 0}, {}, "status=0"),
    ("fiat.orders", {"status": "Processing"}, {"transactionType": "0"}, "status=Processing"),
])
def test_non_completed_statuses_are_skipped_with_a_reason(name, changes, context, reason):
    rows = [{**rows_of(name)[0], **changes}]
    result = normalise(name, rows, uid=UID, context=context)
    assert result.transactions == [] and result.rejected == []
    assert result.skipped[0][0] == 0 and reason in result.skipped[0][1]


# --- rejected: malformed rows never crash the batch and never lose the others ----------------

def test_bad_rows_are_rejected_by_field_and_the_others_survive():
    good = rows_of("wallet.deposits")[0]
    rows = [
        {**good, "id": "a1", "amount": "abc"},
        {**good, "id": "a2"},
        {**good, "id": "a3", "amount": "NaN"},
        {k: v for k, v in good.items() if k != "coin"} | {"id": "a4"},
        "not a row",
        {**good, "id": "a5", "insertTime": "yesterday"},
        {**good, "id": "a6", "amount": "Infinity"},
        {**good, "id": "  "},
        {**good, "id": "a7", "amount": "-1"},
        {**good, "id": "a8", "amount": True},
        {**good, "id": "a9", "walletType": 7},
        {**good, "id": "a10"},
    ]
    result = normalise("wallet.deposits", rows, uid=UID)
    assert [tx.source.native_id for tx in result.transactions] == ["deposit:a2", "deposit:a10"]
    assert [(i, f) for i, f, _ in result.rejected] == [
        (0, "amount"), (2, "amount"), (3, "coin"), (4, "row"), (5, "insertTime"), (6, "amount"),
        (7, "id"), (8, "amount"), (9, "amount"), (10, "walletType")]
    reasons = {i: r for i, _, r in result.rejected}
    assert "not a number" in reasons[0] and "finite" in reasons[2] and "missing" in reasons[3]
    assert "negative" in reasons[8]


def test_a_bug_in_a_normaliser_is_contained_to_its_row(monkeypatch):
    from binsync.normalise import REGISTRY

    def boom(row, ctx):
        if row.get("id") == "x":
            raise ZeroDivisionError("division by zero")
        return REGISTRY_ORIG(row, ctx)

    REGISTRY_ORIG = REGISTRY["wallet.deposits"]
    monkeypatch.setitem(REGISTRY, "wallet.deposits", boom)
    good = rows_of("wallet.deposits")[0]
    result = normalise("wallet.deposits", [{**good, "id": "x"}, good], uid=UID)
    assert len(result.transactions) == 1
    assert result.rejected == [(0, "row", "unexpected ZeroDivisionError: division by zero")]


def test_spot_trade_without_base_quote_context_is_rejected_not_guessed():
    row = rows_of("spot.my_trades")[0]
    for context in (None, {"symbol": "BNBBTC"}, {"symbols": {"ETHBTC": ("ETH", "BTC")}}):
        result = normalise("spot.my_trades", [row], uid=UID, context=context)
        assert result.transactions == []
        assert result.rejected[0][:2] == (0, "symbol") and "base/quote" in result.rejected[0][2]
    # a row of another symbol than the one requested is not silently booked with the wrong assets
    result = normalise("spot.my_trades", [{**row, "symbol": "ETHBTC"}], uid=UID, context=BNBBTC)
    assert result.rejected[0][:2] == (0, "symbol") and "does not match" in result.rejected[0][2]


def test_spot_trade_base_quote_from_the_exchange_info_map():
    row = rows_of("spot.my_trades")[0]
    maps = [{"BNBBTC": ("BNB", "BTC")}, {"BNBBTC": {"baseAsset": "BNB", "quoteAsset": "BTC"}}]
    for symbols in maps:
        tx = one("spot.my_trades", row, {"symbols": symbols})
        assert legs(tx)[:2] == [("BNB", Decimal(12), "spot", "in"),
                                ("BTC", Decimal("-48.000012"), "spot", "out")]


def test_variant_params_are_required_where_the_row_does_not_say():
    cases = [
        ("fiat.orders", {**rows_of("fiat.orders")[0], "status": "Successful"}, "transactionType"),
        ("fiat.payments", {**rows_of("fiat.payments")[0], "status": "Completed"}, "transactionType"),
        ("margin.borrow_repay", rows_of("margin.borrow_repay")[0], "type"),  # row type is AUTO
        ("p2p.orders", {k: v for k, v in rows_of("p2p.orders")[0].items() if k != "tradeType"}, "tradeType"),
    ]
    for name, row, param in cases:
        result = normalise(name, [row], uid=UID, context={})
        assert result.transactions == [] and result.rejected[0][1] == param, name
    # the params may also come nested under `params`
    tx = one("margin.borrow_repay", rows_of("margin.borrow_repay")[0], {"params": {"type": "REPAY"}})
    assert tx.kind == "repay"


def test_unknown_endpoint_is_an_error_and_state_endpoints_yield_nothing():
    with pytest.raises(UnknownEndpoint):
        normalise("spot.no_such_thing", [], uid=UID)
    for name in ("spot.exchange_info", "account.spot", "account.api_restrictions", "account.info",
                 "system.time", "margin.account"):
        result = normalise(name, [{"uid": 1}], uid=UID)
        assert (result.transactions, result.skipped, result.rejected) == ([], [], [])


# --- numbers and ids ------------------------------------------------------------------------

def test_big_ids_stay_exact_and_floats_that_lost_digits_are_refused():
    text = '[{"quoteId":"q","orderId":940708407462087200,"orderStatus":"SUCCESS","fromAsset":"USDT",' \
           '"fromAmount":"20","toAsset":"BNB","toAmount":"0.06154036","createTime":1624248872184}]'
    as_int = json.loads(text, parse_float=Decimal)[0]
    as_str = {**as_int, "orderId": "940708407462087200"}
    as_dec = {**as_int, "orderId": Decimal("940708407462087200")}
    keys = {one("convert.trade_flow", row).source.native_id for row in (as_int, as_str, as_dec)}
    assert keys == {"convert:940708407462087200"}
    # float(940708407462087200) is 940708407462087168: refusing it is the only safe answer
    result = normalise("convert.trade_flow", [{**as_int, "orderId": float(as_int["orderId"])}], uid=UID)
    assert result.rejected[0][1] == "orderId" and "float" in result.rejected[0][2]
    assert one("convert.trade_flow", {**as_int, "orderId": 12345.0}).source.native_id == "convert:12345"
    # 64-bit ids of margin interest and options keep every digit
    assert one("margin.interest", rows_of("margin.interest")[0]).source.native_id == \
        "margin_interest:1352286576452864800"
    option = one("options.user_trades", rows_of("options.user_trades")[0])
    assert option.meta["orderId"] == "4611875134427365377"


@pytest.mark.parametrize(("value", "expected"), [
    ("0.1", "0.1"), (0.1, "0.1"), (Decimal("0.10000000"), "0.1"), (5, "5"), ("1E-8", "0.00000001"),
])
def test_amounts_are_exact_decimals_whatever_the_input_type(value, expected):
    tx = one("wallet.deposits", {**rows_of("wallet.deposits")[0], "amount": value})
    assert tx.legs[0].amount == Decimal(expected) and isinstance(tx.legs[0].amount, Decimal)


def test_mining_json_numbers_parse_exactly_even_as_floats():
    row = rows_of("mining.payments")[0]
    assert isinstance(row["profitAmount"], Decimal)
    as_float = {**row, "profitAmount": 8.6083060304}  # a client that forgot parse_float=Decimal
    assert one("mining.payments", as_float).legs[0].amount == Decimal("8.6083060304")


def test_time_fields_seconds_strings_and_garbage():
    row = rows_of("wallet.universal_transfer")[0]
    ctx = {"type": "MAIN_UMFUTURE"}
    for value in (1544433328, "1544433328000", Decimal("1544433328000"), "1544433328"):
        assert one("wallet.universal_transfer", {**row, "timestamp": value}, ctx).time_ms == 1544433328000
    for bad in ("", None, "soon", -5, True, 1544433328000000, "NaN"):
        result = normalise("wallet.universal_transfer", [{**row, "timestamp": bad}], uid=UID, context=ctx)
        assert result.rejected[0][1] == "timestamp", bad


# --- idempotency ----------------------------------------------------------------------------

def test_same_rows_give_the_same_transactions_and_other_accounts_other_ids():
    rows = rows_of("usdm.income")
    first = normalise("usdm.income", rows, uid=UID)
    again = normalise("usdm.income", json.loads(json.dumps(rows)), uid=UID)
    assert [tx.to_dict() for tx in first.transactions] == [tx.to_dict() for tx in again.transactions]
    other = normalise("usdm.income", rows, uid="1001")
    assert not {tx.id for tx in first.transactions} & {tx.id for tx in other.transactions}
    # same tranId, different incomeType: two records (tranId is unique per incomeType only)
    assert len({tx.id for tx in first.transactions}) == 2


def test_overlapping_pages_do_not_double_count():
    rows = rows_of("spot.my_trades") * 2
    result = normalise("spot.my_trades", rows, uid=UID, context=BNBBTC)
    assert len(result.transactions) == 1
    assert result.skipped == [(1, "duplicate of row 0 (spot_trade:BNBBTC:28457)")]


def test_universal_and_margin_transfer_of_one_event_share_one_id():
    universal = one("wallet.universal_transfer",
                    {"asset": "BNB", "amount": "0.1", "type": "MAIN_MARGIN", "status": "CONFIRMED",
                     "tranId": 5240372201, "timestamp": 1566898617000})
    margin = one("margin.transfers", {"amount": "0.10000000", "asset": "BNB", "status": "CONFIRMED",
                                      "timestamp": 1566898617, "txId": 5240372201, "type": "ROLL_IN",
                                      "transFrom": "SPOT", "transTo": "CROSS_MARGIN"})
    assert universal.id == margin.id and legs(universal) == legs(margin)


# --- ledger rules ---------------------------------------------------------------------------

def test_withdrawal_legs_sum_to_minus_amount_plus_fee():
    row = rows_of("wallet.withdrawals")[0]
    tx = one("wallet.withdrawals", row)
    assert legs_sum([tx]) == {("USDT", "funding"): -(Decimal("8.91") + Decimal("0.004"))}
    spot = one("wallet.withdrawals", {**row, "walletType": 0, "transactionFee": "0"})
    assert legs(spot) == [("USDT", Decimal("-8.91"), "spot", "out")]  # no zero fee leg


DUST = {"operateTime": 1615985535000, "totalTransferedAmount": "0.00132256",
        "totalServiceChargeAmount": "0.00002699", "transId": 45178372831, "userAssetDribbletDetails": [
            {"transId": 4359321, "serviceChargeAmount": "0.000009", "amount": "0.0009",
             "operateTime": 1615985535000, "transferedAmount": "0.000441", "fromAsset": "USDT",
             "targetAsset": "BNB"},
            {"transId": 4359322, "serviceChargeAmount": "0.00001799", "amount": "0.0412",
             "operateTime": 1615985535000, "transferedAmount": "0.00088156", "fromAsset": "ETC",
             "targetAsset": "BNB"}]}


def test_dust_legs_net_to_the_transferred_bnb():
    tx = one("wallet.dust", DUST, {"accountType": "SPOT"})
    assert legs_sum([tx]) == {("BNB", "spot"): Decimal("0.00132256"), ("USDT", "spot"): Decimal("-0.0009"),
                              ("ETC", "spot"): Decimal("-0.0412")}
    fees = [leg.amount for leg in tx.legs if leg.role == "fee"]
    assert sum(fees) == -Decimal("0.00002699")
    margin = one("wallet.dust", DUST, {"accountType": "MARGIN"})
    assert {leg.wallet for leg in margin.legs} == {"margin_cross"}
    assert margin.id == tx.id  # one conversion, one id


def test_a_malformed_dust_detail_rejects_the_whole_conversion():
    broken = json.loads(json.dumps(DUST))
    broken["userAssetDribbletDetails"][1]["amount"] = "x"
    result = normalise("wallet.dust", [broken, DUST | {"transId": 1}], uid=UID,
                       context={"accountType": "SPOT"})
    assert [tx.source.native_id for tx in result.transactions] == ["dust:1"]
    assert result.rejected[0][:2] == (0, "userAssetDribbletDetails[1].amount")


def test_margin_repay_is_minus_principal_minus_interest_and_borrow_plus_amount():
    row = rows_of("margin.borrow_repay")[0]
    repay = one("margin.borrow_repay", row, {"type": "REPAY"})
    assert legs_sum([repay]) == {("BNB", "margin_isolated"): Decimal("-14")}
    assert [leg.role for leg in repay.legs] == ["out", "fee"]
    no_principal = {k: v for k, v in row.items() if k not in ("principal", "isolatedSymbol")}
    cross = one("margin.borrow_repay", no_principal, {"type": "REPAY"})
    assert legs(cross) == [("BNB", Decimal("-13.98133333"), "margin_cross", "out"),
                           ("BNB", Decimal("-0.01866667"), "margin_cross", "fee")]
    borrow = one("margin.borrow_repay", {"asset": "BNB", "amount": "14", "status": "CONFIRMED", "txId": 7,
                                         "timestamp": 1563438204000}, {"type": "BORROW"})
    assert borrow.kind == "borrow" and legs(borrow) == [("BNB", Decimal(14), "margin_cross", "in")]
    assert borrow.source.native_id == "margin_BORROW:7"


@pytest.mark.parametrize(("income_type", "kind"), [
    ("REALIZED_PNL", "futures_pnl"), ("FUNDING_FEE", "funding_fee"), ("COMMISSION", "fee"),
    ("COMMISSION_REBATE", "rebate"), ("REFERRAL_KICKBACK", "rebate"), ("API_REBATE", "rebate"),
    ("INSURANCE_CLEAR", "liquidation"), ("WELCOME_BONUS", "reward"), ("CONTEST_REWARD", "reward"),
    ("AUTO_EXCHANGE", "convert"), ("SOMETHING_NEW_2027", "other"),
])
@pytest.mark.parametrize("product", ["usdm", "coinm"])
def test_futures_income_types_map_as_documented(product, income_type, kind):
    row = {"symbol": "BTCUSDT", "incomeType": income_type, "income": "-1.5", "asset": "USDT", "info": "",
           "time": 1570636800000, "tranId": 42, "tradeId": ""}
    tx = one(f"{product}.income", row)
    assert tx.kind == kind and tx.source.native_id == f"{product}_income:{income_type}:42"
    role = "fee" if kind == "fee" else "out"
    assert legs(tx) == [("USDT", Decimal("-1.5"), product, role)]
    gain = one(f"{product}.income", {**row, "income": "2"})
    assert legs(gain)[0][1] == Decimal(2)


def test_futures_transfer_income_is_detail_of_the_universal_transfer():
    for product in ("usdm", "coinm"):
        tx = one(f"{product}.income", rows_of(f"{product}.income")[0])
        assert tx.legs == () and tx.meta["detail_of"] == "wallet.universal_transfer"


def test_options_bill_transfer_is_detail_and_premiums_are_options():
    base = rows_of("options.bill")[0]
    transfer = one("options.bill", {**base, "type": "TRANSFER", "amount": "100"})
    assert transfer.legs == () and transfer.meta["detail_of"] == "wallet.universal_transfer"
    premium = one("options.bill", {**base, "type": "CONTRACT", "amount": "-100"})
    assert premium.kind == "options" and legs(premium) == [("USDT", Decimal(-100), "options", "out")]


def test_every_detail_record_has_no_legs():
    from normalise_samples import SAMPLES
    from test_normalise_samples import EXPECTED

    details = 0
    for name in SAMPLES:
        for tx in normalise(name, rows_of(name), uid=UID, context=EXPECTED[name][0]).transactions:
            if "detail_of" in tx.meta:
                details += 1
                assert tx.legs == ()
    assert details >= 10


def test_fiat_orders_deposit_nets_amount_and_withdrawal_pays_the_fee_on_top():
    row = {**rows_of("fiat.orders")[0], "status": "Successful", "indicatedAmount": "100.00",
           "amount": "98.50", "totalFee": "1.50"}
    deposit = one("fiat.orders", row, {"transactionType": "0"})
    assert deposit.kind == "fiat_deposit"
    assert legs(deposit) == [("BRL", Decimal(100), "spot", "in"), ("BRL", Decimal("-1.5"), "spot", "fee")]
    assert legs_sum([deposit]) == {("BRL", "spot"): Decimal("98.5")}
    withdrawal = one("fiat.orders", {**row, "status": "Finished"}, {"transactionType": 1})
    assert withdrawal.kind == "fiat_withdrawal"
    assert legs_sum([withdrawal]) == {("BRL", "spot"): Decimal("-100")}


def test_fiat_payments_card_buy_cash_balance_and_sell():
    row = {**rows_of("fiat.payments")[0], "status": "Completed"}
    card = one("fiat.payments", row, {"transactionType": "0"})
    assert card.kind == "card_buy"
    assert legs(card) == [("LUNA", Decimal("4.462"), "spot", "in"),
                          ("EUR", Decimal("-19.8"), "external", "out"),
                          ("EUR", Decimal("-0.2"), "external", "fee")]
    cash = one("fiat.payments", {**row, "paymentMethod": "Cash Balance"}, {"transactionType": "0"})
    assert legs_sum([cash]) == {("LUNA", "spot"): Decimal("4.462"), ("EUR", "spot"): Decimal(-20)}
    no_method = {k: v for k, v in row.items() if k != "paymentMethod"}
    sell = one("fiat.payments", no_method, {"transactionType": "1"})
    assert legs(sell) == [("LUNA", Decimal("-4.462"), "spot", "out"), ("EUR", Decimal(20), "spot", "in"),
                          ("EUR", Decimal("-0.2"), "spot", "fee")]
    assert legs_sum([sell])[("EUR", "spot")] == Decimal("19.8")  # sourceAmount − totalFee, fee once


def test_p2p_buy_pays_fiat_from_outside_and_the_commission_in_crypto():
    row = {**rows_of("p2p.orders")[0], "tradeType": "BUY", "commission": "0.05"}
    tx = one("p2p.orders", row, {"tradeType": "BUY"})
    assert legs(tx) == [("BUSD", Decimal(5000), "funding", "in"), ("CNY", Decimal(-33400), "external", "out"),
                        ("BUSD", Decimal("-0.05"), "funding", "fee")]


def test_pay_signs_and_wallets():
    row = rows_of("pay.transactions")[0]
    spend = one("pay.transactions", {**row, "amount": "-5", "walletType": 2})
    assert legs(spend) == [("BNB", Decimal(-5), "spot", "out")]
    assert spend.meta["counterparty"] == "Alan"
    only_list = {k: v for k, v in row.items() if k != "walletType"} | {"walletTypes": [2]}
    assert one("pay.transactions", only_list).legs[0].wallet == "spot"
    result = normalise("pay.transactions", [{**row, "walletType": 9}], uid=UID)
    assert result.rejected[0][1] == "walletType"


@pytest.mark.parametrize(("type_", "source", "target"), [
    ("MAIN_UMFUTURE", "spot", "usdm"), ("UMFUTURE_MAIN", "usdm", "spot"), ("MAIN_CMFUTURE", "spot", "coinm"),
    ("MAIN_MARGIN", "spot", "margin_cross"), ("ISOLATEDMARGIN_MARGIN", "margin_isolated", "margin_cross"),
    ("MARGIN_ISOLATEDMARGIN", "margin_cross", "margin_isolated"), ("MAIN_FUNDING", "spot", "funding"),
    ("FUNDING_OPTION", "funding", "options"), ("OPTION_UMFUTURE", "options", "usdm"),
    ("CMFUTURE_FUNDING", "coinm", "funding"),
])
def test_universal_transfer_types_map_to_wallets(type_, source, target):
    row = {**rows_of("wallet.universal_transfer")[0], "type": type_}
    assert [(leg.wallet, leg.amount) for leg in one("wallet.universal_transfer", row).legs] == \
        [(source, Decimal(-1)), (target, Decimal(1))]


def test_transfers_to_accounts_without_a_ledger_wallet_are_rejected_not_guessed():
    row = {**rows_of("wallet.universal_transfer")[0], "type": "MAIN_PORTFOLIO_MARGIN"}
    result = normalise("wallet.universal_transfer", [row], uid=UID)
    assert result.rejected[0][1] == "type" and "PORTFOLIO_MARGIN" in result.rejected[0][2]
    sub = {**rows_of("margin.transfers")[0], "transTo": "SUB_SPOT"}
    result = normalise("margin.transfers", [sub], uid=UID)
    assert result.rejected[0][1] == "transTo"
    old = {k: v for k, v in rows_of("margin.transfers")[0].items() if k not in ("transFrom", "transTo")}
    assert [leg.wallet for leg in one("margin.transfers", old).legs] == ["spot", "margin_cross"]


def test_margin_trades_isolated_scope_from_row_or_request():
    row = {k: v for k, v in rows_of("margin.my_trades")[0].items() if k != "isIsolated"}
    isolated = one("margin.my_trades", row, {**BNBBTC, "isIsolated": "TRUE"})
    assert isolated.source.native_id == "margin_trade:BNBBTC:isolated:34"
    assert {leg.wallet for leg in isolated.legs} == {"margin_isolated"}
    cross = one("margin.my_trades", row, BNBBTC)  # API default: cross
    assert cross.source.native_id == "margin_trade:BNBBTC:cross:34" and cross.id != isolated.id


def test_dividend_direction_and_kind():
    row = rows_of("wallet.dividends")[0]
    debit = one("wallet.dividends", {**row, "direction": -1, "enInfo": "Launchpool"})
    assert debit.kind == "reward" and legs(debit) == [("BHFT", Decimal(-10), "spot", "out")]
    assert one("wallet.dividends", {**row, "enInfo": "BNB Airdrop"}).kind == "airdrop"


@pytest.mark.parametrize(("type_", "kind", "expected"), [
    ("borrowIn", "borrow", [("spot", 1)]),
    ("repayAmount", "repay", [("spot", -1)]),
    ("collateralSpent", "loan", [("spot", -1), ("loan", 1)]),
    ("addCollateral", "loan", [("spot", -1), ("loan", 1)]),
    ("collateralReturn", "loan", [("loan", -1), ("spot", 1)]),
    ("removeCollateral", "loan", [("loan", -1), ("spot", 1)]),
    ("collateralReturnAfterLiquidation", "loan", [("loan", -1), ("spot", 1)]),
])
def test_loan_income_types(type_, kind, expected):
    tx = one("loans.income", {**rows_of("loans.income")[0], "type": type_})
    assert tx.kind == kind and tx.source.native_id == f"loan_income:{type_}:80423589583"
    assert [(leg.wallet, leg.amount) for leg in tx.legs] == [(w, s * Decimal(100)) for w, s in expected]


def test_unknown_loan_type_is_rejected_since_its_sign_is_unknown():
    result = normalise("loans.income", [{**rows_of("loans.income")[0], "type": "mystery"}], uid=UID)
    assert result.rejected[0][1] == "type"


def test_legs_sum_adds_per_asset_and_wallet():
    txs = [one("spot.my_trades", rows_of("spot.my_trades")[0], BNBBTC),
           one("wallet.deposits", rows_of("wallet.deposits")[0]),
           one("convert.trade_flow", rows_of("convert.trade_flow")[0])]
    assert legs_sum(txs) == {
        ("BNB", "spot"): Decimal(12) - Decimal("10.1") + Decimal("0.001") + Decimal("0.06154036"),
        ("BTC", "spot"): Decimal("-48.000012"),
        ("USDT", "spot"): Decimal(-20),
    }
    assert legs_sum([]) == {}
    p2p = one("p2p.orders", rows_of("p2p.orders")[0])
    assert legs_sum([p2p]) == {("BUSD", "funding"): Decimal(-5000), ("CNY", "external"): Decimal(33400)}
    assert legs_sum([p2p], include_external=False) == {("BUSD", "funding"): Decimal(-5000)}


def test_every_planned_catalogue_endpoint_can_be_normalised():
    from binsync.binance.catalogue import ENDPOINTS
    from binsync.normalise import REGISTRY

    for name, endpoint in ENDPOINTS.items():
        if not endpoint.history:
            assert normalise(name, [{"x": 1}], uid=UID).transactions == [], name
        elif endpoint.planned:
            assert endpoint.normaliser in REGISTRY, name


def test_record_time_is_the_field_the_window_filters_on():
    """A record's time lies inside the window that fetched it (since_last / incremental modes).

    The one documented exception: withdrawals take completeTime (the balance leaves then)."""
    from binsync.binance.catalogue import ENDPOINTS
    from normalise_samples import SAMPLES
    from test_normalise_samples import EXPECTED

    checked = 0
    for name in SAMPLES:
        field = ENDPOINTS[name].time_field
        rows = [{**row, "status": "Successful" if name == "fiat.orders" else "Completed"}
                if name.startswith("fiat.") else row for row in rows_of(name)]
        for tx in normalise(name, rows, uid=UID, context=EXPECTED[name][0]).transactions:
            row = tx.source.raw
            if name == "wallet.withdrawals" or field not in row:
                continue
            checked += 1
            value = int(row[field])
            assert tx.time_ms == (value * 1000 if value < 10**12 else value), name
    assert checked >= 35
