"""Catalogue of the statement's `Operation` and `Account` values (spec/binance-statement.md §3, §4).

Each Operation maps to a unified kind (`binsync.model.KINDS`) and a *grouping family*:

- ``single``: every row is its own event (deposit, interest, funding fee...).
- a *swap* family (``spot_trade``, ``convert``, ``dust``...): rows of one second, one account and
  one family form an event that is then split into swaps (see `events.py`).
- ``transfer``: rows of one second and one Operation across accounts, paired by coin and
  amount into one transfer per pair (one row per account).

Names are matched case-insensitively with runs of whitespace collapsed, so the renamed variants
Binance produced over the years (`Small assets exchange BNB` / `Small Assets Exchange BNB`,
`Realize profit and loss` / `Realized Profit and Loss`...) resolve to the same entry. Any name
starting with `Transfer Between ` is a transfer (Binance keeps adding wallets). An unknown name is
not an error: it becomes kind `other`, grouped per (second, account, operation), and is reported.
"""

from __future__ import annotations

from dataclasses import dataclass

SINGLE = "single"
TRANSFER = "transfer"
UNKNOWN = "unknown"
# `Savings distribution`: interest, or a coin and its `LD` savings token moving together
SAVINGS = "savings_distribution"


@dataclass(frozen=True, slots=True)
class OpSpec:
    kind: str
    family: str  # SINGLE, TRANSFER, UNKNOWN or a swap family name
    fee: bool = False  # negative rows are fees (role "fee")
    known: bool = True
    # a record of a movement another row books (`reward_records.py`): that row's Operation; the
    # record's own event has no legs
    paid_by: str | None = None

    @property
    def is_swap(self) -> bool:
        return self.family not in (SINGLE, TRANSFER, UNKNOWN, SAVINGS)


# (kind, family, fee, names...). Order inside a tuple is irrelevant; names are normalised.
_TABLE: tuple[tuple[str, str, bool, tuple[str, ...]], ...] = (
    # §4.1 spot fills (all formats share one family: legacy Buy/Sell/Fee, Transaction Related and
    # the 2023+ Transaction Buy/Spend/Fee/Revenue/Sold may even be mixed in one second).
    ("trade", "spot_trade", False, (
        "Buy", "Sell", "Transaction Related", "Transaction Buy", "Transaction Spend",
        "Transaction Revenue", "Transaction Sold",
    )),
    ("trade", "spot_trade", True, ("Fee", "Transaction Fee")),
    # the fee of a fill paid in BNB (spec §11): a fee leg of that fill, not a conversion
    ("trade", "spot_trade", True, ("BNB Fee Deduction", "BNB deducts fee")),
    ("trade", "otc", False, ("The Easiest Way to Trade", "Large OTC trading")),
    ("convert", "convert", False, (
        "Binance Convert", "Asset Conversion Transfer", "Futures Convert",
        "Stablecoins Auto-Conversion", "Stablecoins Auto Conversion",
    )),
    ("trade", "leverage_token", False, ("Leverage Token Redemption", "Leveraged Token Redemption")),
    ("dust", "dust", False, (
        "Small assets exchange BNB", "Small Assets Exchange BNB", "Small Assets Exchange",
    )),
    ("liquidation", "liquidation_takeover", False, ("Cross Margin Liquidation - Small Assets Takeover",)),
    ("trade", "eth_staking", False, ("ETH 2.0 Staking", "BETH to WBETH Wrapping", "WBETH Wrapping")),
    # card / fiat purchases: a fiat leg and a crypto leg over a few seconds (spec §11), one event
    ("card_buy", "card_buy", False, ("Buy Crypto", "Buy Crypto With Card", "Buy Crypto With Fiat")),
    ("trade", "fiat_sell", False, ("Sell Crypto To Fiat", "Sell Crypto", "Sell Crypto With Card")),
    ("trade", "auto_invest", False, ("Auto-Invest Transaction", "Auto Invest Transaction")),
    ("trade", "liquid_swap", False, ("Swap Farming Transaction", "Liquid Swap Sell")),
    ("convert", "token_swap", False, ("Token Swap - Redenomination/Rebranding",)),
    # §4.2 deposits, withdrawals, fiat, P2P, Pay
    ("deposit", SINGLE, False, ("Deposit",)),
    ("withdrawal", SINGLE, False, ("Withdraw", "Withdrawal")),
    ("fiat_deposit", SINGLE, False, ("Fiat Deposit", "Fiat OCBS - Add Fiat and Fees")),
    ("fiat_withdrawal", SINGLE, False, ("Fiat Withdraw", "Fiat Withdrawal")),
    ("pay", SINGLE, False, (
        "Send", "Binance Pay", "Merchant Payment", "Spending", "Crypto Box", "Binance Card Spending",
        "Card Spending", "C2C Transfer", "Binance Pay Transfer", "Pay Transfer",
    )),
    ("p2p", SINGLE, False, ("P2P Trading", "P2P Transaction")),
    # §4.3 internal transfers (plus every "Transfer Between ..." by prefix, see lookup())
    # `Sub-account Transfer`: a master's transfer with a sub-account (one row, the master's side;
    # the spec names none, a public parser of real Binance statements lists this name among the
    # internal transfers it skips). Unknown, it would be kind `other` and double the API record.
    ("transfer", TRANSFER, False, (
        "Main and Funding Account Transfer", "transfer_in", "transfer_out", "Transfer In", "Transfer Out",
        "Sub-account Transfer",
    )),
    # §4.4 principal movements between spot and earn/staking/pools: transfers of the user's own coins
    ("transfer", TRANSFER, False, (
        "Simple Earn Flexible Subscription", "Simple Earn Flexible Redemption",
        "Simple Earn Locked Subscription", "Simple Earn Locked Redemption",
        "Staking Purchase", "Staking Redemption", "POS savings purchase", "POS savings redemption",
        "Savings purchase", "Savings Principal redemption", "Launchpool Subscription/Redemption",
        "Launchpad Subscribe", "Liquid Swap add", "Liquid Swap Add/Sell", "Liquid Swap remove",
        "Liquidity Farming Remove", "Dual Investment Subscribe", "Dual Investment Settlement",
        "Dual Investment Auto Compound", "Auto Compound", "ETH 2.0 Staking Withdrawals", "Freeze",
        "Unfreeze", "Simple Earn Flexible Auto-Subscription",
    )),
    # §4.5 income
    ("interest", SINGLE, False, (
        "Simple Earn Flexible Interest", "Simple Earn Flexible realTimeApr Interest",
        "Simple Earn Locked Interest", "Savings Interest", "Launchpool Interest",
    )),
    # old flexible savings: a row alone is interest; BTC -a with LDBTC +a in one second is the
    # coin entering savings as its receipt token (events._split_savings), and back
    ("interest", SAVINGS, False, ("Savings distribution",)),
    ("reward", SINGLE, False, (
        "Simple Earn Locked Rewards", "POS savings interest", "Staking Rewards",
        "ETH 2.0 Staking Rewards", "DOT Staking Rewards", "SOL Staking Rewards", "ADA Staking Rewards",
        "DOT Slot Auction Rewards", "BNB Vault Rewards", "Swap Farming Rewards", "Liquid Swap rewards",
        "Launchpool Earnings Withdrawal", "Launchpool Earnings", "Launchpool Earnings Distribution",
        "Launchpad token distribution", "Mission Reward Distribution", "Cash Voucher distribution",
        "Cash Voucher", "Cashback Voucher", "Campaign Related Reward", "Binance Convert Bonus",
        "Simple Earn Flexible Bonus",
    )),
    ("mining", SINGLE, False, ("Pool Distribution", "Super BNB Mining", "Mining Distribution")),
    # §4.6 airdrops, distributions, adjustments
    ("airdrop", SINGLE, False, (
        "Distribution", "Airdrop Assets", "Asset - Transfer", "Simple Earn Flexible Airdrop",
        "Launchpool Airdrop", "Launchpool Airdrop - User Claim Distribution",
        "Launchpool Airdrop - System Distribution", "HODLer Airdrops Distribution", "Megadrop Rewards",
        "Token Swap - Distribution", "Token Swap Restitution", "Alpha 2.0 Tokens Distribution",
    )),
    ("other", SINGLE, False, (
        "Asset Recovery", "Fund Recovery", "Leveraged Coin Consolidation", "NFT Transaction",
    )),
    # §4.7 referral / commission / card
    ("rebate", SINGLE, False, (
        "Commission History", "Commission Rebate", "Commission Fee Shared With You", "Referral Kickback",
        "Referrer Commission",  # a Spanish tax tool's audited cases (corpus es_clasificador_*)
        "Referral Commission", "Referrer rebates", "Referee rebates", "Strategy Trading Fee Rebate",
        "Binance Card Cashback", "Card Cashback", "Cashback", "Insurance Fund Refund",
        "API Rebate", "Futures Referral Kickback",
    )),
    ("fee", SINGLE, True, ("NFT Gas Fee", "Isolated Margin Liquidation - Fee")),
    # §4.8 futures cash flows (the futures `Fee` is resolved by account in lookup())
    ("funding_fee", SINGLE, False, ("Funding Fee",)),
    ("futures_pnl", SINGLE, False, ("Realized Profit and Loss", "Realize profit and loss")),
    ("liquidation", SINGLE, False, ("Insurance Fund Compensation", "Insurance fund compensation")),
    # options (the emulator renders options.bill rows under these names)
    ("options", SINGLE, False, ("Options Premium", "Options Settlement", "Options Exercise")),
    ("fee", SINGLE, True, ("Options Fee",)),
    # §4.9 margin
    ("borrow", SINGLE, False, (
        "Margin loan", "Isolated Margin Loan", "IsolatedMargin loan", "Crypto Loans Borrow",
        "Crypto Loan - Borrow", "Crypto Loans - Borrow", "Flexible Loan - Borrow",
    )),
    ("repay", SINGLE, False, (
        "Margin Repayment", "Isolated Margin Repayment", "IsolatedMargin repayment",
        "Cross Margin Liquidation - Repayment", "Crypto Loans Repay",
        "Crypto Loan - Repay", "Crypto Loans - Repay", "Flexible Loan - Repay",
    )),
    ("fee", SINGLE, True, ("Margin Interest", "Isolated Margin Interest")),
    # collateral moves between spot and the loan wallet: two rows, paired like a transfer
    ("loan", TRANSFER, False, (
        "Crypto Loans Collateral", "Crypto Loans Collateral Return", "Crypto Loan - Collateral",
        "Crypto Loan - Collateral Return", "Flexible Loan - Collateral", "Flexible Loan - Collateral Return",
    )),
    # issue 14 products. Names not in spec §4/§11 (no export seen) are the emulator's choice; the
    # parser needs them to rebuild what the emulator renders. Real names found later join these.
    ("trade", "eth_staking", False, ("WBETH to BETH Unwrapping",)),
    ("liquidation", SINGLE, False, ("Flexible Loan - Liquidation", "Crypto Loan - Liquidation")),
    ("borrow", SINGLE, False, ("VIP Loan - Borrow",)),
    ("repay", SINGLE, False, ("VIP Loan - Repay", "Cross Margin Small Liability Exchange")),
    ("reward", SINGLE, False, ("BFUSD Rewards", "RWUSD Rewards", "Soft Staking Rewards",
                               "On-chain Yields Locked Rewards")),
    ("transfer", TRANSFER, False, (
        "On-chain Yields Locked Subscription", "On-chain Yields Locked Redemption",
    )),
    ("pay", SINGLE, False, ("Cloud Mining Payment", "Cloud Mining Refund")),
    # index-linked plan rebalance: sold/bought rows are "Auto-Invest Transaction"; the fee, in
    # another coin, needs its own name (emulator's choice: no real export with one seen)
    ("fee", "auto_invest", True, ("Auto-Invest Rebalance Fee",)),
)


def normalise(name: str) -> str:
    """Case-insensitive, whitespace-collapsed key of an Operation or Account name."""
    return " ".join(name.split()).lower()


CATALOGUE: dict[str, OpSpec] = {}
for _kind, _family, _fee, _names in _TABLE:
    for _name in _names:
        CATALOGUE[normalise(_name)] = OpSpec(_kind, _family, _fee)

# 2026 exports book each Simple Earn bonus twice (spec §11; GiacenzeCrypto's RicompenseEarnDoppie,
# checked there against the app's Rewards history): a record on Account Earn, and the payment on
# Spot, same coin and amount, usually 0-2 h later. The Spot row is the money (exports before 2026
# have only it), so the Earn row is a record of it: kept, linked to its payment, never a credit.
REWARD_RECORDS: dict[str, str] = {
    "Simple Earn Flexible - Rewards Income": "Simple Earn Flexible Interest",
    "Simple Earn Locked - Rewards Income": "Simple Earn Locked Rewards",
}
for _record, _payment in REWARD_RECORDS.items():
    CATALOGUE[normalise(_record)] = OpSpec(CATALOGUE[normalise(_payment)].kind, SINGLE,
                                           paid_by=_payment)
REWARD_PAYMENTS = frozenset(normalise(payment) for payment in REWARD_RECORDS.values())

_FUTURES_FEE = OpSpec("fee", SINGLE, True)
_TRANSFER = OpSpec("transfer", TRANSFER)
_PAY = OpSpec("pay", SINGLE)  # a bare `Transfer` row on Funding is Binance Pay (remark `Binance Pay - ...`)
_UNKNOWN = OpSpec("other", UNKNOWN, known=False)
# Wallets where a `Fee` row is a trading commission (part of a fill); elsewhere (futures,
# options) it is a cash flow of its own.
_TRADE_FEE_WALLETS = frozenset({"spot", "margin_cross", "margin_isolated", "funding", "card", "strategy"})


def lookup(operation: str, wallet: str) -> OpSpec:
    """The OpSpec of an Operation seen in `wallet`; unknown names give kind `other`."""
    key = normalise(operation)
    spec = CATALOGUE.get(key)
    if spec is None and key == _SPEC_TRANSFER_BARE:
        spec = _bare_transfer(wallet)
        if spec is not None:
            return spec
    if spec is None:
        if key.startswith("transfer between ") or key.endswith(" account transfer"):
            return _TRANSFER
        return _UNKNOWN
    if key == "fee" and wallet not in _TRADE_FEE_WALLETS:
        return _FUTURES_FEE
    return spec


_SPEC_TRANSFER_BARE = "transfer"


def _bare_transfer(wallet: str) -> OpSpec | None:
    return _PAY if wallet == "funding" else None


# `Account` column -> wallet (docs/ledger.md "Statement rendering"). Keys are normalised with
# spaces, hyphens and underscores removed, so `USD-M Futures`, `USD-MFutures` and `USDⓈ-M
# Futures` are one entry.
_ACCOUNTS: dict[str, str] = {
    "spot": "spot", "main": "spot", "exchange": "spot",
    "funding": "funding", "p2p": "funding", "c2c": "funding", "pay": "funding",
    "earn": "earn", "savings": "earn", "simpleearn": "earn", "staking": "earn",
    "pool": "mining", "mining": "mining",
    "card": "card",
    "usdtfutures": "usdm", "usdmfutures": "usdm", "usdⓢmfutures": "usdm", "umfutures": "usdm",
    "futures": "usdm",
    "coinmfutures": "coinm", "cmfutures": "coinm", "coinfutures": "coinm",
    "crossmargin": "margin_cross", "margin": "margin_cross",
    "isolatedmargin": "margin_isolated",
    "options": "options", "option": "options",
    "loan": "loan", "cryptoloans": "loan",
    # trading bots (spec §11: `Strategy` rows carry Transaction Buy/Spend/Fee of the bot's fills)
    "strategy": "strategy", "tradingbots": "strategy", "tradingbot": "strategy",
}

# Wallet -> the Account name binsync writes (exports, emulator round trips).
WALLET_ACCOUNT: dict[str, str] = {
    "spot": "Spot", "funding": "Funding", "earn": "Earn", "margin_cross": "Cross Margin",
    "margin_isolated": "Isolated Margin", "usdm": "USD-M Futures", "coinm": "Coin-M Futures",
    "card": "Card", "mining": "Pool", "options": "Options", "loan": "Loan", "strategy": "Strategy",
}


def account_wallet(account: str) -> str | None:
    """Wallet of a statement `Account` value, or None when the value is unknown."""
    key = account.strip().lower().replace(" ", "").replace("-", "").replace("_", "")
    return _ACCOUNTS.get(key)
