"""The emulated endpoints: history queries driven by the catalogue, and account/reference data.

History endpoints share one engine: the catalogue entry says which parameters are required, the
parameter names (times, limit, cursor), the max and default windows, the page sizes, the order of
rows and where the list sits in the response; `FILTERS` below says which request parameters
select which records (behaviour, not numbers). Retention was applied once at start-up
(retention.py), measured from the account's `now_ms`.

Assumptions (spec ❓), documented here once:
- Window violations answer HTTP 400 `-1127` on every family ("More than 24 hours between
  startTime and endTime." for 24-hour windows, "Lookup interval is too big." otherwise);
  `endTime < startTime` answers `-1023` "Start time is greater than end time.".
- A `limit` above the maximum is clamped to the maximum; a non-numeric one answers -1100.
- Margin endpoints with an isolated-symbol parameter return cross-margin rows when it is absent
  ("If isolatedSymbol is not sent, crossed margin data will be returned").
- window_only endpoints return the first `limit` rows in the endpoint's order (and convert sets
  `moreData` when more rows fall in the window).
- `startTime` alone: the window is [startTime, startTime + max window) capped at now; `endTime`
  alone: [endTime - default (or max) window, endTime].
"""

from __future__ import annotations

import bisect
import itertools
import json
import math
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from binsync.binance import catalogue
from binsync.binance.catalogue import Endpoint

from .account import Account, ApiRecord
from .retention import reachable_records


class ApiError(Exception):
    def __init__(self, code: int, msg: str, status: int = 400):
        super().__init__(msg)
        self.code, self.msg, self.status = code, msg, status


def mandatory(name: str) -> ApiError:
    return ApiError(-1102, f"Mandatory parameter '{name}' was not sent, was empty/null, or malformed.")


# ---- JSON --------------------------------------------------------------------------------------
_NUM = re.compile(r'"\\u0000N([-+0-9.Ee]+)"')


def _default(o: Any) -> Any:
    if isinstance(o, Decimal):  # JSON numbers where Binance sends numbers (mining amounts)
        return "\x00N" + format(o, "f")
    raise TypeError(type(o).__name__)


def dumps(obj: Any) -> str:
    text = json.dumps(obj, separators=(",", ":"), default=_default, ensure_ascii=False)
    return _NUM.sub(r"\1", text) if "\\u0000N" in text else text


# ---- record selection --------------------------------------------------------------------------
def _raw(field: str) -> Callable[[ApiRecord], Any]:
    return lambda r: r.raw.get(field)


def _part(i: int) -> Callable[[ApiRecord], Any]:
    return lambda r: r.part[i] if len(r.part) > i else None


# endpoint -> request parameter -> accessor of the record value it must equal (as a string).
FILTERS: dict[str, dict[str, Callable[[ApiRecord], Any]]] = {
    "spot.my_trades": {"orderId": _raw("orderId")},
    "margin.my_trades": {"orderId": _raw("orderId")},
    "usdm.user_trades": {"orderId": _raw("orderId")},
    "coinm.user_trades": {"orderId": _raw("orderId")},
    "wallet.deposits": {"coin": _raw("coin"), "status": _raw("status"), "txId": _raw("txId")},
    "wallet.withdrawals": {
        "coin": _raw("coin"),
        "status": _raw("status"),
        "withdrawOrderId": _raw("withdrawOrderId"),
    },
    "wallet.universal_transfer": {
        "type": _part(0),
        "fromSymbol": _raw("fromSymbol"),
        "toSymbol": _raw("toSymbol"),
    },
    "wallet.dividends": {"asset": _raw("asset")},
    "fiat.orders": {"transactionType": _part(0)},
    "fiat.payments": {"transactionType": _part(0)},
    "p2p.orders": {"tradeType": _part(0)},
    "margin.borrow_repay": {"type": _part(0), "asset": _raw("asset"), "txId": _raw("txId")},
    "margin.interest": {"asset": _raw("asset")},
    "margin.transfers": {"asset": _raw("asset"), "type": _raw("type")},
    "margin.capital_flow": {"asset": _raw("asset"), "symbol": _raw("symbol"), "type": _raw("type")},
    "usdm.income": {"incomeType": _raw("incomeType"), "symbol": _raw("symbol")},
    "coinm.income": {"incomeType": _raw("incomeType"), "symbol": _raw("symbol")},
    "options.user_trades": {"symbol": _raw("symbol")},
    "options.bill": {"currency": _raw("asset")},
    "options.exercise": {"symbol": _raw("symbol")},
    "loans.income": {"type": _raw("type"), "asset": _raw("asset")},
    # issue 14 products
    "staking.sol_boost_rewards": {"type": _part(0)},
    "mining.cloud_mining": {"asset": _raw("asset"), "tranId": _raw("tranId")},
    "margin.small_liability": {"asset": _raw("asset")},
    "loans.flexible_borrow": {"loanCoin": _raw("loanCoin"), "collateralCoin": _raw("collateralCoin")},
    "loans.flexible_repay": {"loanCoin": _raw("loanCoin"), "collateralCoin": _raw("collateralCoin")},
    "loans.flexible_ltv": {"loanCoin": _raw("loanCoin"), "collateralCoin": _raw("collateralCoin")},
    "loans.flexible_liquidation": {"loanCoin": _raw("loanCoin"), "collateralCoin": _raw("collateralCoin")},
    "loans.stable_borrow": {"orderId": _raw("orderId"), "loanCoin": _raw("loanCoin")},
    "loans.stable_repay": {"orderId": _raw("orderId"), "loanCoin": _raw("loanCoin")},
    "loans.stable_ltv": {"orderId": _raw("orderId"), "loanCoin": _raw("loanCoin")},
    "loans.vip_repay": {"orderId": _raw("orderId"), "loanCoin": _raw("loanCoin")},
    "loans.vip_accrued_interest": {"orderId": _raw("orderId"), "loanCoin": _raw("loanCoin")},
    "onchain.subscriptions": {"asset": _raw("asset"), "purchaseId": _raw("purchaseId")},
    "onchain.redemptions": {"asset": _raw("asset"), "redeemId": _raw("redeemId")},
    "onchain.rewards": {"asset": _raw("asset"), "positionId": _raw("positionId")},
    "soft_staking.rewards": {"asset": _raw("asset")},
    "dual_investment.positions": {"status": _raw("purchaseStatus")},
    "mining.payments": {"coin": _raw("coinName")},
    "mining.other": {"coin": _raw("coinName")},
    "mining.account_earnings": {"coin": _raw("coinName")},
    "auto_invest.history": {"targetAsset": _raw("targetAsset")},
    "earn.flexible_subscriptions": {"asset": _raw("asset"), "purchaseId": _raw("purchaseId")},
    "earn.flexible_redemptions": {"asset": _raw("asset"), "redeemId": _raw("redeemId")},
    "earn.flexible_rewards": {"asset": _raw("asset")},
    "earn.locked_subscriptions": {"asset": _raw("asset"), "purchaseId": _raw("purchaseId")},
    "earn.locked_redemptions": {"asset": _raw("asset"), "redeemId": _raw("redeemId")},
    "earn.locked_rewards": {"asset": _raw("asset"), "positionId": _raw("positionId")},
    "sub_account.spot_transfers": {"fromEmail": _raw("from"), "toEmail": _raw("to")},
    "sub_account.universal_transfers": {"fromEmail": _raw("fromEmail"), "toEmail": _raw("toEmail"),
                                        "clientTranId": _raw("clientTranId")},
}
# Sub-account endpoints of a master account (spec §5.13); another account's key is refused with
# the answer Binance gives (catalogue sub_account.list).
NOT_MASTER = (-8012, "Sub-account function is not enabled.")
SUB_SENDER = {"sub_account.spot_transfers": "from", "sub_account.universal_transfers": "fromEmail"}
SUB_FUTURES = "sub_account.futures_transfers"  # email and futuresType required (catalogue)


def _isolated_of(rec: ApiRecord) -> str | None:
    raw = rec.raw
    if rec.endpoint == "margin.liquidations":
        return raw.get("symbol") if raw.get("isIsolated") else None
    if rec.endpoint == "margin.capital_flow":  # `symbol` is set on cross rows too: the partition says
        return rec.part[0] if rec.part else None
    return raw.get("isolatedSymbol") or raw.get("toSymbol") or raw.get("fromSymbol")


class Store:
    """The reachable records of one endpoint, sorted by (time, cursor)."""

    def __init__(self, account: Account, name: str):
        self.records = sorted(
            reachable_records(account, name, account.now_ms), key=lambda r: (r.time_ms, r.cursor)
        )
        self.by_part: dict[Any, list[ApiRecord]] = {}
        for r in self.records:
            self.by_part.setdefault(r.part[:1] if r.part else (), []).append(r)
        self._json: dict[int, str] = {}

    def json_of(self, rec: ApiRecord) -> str:
        s = self._json.get(id(rec))
        if s is None:
            s = dumps(rec.raw)
            self._json[id(rec)] = s
        return s


def _int(params: dict[str, str], name: str | None) -> int | None:
    if not name or name not in params or params[name] == "":
        return None
    try:
        return int(float(params[name])) if "." in params[name] else int(params[name])
    except ValueError:
        raise ApiError(
            -1100, f"Illegal characters found in parameter '{name}'; legal range is '^[0-9]{{1,20}}$'."
        ) from None


class HistoryEngine:
    def __init__(self, account: Account, spot_symbols: set[str], futures_symbols: dict[str, set[str]]):
        self.account = account
        self.stores: dict[str, Store] = {}
        self.spot_symbols = spot_symbols  # listed + BREAK (REMOVED ones answer -1121)
        self.futures_symbols = futures_symbols  # family -> symbols

    def store(self, name: str) -> Store:
        st = self.stores.get(name)
        if st is None:
            st = self.stores[name] = Store(self.account, name)
        return st

    def weight(self, ep: Endpoint, params: dict[str, str]) -> int:
        extra = ep.extra or {}
        if "orderId" in params and "weight_with_orderId" in extra:
            return int(extra["weight_with_orderId"])  # type: ignore[call-overload]
        if ep.family == "dapi" and "weight_with_symbol" in extra:
            key = "weight_with_pair" if "pair" in params and "symbol" not in params else "weight_with_symbol"
            return int(extra[key])  # type: ignore[call-overload]
        return ep.weight

    def query(self, ep: Endpoint, params: dict[str, str], now_ms: int) -> str:
        name = ep.name
        for p in ep.required_params:
            if not params.get(p):
                raise mandatory(p)
        if name in ("mining.payments", "mining.other") and params.get("userName") != self.account.mining_user:
            return dumps({"code": -1, "msg": "Mining account does not exist", "data": None})
        if "algo" in ep.required_params and params.get("algo") != "sha256":
            return dumps({"code": -1, "msg": "Invalid algorithm", "data": None})
        if name == "wallet.universal_transfer":  # spec §5.3.3: isolated types name their pairs
            needs = {"ISOLATEDMARGIN_MARGIN": ("fromSymbol",), "MARGIN_ISOLATEDMARGIN": ("toSymbol",),
                     "ISOLATEDMARGIN_ISOLATEDMARGIN": ("fromSymbol", "toSymbol")}
            for p in needs.get(params.get("type", ""), ()):
                if not params.get(p):
                    raise mandatory(p)
        if (name in SUB_SENDER or name == SUB_FUTURES) and not self.account.sub_accounts:
            raise ApiError(*NOT_MASTER)
        st = self.store(name)
        recs = st.records
        if name == SUB_FUTURES:  # the transfers of one sub-account, either direction, in one family
            if params["futuresType"] not in ("1", "2"):
                raise ApiError(-1102, "Mandatory parameter 'futuresType' was not sent, was empty/null, "
                                      "or malformed.")
            email = params["email"]
            recs = [r for r in st.by_part.get((params["futuresType"],), [])
                    if email in (r.raw["from"], r.raw["to"])]
        if name in SUB_SENDER and not params.get("fromEmail") and not params.get("toEmail"):
            # "records with fromEmail equal to the master account are returned by default"
            recs = [r for r in recs if r.raw[SUB_SENDER[name]] == self.account.master_email]
        # ---- partition / symbol selection
        symbol = params.get(ep.symbol_param) if ep.symbol_param else None
        if ep.requires_symbol and not symbol:
            if name == "coinm.user_trades" and params.get("pair"):
                pair = params["pair"] + "_"
                recs = [r for r in recs if r.raw["symbol"].startswith(pair)]
            else:
                raise mandatory(ep.symbol_param or "symbol")
        if symbol and ep.requires_symbol:
            if ep.family == "api" or name == "margin.my_trades":
                if symbol not in self.spot_symbols:
                    raise ApiError(-1121, "Invalid symbol.")
            elif symbol not in self.futures_symbols.get(ep.family, set()):
                raise ApiError(-1121, "Invalid symbol.")
            recs = st.by_part.get((symbol,), [])
        if name == "margin.my_trades":
            iso = params.get("isIsolated", "FALSE").upper() == "TRUE"
            recs = [r for r in recs if r.part[1] is iso]
        if ep.isolated_symbol_param:
            iso_sym = params.get(ep.isolated_symbol_param)
            recs = [r for r in recs if _isolated_of(r) == (iso_sym or None)]
        if name == "wallet.dust":
            wanted = params.get("accountType", "SPOT")
            recs = [r for r in recs if r.part[0] == wanted]
        if name == "earn.flexible_rewards" and params.get("type", "ALL") != "ALL":
            recs = [r for r in recs if r.part[0] == params["type"]]
        for param, get in FILTERS.get(name, {}).items():
            if params.get(param):
                v = params[param]
                recs = [r for r in recs if str(get(r)) == v]
        # ---- times
        s_name, e_name = ep.start_param, ep.end_param
        start, end = _int(params, s_name), _int(params, e_name)
        cursor = (
            _int(params, ep.cursor_param)
            if ep.pagination in ("from_id", "from_id_exclusive", "record_id")
            else None
        )
        if ep.times_required and (start is None or end is None):
            raise mandatory(s_name if start is None else e_name)  # type: ignore[arg-type]
        if cursor is not None and not ep.from_id_with_time and (start is not None or end is not None):
            raise ApiError(-1128, "Combination of optional parameters invalid.")
        max_w = ep.max_window_ms
        if name == "margin.borrow_repay" and params.get("asset"):
            max_w = int(ep.extra.get("max_window_ms_with_asset", max_w))  # type: ignore[call-overload]
        if start is not None and end is not None:
            if end < start:
                raise ApiError(-1023, "Start time is greater than end time.")
            if max_w and end - start >= max_w:
                if max_w == catalogue.DAY_MS:
                    raise ApiError(-1127, "More than 24 hours between startTime and endTime.")
                raise ApiError(-1127, "Lookup interval is too big.")
        explicit_start = start is not None
        if start is None and end is None:
            if ep.default_window_ms and cursor is None:
                start, end = now_ms - ep.default_window_ms, now_ms
        elif end is None:
            end = min(now_ms, start + max_w - 1) if max_w else now_ms  # type: ignore[operator]
        elif start is None:
            w = ep.default_window_ms or max_w
            start = end - w if w else 0
        if start is not None or end is not None:
            lo = start if start is not None else -1
            hi = end if end is not None else 1 << 62
            if recs is st.records or len(recs) > 64:
                times = [r.time_ms for r in recs]
                recs = recs[bisect.bisect_left(times, lo) : bisect.bisect_right(times, hi)]
            else:
                recs = [r for r in recs if lo <= r.time_ms <= hi]
        # ---- page size
        limit = None
        if ep.limit_param:
            limit = _int(params, ep.limit_param)
            if limit is None:
                limit = ep.default_page_size or ep.page_size
            if ep.max_page_size:
                limit = min(limit, ep.max_page_size)  # type: ignore[type-var]
            limit = max(1, limit)  # type: ignore[type-var]
        # ---- pagination
        kind = ep.pagination
        total = None
        more = False
        page_no = 1
        if kind in ("from_id", "from_id_exclusive", "record_id"):
            if cursor is not None:
                if kind == "from_id_exclusive":
                    recs = [r for r in recs if r.cursor > cursor]
                else:
                    cursors = [r.cursor for r in recs]
                    sorted_ok = all(a <= b for a, b in itertools.pairwise(cursors))
                    recs = (
                        recs[bisect.bisect_left(cursors, cursor) :]
                        if sorted_ok
                        else [r for r in recs if r.cursor >= cursor]
                    )
                recs = recs[:limit]
            elif explicit_start:
                recs = recs[:limit]
            else:
                recs = recs[-limit:] if limit else recs
        elif kind in ("offset", "current_size", "page"):
            if ep.order == "desc":
                recs = recs[::-1]
            total = len(recs)
            if kind == "offset":
                off = _int(params, ep.cursor_param) or 0
                recs = recs[off : off + limit] if limit else recs[off:]
            else:
                page_no = max(1, _int(params, ep.cursor_param) or 1)
                size = limit or ep.default_page_size or 100
                recs = recs[(page_no - 1) * size : page_no * size]
        elif kind == "window_only":
            if ep.order == "desc":
                recs = recs[::-1]
            total = len(recs)
            if limit:
                more = len(recs) > limit
                recs = recs[:limit]
        else:
            total = len(recs)
        return self.render(ep, st, recs, total, more, page_no, limit, start, end, params)

    # ---- response shapes -------------------------------------------------------------------
    def render(
        self,
        ep: Endpoint,
        st: Store,
        recs: list[ApiRecord],
        total: int | None,
        more: bool,
        page_no: int,
        limit: int | None,
        start: int | None,
        end: int | None,
        params: dict[str, str] | None = None,
    ) -> str:
        rows = "[" + ",".join(st.json_of(r) for r in recs) + "]"
        name = ep.name
        n_total = total if total is not None else len(recs)
        if name in ("fiat.orders", "fiat.payments", "p2p.orders"):
            body: Any = {
                "code": "000000",
                "message": "success",
                "data": "\x00ROWS",
                "total": n_total,
                "success": True,
            }
        elif name == "pay.transactions":
            body = {"code": "000000", "message": "success", "data": "\x00ROWS", "success": True}
        elif name == "convert.trade_flow":
            body = {"list": "\x00ROWS", "startTime": start, "endTime": end, "limit": limit, "moreData": more}
        elif name == "wallet.dust":
            body = {"total": n_total, "userAssetDribblets": "\x00ROWS"}
        elif name in ("mining.payments", "mining.other", "mining.account_earnings"):
            key = "otherProfits" if name == "mining.other" else "accountProfits"
            body = {
                "code": 0,
                "msg": "",
                "data": {key: "\x00ROWS", "totalNum": n_total, "pageSize": limit},
            }
        elif name == "rebates.tax_query":
            size = ep.default_page_size or 200
            body = {
                "status": "OK",
                "type": "GENERAL",
                "code": "000000000",
                "data": {
                    "page": page_no,
                    "totalRecords": n_total,
                    "totalPageNum": max(1, math.ceil(n_total / size)),
                    "data": "\x00ROWS",
                },
            }
        elif name in ("staking.wbeth_rewards", "staking.bnsol_rewards"):
            unit = "ETH" if name.startswith("staking.wbeth") else "SOL"
            est = sum((Decimal(r.raw[f"amountIn{unit}"]) for r in recs), Decimal(0))
            body = {f"estRewardsIn{unit}": f"{est:.8f}", "rows": "\x00ROWS", "total": n_total}
        elif name == "dual_investment.positions":
            body = {"total": n_total, "list": "\x00ROWS"}
        elif name == "sub_account.universal_transfers":
            body = {"result": "\x00ROWS", "totalCount": n_total}
        elif name == SUB_FUTURES:  # documented example: no total, the request's futuresType echoed
            body = {"success": True, "futuresType": int((params or {}).get("futuresType", 1)),
                    "transfers": "\x00ROWS"}
        elif ep.rows_path == ("rows",):
            body = {"rows": "\x00ROWS", "total": n_total}
        else:
            return rows
        return dumps(body).replace('"\\u0000ROWS"', rows, 1)
