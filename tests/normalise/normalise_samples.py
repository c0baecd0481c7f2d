"""Response samples of shared/spec/binance-api.md §5, verbatim, keyed by docs/ledger.md endpoint name.

Each entry: (JSON text of the response, rows path inside it). Parsed as Binance responses are
parsed (parse_float=Decimal), so big ids stay exact ints. SOL staking has no sample in the spec:
its fixtures mirror the ETH ones (same documented shape family, §5.9.4).
"""

# ruff: noqa: E501  (the samples are verbatim copies of the spec)
from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

SAMPLES: dict[str, tuple[str, tuple[str, ...]]] = {
    "spot.my_trades": ("""
  [{"symbol":"BNBBTC","id":28457,"orderId":100234,"orderListId":-1,"price":"4.00000100","qty":"12.00000000","quoteQty":"48.000012",
    "commission":"10.10000000","commissionAsset":"BNB","time":1499865549590,"isBuyer":true,"isMaker":false,"isBestMatch":true}]
""", ()),
    "wallet.deposits": ("""
  [{"id":"769800519366885376","amount":"0.001","coin":"BNB","network":"BNB","status":1,
    "address":"bnb136ns6lfw4zs5hg4n85vdthaad7hq5m4gtkgf23","addressTag":"101764890",
    "txId":"98A3EA560C6B3336D348B6C83F0F95ECE4F1F5919E94BD006E5BF3BF264FACFC","insertTime":1661493146000,
    "completeTime":1661493146000,"transferType":0,"confirmTimes":"1/1","unlockConfirm":0,"walletType":0,"travelRuleStatus":0}]
""", ()),
    "wallet.withdrawals": ("""
  [{"id":"b6ae22b3aa844210a7041aee7589627c","amount":"8.91000000","transactionFee":"0.004","coin":"USDT","status":6,
    "address":"0x94df8b352de7f46f64b01d3666bf6e936e44ce60",
    "txId":"0xb5ef8c13b968a406cc62a93a8bd80f9e9a906ef1b3fcf20a2e48573c17659268","applyTime":"2019-10-12 11:12:02",
    "network":"ETH","transferType":0,"withdrawOrderId":"WITHDRAWtest123",
    "info":"The address is not valid. Please confirm with the recipient","confirmNo":3,"walletType":1,"txKey":"",
    "completeTime":"2023-03-23 16:52:41"}]
""", ()),
    "wallet.universal_transfer": ("""
{"total":2,"rows":[{"asset":"USDT","amount":"1","type":"MAIN_UMFUTURE","status":"CONFIRMED","tranId":11415955596,"timestamp":1544433328000}]}
""", ("rows",)),
    "wallet.dust": ("""
  {"total":8,"userAssetDribblets":[{"operateTime":1615985535000,"totalTransferedAmount":"0.00132256","totalServiceChargeAmount":"0.00002699",
    "transId":45178372831,"userAssetDribbletDetails":[{"transId":4359321,"serviceChargeAmount":"0.000009","amount":"0.0009",
    "operateTime":1615985535000,"transferedAmount":"0.000441","fromAsset":"USDT","targetAsset":"BNB"}]}]}
""", ("userAssetDribblets",)),
    "wallet.dividends": ("""
  {"rows":[{"id":1637366104,"amount":"10.00000000","asset":"BHFT","divTime":1563189166000,"enInfo":"BHFT distribution",
    "tranId":2968885920,"direction":1}],"total":2}
""", ("rows",)),
    "fiat.orders": ("""
  {"code":"000000","message":"success","data":[{"orderNo":"7d76d611-0568-4f43-afb6-24cac7767365","fiatCurrency":"BRL",
    "indicatedAmount":"10.00","amount":"10.00","totalFee":"0.00","method":"BankAccount","status":"Expired",
    "createTime":1626144956000,"updateTime":1626400907000}],"total":1,"success":true}
""", ("data",)),
    "fiat.payments": ("""
  {"code":"000000","message":"success","data":[{"orderNo":"353fca443f06466db0c4dc89f94f027a","sourceAmount":"20.0","fiatCurrency":"EUR",
    "obtainAmount":"4.462","cryptoCurrency":"LUNA","totalFee":"0.2","price":"4.437472","status":"Failed","paymentMethod":"Credit Card",
    "createTime":1624529919000,"updateTime":1624529919000}],"total":1,"success":true}
""", ("data",)),
    "convert.trade_flow": ("""
  {"list":[{"quoteId":"f3b91c525b2644c7bc1e1cd31b6e1aa6","orderId":940708407462087200,"orderStatus":"SUCCESS","fromAsset":"USDT",
    "fromAmount":"20","toAsset":"BNB","toAmount":"0.06154036","ratio":"0.00307702","inverseRatio":"324.99","createTime":1624248872184}],
   "startTime":1623824139000,"endTime":1626416139000,"limit":100,"moreData":false}
""", ("list",)),
    "p2p.orders": ("""
  {"code":"000000","message":"success","data":[{"orderNumber":"20219644646554779648","advNo":"11218246497340923904","tradeType":"SELL",
    "asset":"BUSD","fiat":"CNY","fiatSymbol":"￥","amount":"5000.00000000","totalPrice":"33400.00000000","unitPrice":"6.68",
    "orderStatus":"COMPLETED","createTime":1619361369000,"commission":"0","counterPartNickName":"ab***","payMethodName":"BANK",
    "additionalKycVerify":0,"takerCommissionRate":"0","takerCommission":"0","takerAmount":"343.4","advertisementRole":"TAKER"}],
   "total":1,"success":true}
""", ("data",)),
    "pay.transactions": ("""
  {"code":"000000","message":"success","data":[{"orderType":"C2C","transactionId":"M_P_71505104267788288","transactionTime":1610090460133,
    "amount":"23.72469206","currency":"BNB","walletType":1,"walletTypes":[1],
    "fundsDetail":[{"currency":"USDT","amount":"1.2","walletAssetCost":{"1":"0.6","2":"0.6"}}],
    "payerInfo":{"name":"Jack","type":"USER","binanceId":"12345678"},
    "receiverInfo":{"name":"Alan","type":"MERCHANT","email":"alan@binance.com","binanceId":"34355667","accountId":"21326891",
      "countryCode":"1","phoneNumber":"8057651210","mobileCode":"US","extend":{"institutionName":"","cardNumber":"","digitalWalletId":""}}}],
   "success":true}
""", ("data",)),
    "margin.my_trades": ("""
[{"commission":"0.00006000","commissionAsset":"BTC","id":34,"isBestMatch":true,"isBuyer":false,"isMaker":false,"orderId":39324,"price":"0.02000000","qty":"3.00000000","symbol":"BNBBTC","isIsolated":false,"time":1561973357171}]
""", ()),
    "margin.borrow_repay": ("""
{"rows":[{"type":"AUTO","isolatedSymbol":"BNBUSDT","amount":"14.00000000","asset":"BNB","interest":"0.01866667","principal":"13.98133333","status":"CONFIRMED","timestamp":1563438204000,"txId":2970933056}],"total":1}
""", ("rows",)),
    "margin.interest": ("""
{"rows":[{"txId":1352286576452864800,"interestAccuredTime":1672160400000,"asset":"USDT","rawAsset":"USDT","principal":"45.3313","interest":"0.00024995","interestRate":"0.00013233","type":"ON_BORROW","isolatedSymbol":"BNBUSDT"}],"total":1}
""", ("rows",)),
    "margin.liquidations": ("""
{"rows":[{"avgPrice":"0.00388359","executedQty":"31.39000000","orderId":180015097,"price":"0.00388110","qty":"31.39000000","side":"SELL","symbol":"BNBBTC","timeInForce":"GTC","isIsolated":true,"updatedTime":1558941374745}],"total":1}
""", ("rows",)),
    "margin.transfers": ("""
{"rows":[{"amount":"0.10000000","asset":"BNB","status":"CONFIRMED","timestamp":1566898617,"txId":5240372201,"type":"ROLL_IN","transFrom":"SPOT","transTo":"ISOLATED_MARGIN"},{"amount":"5.00000000","asset":"USDT","status":"CONFIRMED","timestamp":1566888436,"txId":5239810406,"type":"ROLL_OUT","transFrom":"ISOLATED_MARGIN","transTo":"ISOLATED_MARGIN","fromSymbol":"BNBUSDT","toSymbol":"BTCUSDT"}],"total":3}
""", ("rows",)),
    "margin.capital_flow": ("""
[{"id":123456,"tranId":123123,"timestamp":1691116657000,"asset":"USDT","symbol":"BTCUSDT","type":"BORROW","amount":"101","note":"INSTITUTIONAL_LOAN_TRANSFER"}]
""", ()),
    "usdm.user_trades": ("""
  [{"buyer":false,"commission":"-0.07819010","commissionAsset":"USDT","id":698759,"maker":false,"orderId":25851813,"price":"7819.01",
    "qty":"0.002","quoteQty":"15.63802","realizedPnl":"-0.91539999","side":"SELL","positionSide":"SHORT","symbol":"BTCUSDT","time":1569514978020}]
""", ()),
    "usdm.income": ("""
  [{"symbol":"","incomeType":"TRANSFER","income":"-0.37500000","asset":"USDT","info":"TRANSFER","time":1570608000000,"tranId":"9689322392","tradeId":""},
   {"symbol":"BTCUSDT","incomeType":"COMMISSION","income":"-0.01000000","asset":"USDT","info":"COMMISSION","time":1570636800000,"tranId":"9689322392","tradeId":"2059192"}]
""", ()),
    "coinm.user_trades": ("""
[{"symbol":"BTCUSD_200626","id":6,"orderId":28,"pair":"BTCUSD","side":"SELL","price":"8800","qty":"1","realizedPnl":"0","marginAsset":"BTC","baseQty":"0.01136364","quoteQty":"100","commission":"0.00000454","commissionAsset":"BTC","time":1590743483586,"positionSide":"BOTH","buyer":false,"maker":false}]
""", ()),
    "coinm.income": ("""
[{"symbol":"","incomeType":"TRANSFER","income":"-0.37500000","asset":"BTC","info":"WITHDRAW","time":1570608000000,"tranId":"9689322392","tradeId":""}]
""", ()),
    "options.user_trades": ("""
[{"id":4611875134427365377,"tradeId":239,"orderId":4611875134427365377,"symbol":"BTC-200730-9000-C","price":"100","quantity":"1","fee":"0","realizedProfit":"0.00000000","side":"BUY","type":"LIMIT","volatility":"0.9","liquidity":"TAKER","quoteAsset":"USDT","time":1592465880683,"priceScale":2,"quantityScale":2,"optionSide":"CALL"}]
""", ()),
    "options.bill": ("""
[{"id":1125899906842624000,"asset":"USDT","amount":"-0.552","type":"FEE","createDate":1592449456000}]
""", ()),
    "options.exercise": ("""
[{"id":"1125899906842624042","currency":"USDT","symbol":"BTC-220721-25000-C","exercisePrice":"25000.00000000","markPrice":"25000.00000000","quantity":"1.00000000","amount":"0.00000000","fee":"0.00000000","createDate":1658361600000,"priceScale":2,"quantityScale":2,"optionSide":"CALL","positionSide":"LONG","quoteAsset":"USDT"}]
""", ()),
    "earn.flexible_subscriptions": ("""
{"rows":[{"amount":"100.00000000","asset":"USDT","time":1575018510000,"purchaseId":26055,"productId":"USDT001","type":"AUTO","sourceAccount":"SPOT","amtFromSpot":"30","amtFromFunding":"70","status":"SUCCESS"}],"total":1}
""", ("rows",)),
    "earn.locked_subscriptions": ("""
{"rows":[{"positionId":123123,"purchaseId":"26055","projectId":"Axs*90","time":1575018510000,"asset":"BNB","amount":"21312.23223","lockPeriod":"30","type":"AUTO","sourceAccount":"SPOT","amtFromSpot":"30","amtFromFunding":"70","status":"SUCCESS"}],"total":1}
""", ("rows",)),
    "earn.flexible_redemptions": ("""
{"rows":[{"amount":"10.54000000","asset":"USDT","time":1577257222000,"projectId":"USDT001","redeemId":40607,"destAccount":"SPOT","status":"PAID"}],"total":1}
""", ("rows",)),
    "earn.locked_redemptions": ("""
{"rows":[{"positionId":123123,"redeemId":40607,"time":1575018510000,"asset":"BNB","lockPeriod":"30","amount":"21312.23223","originalAmount":"21312.23223","type":"MATURE","deliverDate":1575018510000,"lossAmount":"0.00001232","isComplete":true,"rewardAsset":"AXS","rewardAmt":"5.17181528","extraRewardAsset":"BNB","estExtraRewardAmt":"5.17181528","status":"PAID"}],"total":1}
""", ("rows",)),
    "earn.flexible_rewards": ("""
{"rows":[{"asset":"BUSD","rewards":"0.00006408","projectId":"USDT001","type":"BONUS","time":1577233578000}],"total":1}
""", ("rows",)),
    "earn.locked_rewards": ("""
{"rows":[{"positionId":123123,"time":1575018510000,"asset":"BNB","lockPeriod":"30","amount":"21312.23223","type":"Locked Rewards"}],"total":1}
""", ("rows",)),
    "staking.eth_stake": ("""
{"rows":[{"time":1575018510000,"asset":"ETH","amount":"21312.23223","distributeAsset":"WBETH","distributeAmount":"21286.42584","conversionRatio":"1.00121234","status":"SUCCESS"}],"total":1}
""", ("rows",)),
    "staking.eth_redeem": ("""
{"rows":[{"time":1575018510000,"arrivalTime":1575018510000,"asset":"WBETH","amount":"21312.23223","distributeAsset":"ETH","distributeAmount":"21338.0699","conversionRatio":"1.00121234","status":"SUCCESS"}],"total":1}
""", ("rows",)),
    "staking.wbeth_rewards": ("""
{"estRewardsInETH":"1.23230920","rows":[{"time":1575018510000,"amountInETH":"0.23223","holding":"2.3223","holdingInETH":"2.4231","annualPercentageRate":"0.5"}],"total":1}
""", ("rows",)),
    # §5.9.4 gives no SOL samples: the same shapes as ETH, with SOL/BNSOL.
    "staking.sol_stake": ("""
{"rows":[{"time":1575018510000,"asset":"SOL","amount":"21312.23223","distributeAsset":"BNSOL","distributeAmount":"21286.42584","exchangeRate":"1.00121234","status":"SUCCESS"}],"total":1}
""", ("rows",)),
    "staking.sol_redeem": ("""
{"rows":[{"time":1575018510000,"arrivalTime":1575018510000,"asset":"BNSOL","amount":"21312.23223","distributeAsset":"SOL","distributeAmount":"21338.0699","exchangeRate":"1.00121234","status":"SUCCESS"}],"total":1}
""", ("rows",)),
    "staking.bnsol_rewards": ("""
{"estRewardsInSOL":"1.23230920","rows":[{"time":1575018510000,"amountInSOL":"0.23223","holding":"2.3223","holdingInSOL":"2.4231","annualPercentageRate":"0.5"}],"total":1}
""", ("rows",)),
    "auto_invest.history": ("""
[{"id":1111,"targetAsset":"BTC","planType":"SINGLE","planName":"BTC","planId":1234,"transactionDateTime":1648378800000,"transactionStatus":"SUCCESS","failedType":"INSUFFICIENT_BALANCE","sourceAsset":"BUSD","sourceAssetAmount":"297.12345","targetAssetAmount":"0.005","sourceWallet":"SPOT_WALLET","flexibleUsed":"false","transactionFee":"0.002","transactionFeeUnit":"BUSD","executionPrice":"2342","executionType":"RECURRING","subscriptionCycle":"WEEKLY"}]
""", ()),
    "mining.payments": ("""
{"code":0,"msg":"","data":{"accountProfits":[{"time":1586188800000,"type":31,"hashTransfer":200000000000,"transferAmount":0.02180958,"dayHashRate":129129903378244,"profitAmount":8.6083060304,"coinName":"BTC","status":2}],"totalNum":3,"pageSize":20}}
""", ("data", "accountProfits")),
    "loans.income": ("""
[{"asset":"BUSD","type":"borrowIn","amount":"100","timestamp":1633771139847,"tranId":"80423589583"}]
""", ()),
    "rebates.tax_query": ("""
{"status":"OK","type":"GENERAL","code":"000000000","data":{"page":1,"totalRecords":2,"totalPageNum":1,"data":[{"asset":"USDT","type":1,"amount":"0.0001126","updateTime":1637651320000}]}}
""", ("data", "data")),
    "wallet.convert_transfer": ("""
{"total":1,"rows":[{"tranId":118263407119,"type":244,"time":1664442078000,"deductedAsset":"BUSD","deductedAmount":"1","targetAsset":"USDC","targetAmount":"1","status":"S","accountType":"MAIN"}]}
""", ("rows",)),
}


# issue 14 products (documented examples, provenance in product_samples.py)
from product_samples import PRODUCT_SAMPLES  # noqa: E402

SAMPLES.update(PRODUCT_SAMPLES)

def parse(text: str) -> Any:
    return json.loads(text, parse_float=Decimal)


def rows_of(name: str) -> list[dict[str, Any]]:
    """The sample's rows, taken out of its envelope as the client does."""
    text, path = SAMPLES[name]
    data = parse(text)
    for key in path:
        data = data[key]
    return data
