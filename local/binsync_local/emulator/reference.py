"""Reference and account-state responses: exchangeInfo (spot, USD-M, COIN-M, options), account,
apiRestrictions, account/info, margin/futures account snapshots, capital/config/getall."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from .account import Account, ApiKey, Market
from .api import ApiError

DEFAULT_PERMISSIONS = frozenset({"SPOT", "MARGIN", "LEVERAGED"})
USDM_SYMBOLS = ("BTCUSDT", "ETHUSDT", "SOLUSDT", "BNBUSDT")
COINM_SYMBOLS = ("BTCUSD_PERP", "ETHUSD_PERP")


def _symbol_json(m: Market, show_sets: bool) -> dict[str, Any]:
    d: dict[str, Any] = {
        "symbol": m.symbol,
        "status": m.status,
        "baseAsset": m.base,
        "baseAssetPrecision": 8,
        "quoteAsset": m.quote,
        "quotePrecision": 8,
        "quoteAssetPrecision": 8,
        "baseCommissionPrecision": 8,
        "quoteCommissionPrecision": 8,
        "orderTypes": ["LIMIT", "LIMIT_MAKER", "MARKET", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT"],
        "icebergAllowed": True,
        "ocoAllowed": True,
        "otoAllowed": True,
        "quoteOrderQtyMarketAllowed": True,
        "allowTrailingStop": True,
        "cancelReplaceAllowed": True,
        "amendAllowed": False,
        "isSpotTradingAllowed": any("SPOT" in s for s in m.permission_sets),
        "isMarginTradingAllowed": any("MARGIN" in s for s in m.permission_sets),
        "filters": [
            {
                "filterType": "PRICE_FILTER",
                "minPrice": "0.00000001",
                "maxPrice": "1000000.00000000",
                "tickSize": "0.00000001",
            },
            {
                "filterType": "LOT_SIZE",
                "minQty": "0.00000001",
                "maxQty": "90000000.00000000",
                "stepSize": "0.00000001",
            },
        ],
        "permissions": [],
        "defaultSelfTradePreventionMode": "EXPIRE_MAKER",
        "allowedSelfTradePreventionModes": ["EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH"],
    }
    if show_sets:
        d["permissionSets"] = [list(s) for s in m.permission_sets]
    return d


def _list_param(value: str) -> list[str]:
    value = value.strip()
    if value.startswith("["):
        try:
            return [str(v) for v in json.loads(value)]
        except ValueError:
            raise ApiError(-1100, "Illegal characters found in a parameter.") from None
    return [value]


class Reference:
    def __init__(self, account: Account, rate_limits: dict[str, list[dict]]):
        self.account = account
        self.rate_limits = rate_limits  # family -> rateLimits entries
        self.listed = [m for m in account.markets if m.status != "REMOVED"]
        self.by_symbol = {m.symbol: m for m in self.listed}
        self._cache: dict[tuple, str] = {}
        self.balances = account.truth().balances()
        self._held: dict[str, set[str]] = {}
        for ev in account.events:
            for a, _amt, w, _r in ev.legs:
                self._held.setdefault(w, set()).add(a)

    # ---- exchangeInfo -----------------------------------------------------------------------
    def exchange_info(self, params: dict[str, str], now_ms: int) -> str:
        symbol, symbols = params.get("symbol"), params.get("symbols")
        perms = params.get("permissions")
        status = params.get("symbolStatus")
        show = params.get("showPermissionSets", "true").lower() != "false"
        if status and (symbol or symbols):
            raise ApiError(-1128, "Combination of optional parameters invalid.")
        key = (symbol, symbols, perms, status, show)
        cached = self._cache.get(key)
        if cached is None:
            if symbol or symbols:
                names = [symbol] if symbol else _list_param(symbols or "")
                missing = [n for n in names if n not in self.by_symbol]
                if missing:
                    raise ApiError(-1121, "Invalid symbol.")
                chosen = [self.by_symbol[n] for n in names]
            else:
                wanted = set(_list_param(perms)) if perms else DEFAULT_PERMISSIONS
                chosen = [m for m in self.listed if any(set(s) & wanted for s in m.permission_sets)]
                if status:
                    chosen = [m for m in chosen if m.status == status]
            body = {
                "timezone": "UTC",
                "serverTime": 0,
                "rateLimits": self.rate_limits.get("api", []),
                "exchangeFilters": [],
                "symbols": [_symbol_json(m, show) for m in chosen],
            }
            cached = json.dumps(body, separators=(",", ":"))
            self._cache[key] = cached
        return cached.replace('"serverTime":0', f'"serverTime":{now_ms}', 1)

    def futures_exchange_info(self, family: str, now_ms: int) -> str:
        syms = []
        if family == "fapi":
            for s in USDM_SYMBOLS:
                syms.append(
                    {
                        "symbol": s,
                        "pair": s,
                        "contractType": "PERPETUAL",
                        "deliveryDate": 4133404800000,
                        "onboardDate": 1569398400000,
                        "status": "TRADING",
                        "baseAsset": s[:-4],
                        "quoteAsset": "USDT",
                        "marginAsset": "USDT",
                        "pricePrecision": 2,
                        "quantityPrecision": 3,
                        "baseAssetPrecision": 8,
                        "quotePrecision": 8,
                        "underlyingType": "COIN",
                        "underlyingSubType": [],
                        "settlePlan": 0,
                        "triggerProtect": "0.0500",
                        "filters": [
                            {
                                "filterType": "PRICE_FILTER",
                                "minPrice": "0.10",
                                "maxPrice": "4529764",
                                "tickSize": "0.10",
                            },
                            {
                                "filterType": "LOT_SIZE",
                                "minQty": "0.001",
                                "maxQty": "1000",
                                "stepSize": "0.001",
                            },
                        ],
                        "orderTypes": ["LIMIT", "MARKET"],
                        "timeInForce": ["GTC", "IOC", "FOK", "GTX"],
                    }
                )
            assets = [{"asset": "USDT", "marginAvailable": True, "autoAssetExchange": "-10000"}]
        else:
            for s in COINM_SYMBOLS:
                base = s[:3]
                syms.append(
                    {
                        "symbol": s,
                        "pair": s.split("_")[0],
                        "contractType": "PERPETUAL",
                        "deliveryDate": 4133404800000,
                        "onboardDate": 1597042800000,
                        "contractStatus": "TRADING",
                        "contractSize": 100 if base == "BTC" else 10,
                        "marginAsset": base,
                        "maintMarginPercent": "2.5000",
                        "requiredMarginPercent": "5.0000",
                        "baseAsset": base,
                        "quoteAsset": "USD",
                        "pricePrecision": 1,
                        "quantityPrecision": 0,
                        "baseAssetPrecision": 8,
                        "quotePrecision": 8,
                        "equalQtyPrecision": 4,
                        "triggerProtect": "0.0500",
                        "underlyingType": "COIN",
                        "underlyingSubType": [],
                        "filters": [
                            {
                                "filterType": "PRICE_FILTER",
                                "minPrice": "1000",
                                "maxPrice": "4520958",
                                "tickSize": "0.1",
                            },
                            {"filterType": "LOT_SIZE", "minQty": "1", "maxQty": "1000000", "stepSize": "1"},
                        ],
                        "orderTypes": ["LIMIT", "MARKET"],
                        "timeInForce": ["GTC", "IOC", "FOK", "GTX"],
                    }
                )
            assets = []
        body = {
            "timezone": "UTC",
            "serverTime": now_ms,
            "futuresType": "U_MARGINED" if family == "fapi" else "COIN_MARGINED",
            "rateLimits": self.rate_limits.get(family, []),
            "exchangeFilters": [],
            "assets": assets,
            "symbols": syms,
        }
        return json.dumps(body, separators=(",", ":"))

    def options_exchange_info(self, now_ms: int) -> str:
        return json.dumps(
            {
                "timezone": "UTC",
                "serverTime": now_ms,
                "optionContracts": [],
                "optionAssets": [],
                "optionSymbols": [],
                "rateLimits": self.rate_limits.get("eapi", []),
            },
            separators=(",", ":"),
        )

    # ---- account state ------------------------------------------------------------------------
    def wallet(self, wallet: str) -> dict[str, Decimal]:
        # Assets the wallet ever held stay listed with 0 (Binance lists every asset).
        out = dict.fromkeys(self._held.get(wallet, ()), Decimal(0))
        out.update({a: v for (a, w), v in self.balances.items() if w == wallet})
        return dict(sorted(out.items()))

    def spot_account(self, params: dict[str, str]) -> str:
        omit = params.get("omitZeroBalances", "false").lower() == "true"
        bals = [
            {"asset": a, "free": f"{v:.8f}", "locked": "0.00000000"}
            for a, v in self.wallet("spot").items()
            if not (omit and v == 0)
        ]
        body = {
            "makerCommission": 10,
            "takerCommission": 10,
            "buyerCommission": 0,
            "sellerCommission": 0,
            "commissionRates": {
                "maker": "0.00100000",
                "taker": "0.00100000",
                "buyer": "0.00000000",
                "seller": "0.00000000",
            },
            "canTrade": True,
            "canWithdraw": True,
            "canDeposit": True,
            "brokered": False,
            "requireSelfTradePrevention": False,
            "preventSor": False,
            "updateTime": self.account.events[-1].time_ms,
            "accountType": self.account.account_type,
            "balances": bals,
            "permissions": ["SPOT"],
            "uid": self.account.uid,
        }
        return json.dumps(body, separators=(",", ":"))

    @staticmethod
    def api_restrictions(key: ApiKey) -> str:
        return json.dumps(key.restrictions, separators=(",", ":"))

    def account_info(self) -> str:
        return json.dumps(
            {
                "vipLevel": self.account.vip_level,
                "isMarginEnabled": True,
                "isFutureEnabled": True,
                "isOptionsEnabled": True,
                "isPortfolioMarginRetailEnabled": False,
            },
            separators=(",", ":"),
        )

    def margin_account(self) -> str:
        assets = [
            {
                "asset": a,
                "free": f"{v:.8f}",
                "locked": "0.00000000",
                "borrowed": "0.00000000",
                "interest": "0.00000000",
                "netAsset": f"{v:.8f}",
            }
            for a, v in self.wallet("margin_cross").items()
        ]
        return json.dumps(
            {
                "borrowEnabled": True,
                "marginLevel": "999.00000000",
                "totalAssetOfBtc": "0",
                "totalLiabilityOfBtc": "0",
                "totalNetAssetOfBtc": "0",
                "tradeEnabled": True,
                "transferEnabled": True,
                "userAssets": assets,
            },
            separators=(",", ":"),
        )

    def isolated_pairs(self) -> list[str]:
        """The pairs of the account's isolated margin accounts: those its records name."""
        pairs = {r.raw["symbol"] for r in self.account.records("margin.my_trades") if r.part[1]}
        for name in ("margin.borrow_repay", "margin.interest", "margin.transfers"):
            for r in self.account.records(name):
                pairs.update(s for s in (r.raw.get("isolatedSymbol"), r.raw.get("fromSymbol"),
                                         r.raw.get("toSymbol")) if s)
        return sorted(pairs)

    def isolated_account(self) -> str:
        # One wallet total per asset (binsync's margin_isolated wallet is not split per pair).
        iso = self.wallet("margin_isolated")
        pairs = self.isolated_pairs()

        def side(asset: str) -> dict:
            v = iso.get(asset, Decimal(0))
            return {
                "asset": asset,
                "borrowEnabled": True,
                "borrowed": "0",
                "free": f"{v:.8f}",
                "interest": "0",
                "locked": "0",
                "netAsset": f"{v:.8f}",
                "netAssetOfBtc": "0",
                "repayEnabled": True,
                "totalAsset": f"{v:.8f}",
            }

        assets = [
            {
                "baseAsset": side(self._market(p)[0]),
                "quoteAsset": side(self._market(p)[1]),
                "symbol": p,
                "isolatedCreated": True,
                "enabled": True,
                "marginLevel": "999",
                "marginLevelStatus": "EXCESSIVE",
                "marginRatio": "5",
                "indexPrice": "300",
                "liquidatePrice": "0",
                "liquidateRate": "0",
                "tradeEnabled": True,
            }
            for p in pairs
        ]
        return json.dumps(
            {"assets": assets, "totalAssetOfBtc": "0", "totalLiabilityOfBtc": "0", "totalNetAssetOfBtc": "0"},
            separators=(",", ":"),
        )

    def _market(self, symbol: str) -> tuple[str, str]:
        m = self.account.market(symbol)
        return (m.base, m.quote) if m else (symbol[:-4], symbol[-4:])

    def coinm_account(self) -> str:
        assets = [
            {"asset": a, "walletBalance": f"{v:.8f}", "unrealizedProfit": "0.00000000",
             "marginBalance": f"{v:.8f}", "availableBalance": f"{v:.8f}"}
            for a, v in self.wallet("coinm").items()
        ]
        return json.dumps({"assets": assets, "positions": [], "canDeposit": True, "canTrade": True,
                           "canWithdraw": True, "feeTier": 0, "updateTime": 0}, separators=(",", ":"))

    def usdm_account(self) -> str:
        assets = [
            {
                "asset": a,
                "walletBalance": f"{v:.8f}",
                "unrealizedProfit": "0.00000000",
                "marginBalance": f"{v:.8f}",
                "availableBalance": f"{v:.8f}",
            }
            for a, v in self.wallet("usdm").items()
        ]
        return json.dumps(
            {"totalWalletBalance": "0", "assets": assets, "positions": []}, separators=(",", ":")
        )

    def sub_account_list(self, params: dict[str, str]) -> str:
        """GET /sapi/v1/sub-account/list: a master's sub-accounts, `page` / `limit` (default 1,
        max 200); any other account is refused as Binance refuses it."""
        from .api import NOT_MASTER

        subs = self.account.sub_accounts
        if not subs:
            raise ApiError(*NOT_MASTER)
        if params.get("email"):
            subs = [s for s in subs if s["email"] == params["email"]]
        try:
            page = max(1, int(params.get("page") or 1))
            limit = min(200, max(1, int(params.get("limit") or 1)))
        except ValueError:
            raise ApiError(-1100, "Illegal characters found in a parameter.") from None
        rows = subs[(page - 1) * limit: page * limit]
        return json.dumps({"subAccounts": rows}, separators=(",", ":"))

    def margin_pairs(self, isolated: bool) -> str:
        out = []
        for i, m in enumerate(self.listed):
            if not any("MARGIN" in ps for ps in m.permission_sets) or (
                isolated and m.symbol not in self.isolated_pairs()
            ):
                continue
            row = {
                "base": m.base,
                "isBuyAllowed": True,
                "isMarginTrade": True,
                "isSellAllowed": True,
                "quote": m.quote,
                "symbol": m.symbol,
            }
            if not isolated:
                row = {"id": 351637150141315861 + i, **row}
            out.append(row)
        return json.dumps(out, separators=(",", ":"))

    def capital_config(self) -> str:
        assets = sorted({m.base for m in self.account.markets} | {m.quote for m in self.account.markets})
        out = []
        for a in assets:
            out.append(
                {
                    "coin": a,
                    "depositAllEnable": True,
                    "withdrawAllEnable": True,
                    "name": a,
                    "free": "0",
                    "locked": "0",
                    "freeze": "0",
                    "withdrawing": "0",
                    "ipoing": "0",
                    "ipoable": "0",
                    "storage": "0",
                    "isLegalMoney": a in ("EUR", "TRY"),
                    "trading": True,
                    "networkList": [
                        {
                            "network": "BSC",
                            "coin": a,
                            "withdrawIntegerMultiple": "0.00000001",
                            "isDefault": True,
                            "depositEnable": True,
                            "withdrawEnable": True,
                            "depositDesc": "",
                            "withdrawDesc": "",
                            "name": "BNB Smart Chain (BEP20)",
                            "resetAddressStatus": False,
                            "addressRegex": "^(0x)[0-9A-Fa-f]{40}$",
                            "memoRegex": "",
                            "withdrawFee": "0.5",
                            "withdrawMin": "1",
                            "withdrawMax": "10000000",
                            "minConfirm": 15,
                            "unLockConfirm": 0,
                            "sameAddress": False,
                            "estimatedArrivalTime": 1,
                            "busy": False,
                        }
                    ],
                }
            )
        return json.dumps(out, separators=(",", ":"))
