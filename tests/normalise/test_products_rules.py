"""Rules of the issue-14 normalisers beyond the documented examples: statuses that moved
nothing are skipped with their reason, a malformed row is rejected naming its field, and every
other row of the page is kept."""

from __future__ import annotations

from binsync.normalise import normalise

UID = "u1"
REBALANCE = {"indexId": 1, "indexName": "BINANCE TOP 10 EW", "rebalanceId": 11, "status": "SUCCESS",
             "rebalanceFee": "10", "rebalanceFeeUnit": "USDT",
             "transactionDetails": [{"asset": "BTC", "transactionDateTime": 1648378800000,
                                     "rebalanceDirection": "SELL", "rebalanceAmount": "0.005"}]}


def test_rebalance_sells_leave_and_a_bad_direction_names_its_field():
    bad = {**REBALANCE, "rebalanceId": 12,
           "transactionDetails": [{**REBALANCE["transactionDetails"][0], "rebalanceDirection": "HOLD"}]}
    init = {**REBALANCE, "rebalanceId": 13, "status": "INIT"}
    result = normalise("auto_invest.rebalance", [REBALANCE, bad, init], uid=UID)
    [tx] = result.transactions
    assert [(leg.asset, str(leg.amount), leg.role) for leg in tx.legs] == [("BTC", "-0.005", "out"),
                                                                           ("USDT", "-10", "fee")]
    assert len(result.rejected) == 1 and "transactionDetails[0]" in str(result.rejected[0])
    assert "status=INIT" in dict(result.skipped)[2]


def test_dual_investment_books_only_successful_subscriptions():
    row = {"id": "1", "investCoin": "USDT", "exercisedCoin": "BNB", "subscriptionAmount": "0.5",
           "strikePrice": "330", "duration": 4, "settleDate": 1708416000000, "purchaseStatus": "SETTLED",
           "apr": "0.0365", "orderId": 7973677530, "purchaseEndTime": 1708329600000, "optionType": "PUT"}
    rows = [row, {**row, "id": "2", "purchaseStatus": "REFUND_SUCCESS"},
            {**row, "id": "3", "purchaseStatus": "PENDING"}]
    result = normalise("dual_investment.positions", rows, uid=UID)
    [tx] = result.transactions
    assert tx.meta["purchaseStatus"] == "SETTLED" and "statement only" in tx.meta["settlement"]
    assert sorted(dict(result.skipped)) == [1, 2]
