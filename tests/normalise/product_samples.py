"""Documented response examples of the issue-14 products, verbatim, with their provenance.

Source unless noted: Binance's official Go connector, github.com/binance/binance-connector-go,
unit tests `clients/<product>/tests/unit/restapi/api_*_test.go` (the `mockedJSON` of each
"... Success" case, which the connector generates from the documented response example):
cryptoloan/api_flexible_rate_test.go, cryptoloan/api_stable_rate_test.go,
staking/api_eth_staking_test.go, staking/api_sol_staking_test.go,
staking/api_on_chain_yields_test.go, staking/api_soft_staking_test.go,
simpleearn/api_bfusd_test.go, simpleearn/api_rwusd_test.go, mining/api_mining_test.go.
Rows marked [SPEC] are the samples of shared/spec/binance-api.md (§5.5.8, §5.9.3, §5.12) and
[OPENAPI] the example of openxapi's Binance wallet spec (GetAssetLedgerTransferCloudMiningQueryByPageV1Resp).
The On-chain Yields subscription/redemption rows mirror the documented Simple Earn locked rows
(spec §5.9.1: "same shape/rules"); their own examples were not found.

EXPECTED has the layout of test_normalise_samples.EXPECTED.
"""

# ruff: noqa: E501  (verbatim samples)
from __future__ import annotations

PRODUCT_SAMPLES: dict[str, tuple[str, tuple[str, ...]]] = {
    # [DOCS] developers.binance.com/docs/auto_invest/trade/Index-Linked-Plan-Rebalance-Details, response
    # example with its // comments and its trailing commas (not JSON) removed; values unchanged.
    "auto_invest.rebalance": ("""
[{"indexId":1,"indexName":"BINANCE TOP 10 EW","rebalanceId":11,"status":"SUCCESS","rebalanceFee":"10","rebalanceFeeUnit":"USDT","transactionDetails":[{"asset":"BTC","transactionDateTime":1648378800000,"rebalanceDirection":"BUY","rebalanceAmount":"0.005"},{"asset":"ETH","transactionDateTime":1648378800000,"rebalanceDirection":"BUY","rebalanceAmount":"0.005"}]}]
""", ()),
    # [DOCS] developers.binance.com/docs/dual_investment/trade/Get-Dual-Investment-positions, response
    # example (its // comments removed); the same example is in the zh-CN page and openxapi's
    # GetDciProductPositionsV1Resp. It has no settlement field: the settlement is statement-only.
    "dual_investment.positions": ("""
{"total":1,"list":[{"id":"10160533","investCoin":"USDT","exercisedCoin":"BNB","subscriptionAmount":"0.5","strikePrice":"330","duration":4,"settleDate":1708416000000,"purchaseStatus":"PURCHASE_SUCCESS","apr":"0.0365","orderId":7973677530,"purchaseEndTime":1708329600000,"optionType":"PUT","autoCompoundPlan":"STANDARD"}]}
""", ("list",)),
    "loans.flexible_borrow": ("""
{"total":1,"rows":[{"loanCoin":"BUSD","initialLoanAmount":"10000","collateralCoin":"BNB","initialCollateralAmount":"49.27565492","borrowTime":1575018510000,"status":"Succeeds"}]}
""", ("rows",)),  # [SPEC] §5.12
    "loans.flexible_repay": ("""
{"rows":[{"loanCoin":"BUSD","repayAmount":"10000","collateralCoin":"BNB","collateralReturn":"49.27565492","repayStatus":"REPAID","repayTime":1575018510000}],"total":1}
""", ("rows",)),
    "loans.flexible_ltv": ("""
{"rows":[{"loanCoin":"BUSD","collateralCoin":"BNB","direction":"ADDITIONAL","collateralAmount":"5.235","preLTV":"0.78","afterLTV":"0.56","adjustTime":1575018510000}],"total":1}
""", ("rows",)),
    "loans.flexible_liquidation": ("""
{"rows":[{"loanCoin":"BUSD","liquidationDebt":"10000","collateralCoin":"BNB","liquidationCollateralAmount":"123","returnCollateralAmount":"0.2","liquidationFee":"1.2","liquidationStartingPrice":"49.27565492","liquidationStartingTime":1575018510000,"status":"Liquidated"}],"total":1}
""", ("rows",)),
    "loans.stable_borrow": ("""
{"rows":[{"orderId":100000001,"loanCoin":"BUSD","initialLoanAmount":"10000","hourlyInterestRate":"0.000057","loanTerm":"7","collateralCoin":"BNB","initialCollateralAmount":"49.27565492","borrowTime":1575018510000,"status":"Repaid"}],"total":1}
""", ("rows",)),
    "loans.stable_repay": ("""
{"rows":[{"loanCoin":"BUSD","repayAmount":"10000","collateralCoin":"BNB","collateralUsed":"0","collateralReturn":"49.27565492","repayType":"1","repayStatus":"Repaid","repayTime":1575018510000,"orderId":756783308056935434}],"total":1}
""", ("rows",)),  # [SPEC] §5.12 (orderId beyond 2^53 stays exact)
    "loans.stable_ltv": ("""
{"rows":[{"loanCoin":"BUSD","collateralCoin":"BNB","direction":"ADDITIONAL","amount":"5.235","preLTV":"0.78","afterLTV":"0.56","adjustTime":1575018510000,"orderId":756783308056935400}],"total":1}
""", ("rows",)),
    "loans.vip_repay": ("""
{"rows":[{"loanCoin":"BUSD","repayAmount":"10000","collateralCoin":"BNB","repayStatus":"Repaid","repayTime":1575018510000,"orderId":756783308056935434}],"total":1}
""", ("rows",)),  # shape of the stable-rate repay row (spec §5.12 lists the VIP history without a sample)
    "loans.vip_accrued_interest": ("""
{"rows":[{"loanCoin":"USDT","principalAmount":"10000","interestAmount":"1.2","annualInterestRate":"0.001273","accrualTime":1575018510000,"orderId":756783308056935434}],"total":1}
""", ("rows",)),  # Binance docs, Get VIP Loan Accrued Interest (spec §5.12 has no sample)
    "sub_account.spot_transfers": ("""
[{"from":"aaa@test.com","to":"bbb@test.com","asset":"BTC","qty":"10","status":"SUCCESS","tranId":6489943656,"time":1544433328000}]
""", ()),  # [SPEC] §5.13
    "sub_account.universal_transfers": ("""
{"result":[{"tranId":92275823339,"fromEmail":"abctest@gmail.com","toEmail":"deftest@gmail.com","asset":"BNB","amount":"0.01","createTimeStamp":1640317374000,"fromAccountType":"USDT_FUTURE","toAccountType":"SPOT","status":"SUCCESS","clientTranId":"test"}],"totalCount":1}
""", ("result",)),  # [SPEC] §5.13
    # [DOCS] developers.binance.com/docs/zh-CN/sub_account/asset-management/Query-Sub-account-Futures-Asset-
    # Transfer-History, response example (whitespace removed; values unchanged). Its first row is
    # the sample of spec §5.13.
    "sub_account.futures_transfers": ("""
{"success":true,"futuresType":2,"transfers":[{"from":"aaa@test.com","to":"bbb@test.com","asset":"BTC","qty":"1","tranId":11897001102,"time":1544433328000},{"from":"bbb@test.com","to":"ccc@test.com","asset":"ETH","qty":"2","tranId":11631474902,"time":1544433328000}]}
""", ("transfers",)),
    "margin.small_liability": ("""
{"total":1,"rows":[{"asset":"ETH","amount":"0.00083434","targetAsset":"BUSD","targetAmount":"1.37576819","bizType":"EXCHANGE_SMALL_LIABILITY","timestamp":1672801339253}]}
""", ("rows",)),  # [SPEC] §5.5.8
    "staking.eth_wrap": ("""
{"rows":[{"time":1575018510000,"fromAsset":"BETH","fromAmount":"21312.23223","toAsset":"WBETH","toAmount":"21312.23223","exchangeRate":"1.01243253","status":"SUCCESS"}],"total":1}
""", ("rows",)),
    "staking.eth_unwrap": ("""
{"rows":[{"time":1575018510000,"fromAsset":"WBETH","fromAmount":"21312.23223","toAsset":"BETH","toAmount":"21312.23223","exchangeRate":"1.01243253","status":"SUCCESS"}],"total":1}
""", ("rows",)),
    "staking.beth_rewards": ("""
{"rows":[{"time":1575018510000,"asset":"ETH","holding":"2.3223","amount":"0.23223","annualPercentageRate":"0.5","status":"SUCCESS"}],"total":1}
""", ("rows",)),  # [SPEC] §5.9.3
    "staking.sol_boost_rewards": ("""
{"rows":[{"time":1729520680,"token":"SOL","amount":"1.20291028","bnsolHolding":"2.0928798","status":"SUCCESS"}],"total":1}
""", ("rows",)),
    "earn.bfusd_rewards": ("""
{"rows":[{"time":1575018510000,"rewardAsset":"BFUSD","rewardsAmount":"1","BFUSDPosition":"100","annualPercentageRate":"0.0418"}],"total":1}
""", ("rows",)),
    "earn.rwusd_rewards": ("""
{"rows":[{"time":1575018510000,"rewardsAmount":"1","rwusdPosition":"100","annualPercentageRate":"0.0418"}],"total":1}
""", ("rows",)),
    "onchain.subscriptions": ("""
{"rows":[{"positionId":123123,"purchaseId":"26055","projectId":"Axs*90","time":1575018510000,"asset":"BNB","amount":"21312.23223","lockPeriod":"30","type":"AUTO","sourceAccount":"SPOT","amtFromSpot":"30","amtFromFunding":"70","status":"SUCCESS"}],"total":1}
""", ("rows",)),
    "onchain.redemptions": ("""
{"rows":[{"positionId":123123,"redeemId":40607,"time":1575018510000,"asset":"BNB","lockPeriod":"30","amount":"21312.23223","originalAmount":"21312.23223","type":"MATURE","deliverDate":1575018510000,"status":"PAID"}],"total":1}
""", ("rows",)),
    "onchain.rewards": ("""
{"rows":[{"positionId":"123123","time":1575018510000,"asset":"BNB","lockPeriod":"30","amount":"21312.23223"}],"total":1}
""", ("rows",)),
    "soft_staking.rewards": ("""
{"rows":[{"asset":"BNB","rewards":"0.00000557","rewardAsset":"BNB","avgAmount":"2.14","time":1754007978000},{"asset":"SUI","rewards":"0.00274257","rewardAsset":"SUI","avgAmount":"100","time":1754007978000}],"total":2}
""", ("rows",)),
    "mining.other": ("""
{"code":0,"msg":"","data":{"otherProfits":[{"time":1607443200000,"coinName":"BTC","type":4,"profitAmount":0.0011859,"status":2}],"totalNum":3,"pageSize":20}}
""", ("data", "otherProfits")),
    "wallet.travel_rule_deposits": ("""
[{"trId":123451123,"tranId":17644346245865,"amount":"0.001","coin":"BNB","network":"BNB","depositStatus":0,"travelRuleStatus":1,"travelRuleStatusV2":"PENDING","address":"bnb136ns6lfw4zs5hg4n85vdthaad7hq5m4gtkgf23","addressTag":"101764890","txId":"98A3EA560C6B3336D348B6C83F0F95ECE4F1F5919E94BD006E5BF3BF264FACFC","insertTime":1661493146000,"completeTime":1661493206000,"transferType":0,"confirmTimes":"1/1","requireQuestionnaire":false,"questionnaire":"{\\"question1\\":\\"answer1\\",\\"question2\\":\\"answer2\\"}"}]
""", ()),  # wallet/api_travel_rule_test.go; the documented row is still pending (depositStatus 0)
    "mining.cloud_mining": ("""
{ "total":5, "rows":[ {"createTime":1667880112000,"tranId":121230610120,"type":248,"asset":"USDT","amount":"25.0068","status":"S"}, {"createTime":1666776366000,"tranId":119991507468,"type":249,"asset":"USDT","amount":"0.027","status":"S"}]}
""", ("rows",)),  # [OPENAPI] (first two of its five rows)
}

PRODUCT_EXPECTED: dict[str, tuple[dict, list]] = {
    "auto_invest.rebalance": ({}, [("auto_invest_rebalance:11", "trade",
                                    [("BTC", "0.005", "spot", "in"), ("ETH", "0.005", "spot", "in"),
                                     ("USDT", "-10", "spot", "fee")])]),
    "dual_investment.positions": ({}, [("dual_investment:10160533", "transfer",
                                        [("USDT", "-0.5", "spot", "out"), ("USDT", "0.5", "earn", "in")])]),
    "loans.flexible_borrow": ({}, [("flex_loan_borrow:1575018510000:BUSD:BNB", "loan", "loans.income")]),
    "loans.flexible_repay": ({}, [("flex_loan_repay:1575018510000:BUSD:BNB", "loan", "loans.income")]),
    "loans.flexible_ltv": ({}, [("flex_loan_ltv:1575018510000:BUSD:BNB:ADDITIONAL", "loan", "loans.income")]),
    "loans.flexible_liquidation": ({}, [("flex_loan_liquidation:1575018510000:BUSD:BNB", "liquidation",
                                         [("BNB", "-123", "loan", "out")])]),
    "loans.stable_borrow": ({}, [("stable_loan_borrow:100000001", "loan", "loans.income")]),
    "loans.stable_repay": ({}, [("stable_loan_repay:756783308056935434:1575018510000", "loan", "loans.income")]),
    "loans.stable_ltv": ({}, [("stable_loan_ltv:756783308056935400:1575018510000", "loan", "loans.income")]),
    "loans.vip_repay": ({}, [("vip_loan_repay:756783308056935434:1575018510000", "repay",
                              [("BUSD", "-10000", "spot", "out")])]),
    "loans.vip_accrued_interest": ({}, [("vip_loan_interest:756783308056935434:1575018510000", "loan",
                                         "loans.vip_repay")]),
    # The sub-account list of the plan names bbb / deftest: the other party is the master.
    "sub_account.spot_transfers": ({"sub_accounts": ["bbb@test.com"]}, [
        ("sub_transfer:6489943656", "transfer", [("BTC", "-10", "spot", "out"), ("BTC", "10", "external", "in")])]),
    "sub_account.universal_transfers": ({"sub_accounts": ["deftest@gmail.com"]}, [
        ("sub_universal:92275823339", "transfer",
         [("BNB", "-0.01", "usdm", "out"), ("BNB", "0.01", "external", "in")])]),
    # bbb and ccc are the plan's sub-accounts, futuresType 2 the request's (the rows do not carry
    # it): aaa, the master, sends BTC from its COIN-M wallet; bbb -> ccc moves nothing of the master.
    "sub_account.futures_transfers": ({"params": {"email": "bbb@test.com", "futuresType": "2"},
                                       "sub_accounts": ["bbb@test.com", "ccc@test.com"]}, [
        ("sub_futures:11897001102", "transfer", [("BTC", "-1", "coinm", "out"), ("BTC", "1", "external", "in")]),
        ("sub_futures:11631474902", "transfer", [])]),
    "margin.small_liability": ({}, [("small_liability:1672801339253:ETH", "repay",
                                     [("BUSD", "-1.37576819", "margin_cross", "out")])]),
    "staking.eth_wrap": ({}, [("eth_wrap:1575018510000:21312.23223", "trade",
                               [("BETH", "-21312.23223", "spot", "out"), ("WBETH", "21312.23223", "spot", "in")])]),
    "staking.eth_unwrap": ({}, [("eth_unwrap:1575018510000:21312.23223", "trade",
                                 [("WBETH", "-21312.23223", "spot", "out"), ("BETH", "21312.23223", "spot", "in")])]),
    "staking.beth_rewards": ({}, [("beth_reward:1575018510000:ETH", "reward", [("ETH", "0.23223", "spot", "in")])]),
    "staking.sol_boost_rewards": ({"type": "CLAIM"}, [("sol_boost:CLAIM:1729520680000:SOL", "reward",
                                                       [("SOL", "1.20291028", "spot", "in")])]),
    "earn.bfusd_rewards": ({}, [("bfusd_reward:1575018510000", "reward", [("BFUSD", "1", "spot", "in")])]),
    "earn.rwusd_rewards": ({}, [("rwusd_reward:1575018510000", "reward", [("RWUSD", "1", "spot", "in")])]),
    "onchain.subscriptions": ({}, [("onchain_sub:26055", "transfer",
                                    [("BNB", "-21312.23223", "spot", "out"), ("BNB", "21312.23223", "earn", "in")])]),
    "onchain.redemptions": ({}, [("onchain_red:40607", "transfer",
                                  [("BNB", "-21312.23223", "earn", "out"), ("BNB", "21312.23223", "spot", "in")])]),
    "onchain.rewards": ({}, [("onchain_reward:123123:1575018510000", "reward",
                              [("BNB", "21312.23223", "spot", "in")])]),
    "soft_staking.rewards": ({}, [("soft_staking:BNB:1754007978000", "reward", [("BNB", "0.00000557", "spot", "in")]),
                                  ("soft_staking:SUI:1754007978000", "reward", [("SUI", "0.00274257", "spot", "in")])]),
    "mining.other": ({"algo": "sha256", "userName": "test"}, [
        ("mining_other:BTC:1607443200000:4", "mining", [("BTC", "0.0011859", "funding", "in")])]),
    "wallet.travel_rule_deposits": ({}, [("skip", "depositStatus=0")]),
    "mining.cloud_mining": ({}, [("cloud_mining:121230610120", "pay", [("USDT", "-25.0068", "spot", "out")]),
                                 ("cloud_mining:119991507468", "pay", [("USDT", "0.027", "spot", "in")])]),
}
