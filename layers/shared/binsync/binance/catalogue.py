"""The endpoint catalogue (DESIGN.md §2): every Binance endpoint binsync reads, as data.

The client, the planner, the emulator and the benchmark's lower bound all read this one table.
Source of every number: shared/spec/binance-api.md. Where the spec records a disagreement (§8),
the entry's `choice` says what was chosen and why; where the spec marks a value unknown (❓), the
value here is our choice and `choice` says so.

Conventions every reader relies on:

- Windows. The server accepts `endTime - startTime < max_window_ms`; clients send inclusive
  `startTime` and `endTime = startTime + max_window_ms - 1` (spec §7.3), so consecutive windows
  never overlap and never leave a gap. `max_window_ms=None` means no documented limit.
- `default_window_ms`: what the server returns when both times are omitted, `[now - w, now]`.
  None means "most recent `limit` rows" or "everything" (see notes).
- `retention_ms`: the server never returns rows older than `now - retention_ms`; clients clamp
  their start there (an out-of-horizon `startTime` may be rejected). Months are 30 days
  ("6 months" = 180 days): we never ask beyond the horizon; weekly resyncs cover the edge.
- Rate limits scale: an emulator that compresses time reports a shorter REQUEST_WEIGHT interval
  in exchangeInfo, and the client divides every `RateBucket.interval_s` by the same factor.
- Page sizes: `page_size` is what we request; `max_page_size` what the server accepts;
  `default_page_size` what the server uses when the limit parameter is omitted.

SCHEMA OWNER NOTE: the `Endpoint` fields below are the contract between client, planner,
emulator and benchmark. Add fields if needed; do not rename existing ones without updating every
reader.
"""

# ruff: noqa: E501  (a data table: one entry per endpoint reads better than wrapped lines)
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

MINUTE_MS = 60_000
HOUR_MS = 60 * MINUTE_MS
DAY_MS = 24 * HOUR_MS
SETTLE_MS = 30 * DAY_MS  # how long a deposit, withdrawal or fiat/P2P order may stay pending
MONTH_MS = 30 * DAY_MS  # "N months" in the spec = N * 30 days (see module docstring)

# Walking floor when nothing better is known: Binance opened in July 2017 (spec §7.3).
BINANCE_LAUNCH_MS = 1_498_867_200_000  # 2017-07-01T00:00:00Z
# No futures history can be older than the products (exports start there, not at BINANCE_LAUNCH).
USDM_LAUNCH_MS = 1_567_296_000_000   # 2019-09-01T00:00:00Z (USDⓈ-M BTCUSDT perpetual: 2019-09)
COINM_LAUNCH_MS = 1_596_240_000_000  # 2020-08-01T00:00:00Z (COIN-M: 2020-08)

# Base URL families (spec §0): /api and /sapi live on api.binance.com, the others on their own hosts.
Family = Literal["api", "sapi", "fapi", "dapi", "eapi"]

BASE_URLS: dict[str, str] = {
    "api": "https://api.binance.com",
    "sapi": "https://api.binance.com",
    "fapi": "https://fapi.binance.com",
    "dapi": "https://dapi.binance.com",
    "eapi": "https://eapi.binance.com",
}

# Spec §7.2, the five kinds of pagination (plus "none" for single-shot endpoints).
Pagination = Literal[
    "from_id",            # cursor, inclusive (>=): next fromId = last id + 1
    "from_id_exclusive",  # cursor, exclusive (>): next fromId = last id (margin capital-flow)
    "record_id",          # eapi bill: "the recordId and subsequent data"
    "offset",             # offset + limit inside a window (deposits, withdrawals)
    "current_size",       # 1-based page `current` + `size`, response carries `total`
    "page",               # `page` + `rows`/`limit` (fiat, c2c, fapi/dapi income, rebate, mining)
    "window_only",        # time window + limit only: bisect the window when a page comes back full
    "none",               # single response (account, apiRestrictions, exchangeInfo)
    "export",             # asynchronous export: request a download id, poll its link, download a file
]

Bucket = Literal["ip", "uid"]
TimeFormat = Literal["ms", "datetime_utc", "s_or_ms"]


@dataclass(frozen=True)
class RateBucket:
    """A rate-limit bucket an endpoint draws on.

    `scope` is "shared" when every endpoint of the family shares one counter per IP (/api:
    6000 per minute; /fapi: 2400) and "endpoint" when each endpoint has its own counter
    (/sapi: 12000 per IP per endpoint, 180000 per UID per endpoint).
    `header` is the nominal (unscaled) header; with a time-compressed emulator the suffix changes
    (e.g. X-MBX-USED-WEIGHT-1S), so readers match on the prefix (`header_prefix`).
    """

    kind: Bucket
    limit: int
    interval_s: int = 60
    scope: Literal["shared", "endpoint"] = "shared"
    header: str = "X-MBX-USED-WEIGHT-1M"

    @property
    def header_prefix(self) -> str:
        return self.header.rsplit("-", 1)[0] + "-"


@dataclass(frozen=True)
class BalanceShape:
    """How a wallet-balance endpoint reports one binsync wallet (issue 15, reconciliation).

    Rows are found at the endpoint's `rows_path`; each row (or each of its `nested` sub-objects,
    e.g. an isolated pair's `baseAsset` and `quoteAsset`) names an asset in `asset_field`, and its
    balance is the sum of `amount_fields`. `part_field` names the row field that splits a wallet
    into parts reported separately (the isolated pair's `symbol`). `paged`: the rows come in
    `current`/`size` pages with a `total` (Simple Earn positions).
    """

    wallet: str                            # a binsync wallet (model.WALLETS)
    asset_field: str = "asset"
    amount_fields: tuple[str, ...] = ("free", "locked")
    nested: tuple[str, ...] = ()
    part_field: str | None = None
    paged: bool = False
    params: tuple[tuple[str, str], ...] = ()  # fixed request parameters


@dataclass(frozen=True)
class Endpoint:
    name: str                      # stable id, e.g. "spot.my_trades"; used in task ids
    product: str                   # spot, wallet, fiat, convert, dust, dividends, margin, usdm, ...
    family: Family
    path: str                      # e.g. "/api/v3/myTrades"
    weight: int
    bucket: RateBucket
    # What the key needs besides enableReading: "read" (nothing more) or "futures" (enableFutures,
    # spec §5.6). Margin and options history need reading only (spec §5.5, §5.8: enableMargin and
    # enableVanillaOptions are trading permissions); the planner gates them by the account/info
    # product flags instead.
    permission: str = "read"
    signed: bool = True
    pagination: Pagination = "none"
    page_size: int | None = None   # the maximum page size we request
    max_window_ms: int | None = None       # server accepts endTime - startTime < this
    default_window_ms: int | None = None   # what the server uses when times are omitted
    retention_ms: int | None = None        # how far back the server can ever return data
    retention_records: int | None = None   # e.g. dust: "only return last 100 records"
    earliest_ms: int | None = None         # e.g. dust after 2020-12-01, rebates after 2020-06-10
    # Records change status for up to this long after their time (a deposit waiting for
    # confirmations, a withdrawal under review, a fiat order processing) and only the final status
    # is an event: every sync re-reads at least this far back, so a record still pending at the
    # last sync is read again once it completes (the incremental 2-day overlap alone would miss it).
    settle_ms: int | None = None
    requires_symbol: bool = False
    start_param: str | None = "startTime"  # some endpoints say beginTime / startTimestamp
    end_param: str | None = "endTime"
    variants: tuple[dict[str, str], ...] = ()  # fixed parameter sets, one task each
    rows_path: tuple[str, ...] = ()        # where the list lives in the response, () = top level
    id_fields: tuple[str, ...] = ()        # the record's unique key (spec "Unique key")
    time_field: str | None = None          # the record's event time field
    history: bool = True                   # False for account-state endpoints
    normaliser: str | None = None          # name of the normaliser that turns rows into transactions
    choice: str = ""                       # where spec §8 disagrees: what we chose and why
    notes: str = ""
    extra: dict[str, object] = field(default_factory=dict)
    # --- added by the catalogue owner (issue 3) ---
    planned: bool = True                   # synced by default (False: detail-only/optional/needs input)
    symbol_param: str | None = None        # the parameter that carries the symbol ("symbol")
    symbol_scope: str | None = None        # which symbol list feeds it: spot, margin_cross, usdm, ...
    isolated_symbol_param: str | None = None  # margin: also one task per isolated pair with this param
    limit_param: str | None = "limit"      # page-size parameter name (limit, size, rows, pageSize)
    cursor_param: str | None = None        # fromId, recordId, offset, current, page, pageIndex
    cursor_field: str | None = None        # row field feeding an id cursor ("id")
    from_id_with_time: bool = False        # may the id cursor be sent together with start/end times
    # An id chain whose records never change once listed (fills): an incremental walk may start
    # past the highest id the last finished walk read. Not orders (allOrders: an open order fills
    # later under the same id) nor anything with a status.
    chain_resumable: bool = False
    times_required: bool = False           # the server rejects a request without both times
    required_params: tuple[str, ...] = ()  # parameters the server requires (besides symbol/times)
    total_path: tuple[str, ...] = ()       # where the total row count lives (current_size/page)
    page_count_path: tuple[str, ...] = ()  # where the total page count lives (rebate)
    more_path: tuple[str, ...] = ()        # boolean "more data" flag (convert tradeFlow)
    default_page_size: int | None = None   # server default when the limit parameter is omitted
    max_page_size: int | None = None       # server maximum for the limit parameter
    order: Literal["asc", "desc"] = "asc"  # order of rows in a response
    time_format: TimeFormat = "ms"         # how `time_field` is encoded
    # --- added for issue 14 ---
    # Whether Binance documents the maximum page size (`max_page_size`). Only then does a page
    # shorter than `page_size` prove the walk is over; otherwise a server capping pages below
    # what we ask would end the walk early, so the walk asks once more (an empty page ends it).
    page_size_documented: bool = True
    # --- added for wallet reconciliation (issue 15) ---
    http_method: Literal["GET", "POST"] = "GET"  # get-funding-asset is a POST query
    balance: BalanceShape | None = None    # set on the endpoints that report a wallet's balances


# --- buckets (spec §3) ------------------------------------------------------------------------
API_IP = RateBucket("ip", 6000, 60, "shared", "X-MBX-USED-WEIGHT-1M")
SAPI_IP = RateBucket("ip", 12000, 60, "endpoint", "X-SAPI-USED-IP-WEIGHT-1M")
SAPI_UID = RateBucket("uid", 180000, 60, "endpoint", "X-SAPI-USED-UID-WEIGHT-1M")
# withdraw/history: "per second UID rate limit ... 180000/second", weight 18000 => 10 requests/s.
SAPI_UID_1S = RateBucket("uid", 180000, 1, "endpoint", "X-SAPI-USED-UID-WEIGHT-1S")
FAPI_IP = RateBucket("ip", 2400, 60, "shared", "X-MBX-USED-WEIGHT-1M")
DAPI_IP = RateBucket("ip", 2400, 60, "shared", "X-MBX-USED-WEIGHT-1M")
# Spec is silent on /eapi limits. Choice: 400 per minute per IP (conservative; options sync is a
# handful of requests, so a low budget costs nothing).
EAPI_IP = RateBucket("ip", 400, 60, "shared", "X-MBX-USED-WEIGHT-1M")

BUCKETS: dict[str, RateBucket] = {
    "api": API_IP, "sapi_ip": SAPI_IP, "sapi_uid": SAPI_UID, "sapi_uid_1s": SAPI_UID_1S,
    "fapi": FAPI_IP, "dapi": DAPI_IP, "eapi": EAPI_IP,
}

UNIVERSAL_TRANSFER_TYPES = (
    "MAIN_UMFUTURE", "MAIN_CMFUTURE", "MAIN_MARGIN", "UMFUTURE_MAIN", "UMFUTURE_MARGIN", "CMFUTURE_MAIN",
    "CMFUTURE_MARGIN", "MARGIN_MAIN", "MARGIN_UMFUTURE", "MARGIN_CMFUTURE", "ISOLATEDMARGIN_MARGIN",
    "MARGIN_ISOLATEDMARGIN", "ISOLATEDMARGIN_ISOLATEDMARGIN", "MAIN_FUNDING", "FUNDING_MAIN",
    "FUNDING_UMFUTURE", "UMFUTURE_FUNDING", "MARGIN_FUNDING", "FUNDING_MARGIN", "FUNDING_CMFUTURE",
    "CMFUTURE_FUNDING", "MAIN_OPTION", "OPTION_MAIN", "UMFUTURE_OPTION", "OPTION_UMFUTURE", "MARGIN_OPTION",
    "OPTION_MARGIN", "FUNDING_OPTION", "OPTION_FUNDING", "MAIN_PORTFOLIO_MARGIN", "PORTFOLIO_MARGIN_MAIN",
)

_EARN_COMMON = dict(
    product="earn", family="sapi", weight=150, bucket=SAPI_IP, pagination="current_size", page_size=100,
    default_page_size=10, max_page_size=100, limit_param="size", cursor_param="current",
    max_window_ms=30 * DAY_MS, default_window_ms=30 * DAY_MS, rows_path=("rows",), total_path=("total",),
    time_field="time",
    choice="§8 #7: official pages say ≤3 months, SDK 2026 says ≤30 days: use 30-day windows (accepted by both).",
)
_STAKING_COMMON = dict(
    product="staking", family="sapi", weight=150, bucket=SAPI_IP, pagination="current_size", page_size=100,
    default_page_size=10, max_page_size=100, limit_param="size", cursor_param="current",
    max_window_ms=3 * MONTH_MS, default_window_ms=30 * DAY_MS, rows_path=("rows",), total_path=("total",),
    time_field="time",
    notes="\"cannot be longer than 3 months\" = 90 days here; default last 30 days (spec §5.9.3-§5.9.4).",
)


def _ep(**kw: object) -> Endpoint:
    if kw.get("history", True) and "normaliser" not in kw:
        kw["normaliser"] = kw["name"]
    if kw.get("planned", True) is False:
        # Mirrored into `extra` for readers written against the first schema (extra["planned"]).
        kw["extra"] = {**dict(kw.get("extra") or {}), "planned": False}  # type: ignore[call-overload]
    return Endpoint(**kw)  # type: ignore[arg-type]


_ALL: list[Endpoint] = [
    # ---------------- reference data, account and key metadata (spec §5.1) --------------------
    _ep(name="system.time", product="system", family="api", path="/api/v3/time", weight=1, bucket=API_IP,
        signed=False, history=False, start_param=None, end_param=None, limit_param=None,
        notes="{\"serverTime\": ms}; clock offset (spec §2.2)."),
    _ep(name="spot.exchange_info", product="spot", family="api", path="/api/v3/exchangeInfo", weight=20,
        bucket=API_IP, signed=False, history=False, start_param=None, end_param=None, limit_param=None,
        rows_path=("symbols",), id_fields=("symbol",),
        notes="Send permissions=[all incl. TRD_GRP_*] and, separately, symbolStatus=BREAK (spec §5.1.1, §7.4). "
              "rateLimits[REQUEST_WEIGHT] gives the bucket interval (time scale) and limit."),
    _ep(name="usdm.exchange_info", product="usdm", family="fapi", path="/fapi/v1/exchangeInfo", weight=1,
        bucket=FAPI_IP, signed=False, history=False, start_param=None, end_param=None, limit_param=None,
        rows_path=("symbols",), id_fields=("symbol",),
        choice="Weight not in the spec; 1 chosen (Binance documents 1 for fapi exchangeInfo)."),
    _ep(name="coinm.exchange_info", product="coinm", family="dapi", path="/dapi/v1/exchangeInfo", weight=1,
        bucket=DAPI_IP, signed=False, history=False, start_param=None, end_param=None, limit_param=None,
        rows_path=("symbols",), id_fields=("symbol",),
        choice="Weight not in the spec; 1 chosen."),
    _ep(name="options.exchange_info", product="options", family="eapi", path="/eapi/v1/exchangeInfo", weight=1,
        bucket=EAPI_IP, signed=False, history=False, start_param=None, end_param=None, limit_param=None,
        rows_path=("optionSymbols",), id_fields=("symbol",), planned=False,
        choice="Weight and shape not in the spec; 1 chosen, rows under optionSymbols."),
    _ep(name="account.spot", product="spot", family="api", path="/api/v3/account", weight=20, bucket=API_IP,
        history=False, start_param=None, end_param=None, limit_param=None, rows_path=("balances",),
        id_fields=("asset",), balance=BalanceShape("spot", params=(("omitZeroBalances", "true"),)),
        notes="Spot balances, uid, permissions; params omitZeroBalances (spec §5.1.2)."),
    _ep(name="account.api_restrictions", product="account", family="sapi", path="/sapi/v1/account/apiRestrictions",
        weight=1, bucket=SAPI_IP, history=False, start_param=None, end_param=None, limit_param=None,
        choice="§8 #22: tradingAuthorityExpirationTime is optional."),
    _ep(name="account.info", product="account", family="sapi", path="/sapi/v1/account/info", weight=1,
        bucket=SAPI_IP, history=False, start_param=None, end_param=None, limit_param=None,
        notes="isMarginEnabled/isFutureEnabled/isOptionsEnabled gate products (spec §7.4)."),
    _ep(name="account.snapshot", product="account", family="sapi", path="/sapi/v1/accountSnapshot", weight=2400,
        bucket=SAPI_IP, history=False, planned=False, max_window_ms=30 * DAY_MS, default_window_ms=7 * DAY_MS,
        retention_ms=MONTH_MS, page_size=30, default_page_size=7, max_page_size=30, required_params=("type",),
        variants=({"type": "SPOT"}, {"type": "MARGIN"}, {"type": "FUTURES"}), rows_path=("snapshotVos",),
        time_field="updateTime", notes="Reconciliation aid only (spec §5.1.5)."),
    _ep(name="margin.account", product="margin", family="sapi", path="/sapi/v1/margin/account", weight=10,
        bucket=SAPI_IP, permission="read", history=False, planned=False, start_param=None, end_param=None,
        limit_param=None, rows_path=("userAssets",), id_fields=("asset",),
        balance=BalanceShape("margin_cross"),
        notes="Balances (spec §5.5.8): free + locked is what the wallet holds (borrowed included; the "
              "liability is `borrowed` + `interest`, netAsset = holdings - liability)."),
    _ep(name="margin.isolated_account", product="margin", family="sapi", path="/sapi/v1/margin/isolated/account",
        weight=10, bucket=SAPI_IP, permission="read", history=False, start_param=None, end_param=None,
        limit_param=None, rows_path=("assets",), id_fields=("symbol",),
        balance=BalanceShape("margin_isolated", amount_fields=("totalAsset",), nested=("baseAsset", "quoteAsset"),
                             part_field="symbol"),
        notes="Balances per pair (totalAsset = free + locked); lists isolated pairs: the symbol scope "
              "margin_isolated (spec §5.5 General, §7.4)."),
    _ep(name="margin.all_pairs", product="margin", family="sapi", path="/sapi/v1/margin/allPairs", weight=1,
        bucket=SAPI_IP, signed=False, history=False, start_param=None, end_param=None, limit_param=None,
        id_fields=("symbol",),
        notes="Every cross-margin pair (bare list of {symbol, base, quote}); with margin.account's assets "
              "ever held, the cross-margin symbol scope (sync/discovery.py, spec §7.4)."),
    _ep(name="margin.isolated_all_pairs", product="margin", family="sapi",
        path="/sapi/v1/margin/isolated/allPairs", weight=10, bucket=SAPI_IP, history=False, start_param=None,
        end_param=None, limit_param=None, id_fields=("symbol",),
        notes="Every isolated-margin pair of the exchange (spec §5.5 General)."),
    _ep(name="coinm.account", product="coinm", family="dapi", path="/dapi/v1/account", weight=5, bucket=DAPI_IP,
        permission="futures", history=False, start_param=None, end_param=None, limit_param=None,
        rows_path=("assets",), id_fields=("asset",),
        choice="Weight not in the spec; 5 chosen (as /fapi/v3/account).",
        notes="COIN-M balances and positions: positions add symbols to the coinm scope."),
    _ep(name="usdm.account", product="usdm", family="fapi", path="/fapi/v3/account", weight=5, bucket=FAPI_IP,
        permission="futures", history=False, planned=False, start_param=None, end_param=None, limit_param=None,
        rows_path=("assets",), id_fields=("asset",), balance=BalanceShape("usdm", amount_fields=("walletBalance",)),
        notes="Balances/positions snapshot (spec §5.6.3); walletBalance excludes unrealised PnL, as the "
              "income ledger does."),
    # Wallet balances read only to reconcile (issue 15): Binance's documented shapes.
    _ep(name="wallet.funding_balances", product="wallet", family="sapi", path="/sapi/v1/asset/get-funding-asset",
        weight=1, bucket=SAPI_IP, http_method="POST", history=False, planned=False, start_param=None,
        end_param=None, limit_param=None, id_fields=("asset",),
        balance=BalanceShape("funding", amount_fields=("free", "locked", "freeze", "withdrawing")),
        notes="Funding wallet: a top-level list of {asset, free, locked, freeze, withdrawing, btcValuation}; "
              "POST although it only reads (developers.binance.com/docs/wallet/asset/funding-wallet)."),
    _ep(name="earn.flexible_positions", product="earn", family="sapi", path="/sapi/v1/simple-earn/flexible/position",
        weight=150, bucket=SAPI_IP, history=False, planned=False, start_param=None, end_param=None,
        limit_param="size", cursor_param="current", page_size=100, default_page_size=10, max_page_size=100,
        rows_path=("rows",), total_path=("total",), id_fields=("productId",),
        balance=BalanceShape("earn", amount_fields=("totalAmount",), paged=True),
        notes="Simple Earn flexible positions {rows:[{asset, totalAmount, productId, ...}], total} (spec §5.9.1)."),
    _ep(name="earn.locked_positions", product="earn", family="sapi", path="/sapi/v1/simple-earn/locked/position",
        weight=150, bucket=SAPI_IP, history=False, planned=False, start_param=None, end_param=None,
        limit_param="size", cursor_param="current", page_size=100, default_page_size=10, max_page_size=100,
        rows_path=("rows",), total_path=("total",), id_fields=("positionId",),
        balance=BalanceShape("earn", amount_fields=("amount",), paged=True),
        notes="Simple Earn locked positions {rows:[{positionId, asset, amount, ...}], total} (spec §5.9.1); "
              "flexible and locked positions together are binsync's `earn` wallet."),
    _ep(name="coinm.balance", product="coinm", family="dapi", path="/dapi/v1/balance", weight=1, bucket=DAPI_IP,
        permission="futures", history=False, planned=False, start_param=None, end_param=None, limit_param=None,
        id_fields=("asset",), balance=BalanceShape("coinm", amount_fields=("balance",)),
        notes="COIN-M wallet: a list of {accountAlias, asset, balance, crossWalletBalance, crossUnPnl, ...}; "
              "`balance` is the wallet balance without unrealised PnL."),
    _ep(name="options.margin_account", product="options", family="eapi", path="/eapi/v1/marginAccount", weight=3,
        bucket=EAPI_IP, history=False, planned=False, start_param=None, end_param=None, limit_param=None,
        rows_path=("asset",), id_fields=("asset",), balance=BalanceShape("options", amount_fields=("marginBalance",)),
        choice="Weight 3 (Option Margin Account Information); marginBalance is the wallet balance (equity "
               "adds unrealised PnL).",
        notes="{asset:[{asset, marginBalance, equity, available, locked, unrealizedPNL}], greek, time}."),
    _ep(name="loans.flexible_ongoing_orders", product="loans", family="sapi",
        path="/sapi/v2/loan/flexible/ongoing/orders", weight=300, bucket=SAPI_IP, history=False, planned=False,
        start_param=None, end_param=None, limit_param="limit", cursor_param="current", page_size=100,
        default_page_size=10, max_page_size=100, rows_path=("rows",), total_path=("total",),
        id_fields=("loanCoin", "collateralCoin"),
        balance=BalanceShape("loan", asset_field="collateralCoin", amount_fields=("collateralAmount",), paged=True),
        notes="Flexible-rate loans: {rows:[{loanCoin, totalDebt, collateralCoin, collateralAmount, currentLTV}], "
              "total}; the collateral is binsync's `loan` wallet (the debt is a liability, not a holding)."),
    _ep(name="loans.stable_ongoing_orders", product="loans", family="sapi", path="/sapi/v1/loan/ongoing/orders",
        weight=300, bucket=SAPI_IP, history=False, planned=False, start_param=None, end_param=None,
        limit_param="limit", cursor_param="current", page_size=100, default_page_size=10, max_page_size=100,
        rows_path=("rows",), total_path=("total",), id_fields=("orderId",),
        balance=BalanceShape("loan", asset_field="collateralCoin", amount_fields=("collateralAmount",), paged=True),
        notes="Stable-rate loans: {rows:[{orderId, loanCoin, totalDebt, residualInterest, collateralCoin, "
              "collateralAmount, currentLTV, expirationTime}], total}; summed with the flexible-rate collateral."),

    # ---------------- spot (spec §5.2) ---------------------------------------------------------
    _ep(name="spot.my_trades", product="spot", family="api", path="/api/v3/myTrades", weight=20, bucket=API_IP,
        pagination="from_id", page_size=1000, default_page_size=500, max_page_size=1000,
        max_window_ms=DAY_MS, requires_symbol=True, symbol_param="symbol", symbol_scope="spot",
        cursor_param="fromId", cursor_field="id", from_id_with_time=False,
        chain_resumable=True,
        id_fields=("symbol", "id"), time_field="time",
        extra={"weight_with_orderId": 5},
        notes="Full history: fromId=0 chain, next fromId = last.id + 1, until a short page (spec §5.2.1). "
              "Without times/fromId the server returns the most recent `limit` trades. fromId with "
              "startTime/endTime -> -1128. Window > 24 h -> -1127."),
    _ep(name="spot.all_orders", product="spot", family="api", path="/api/v3/allOrders", weight=20, bucket=API_IP,
        pagination="from_id", page_size=1000, default_page_size=500, max_page_size=1000, max_window_ms=DAY_MS,
        requires_symbol=True, symbol_param="symbol", symbol_scope="spot", cursor_param="orderId",
        cursor_field="orderId", planned=False, id_fields=("symbol", "orderId"), time_field="time",
        choice="orderId with startTime/endTime: not documented; we never combine them.",
        notes="Optional (fills come from myTrades); zero-fill cancels archived after 90 days (spec §5.2.2)."),

    # ---------------- wallet (spec §5.3) -------------------------------------------------------
    _ep(name="wallet.deposits", product="wallet", family="sapi", path="/sapi/v1/capital/deposit/hisrec", weight=1,
        bucket=SAPI_IP, pagination="offset", page_size=1000, default_page_size=1000, max_page_size=1000,
        cursor_param="offset", max_window_ms=90 * DAY_MS, default_window_ms=90 * DAY_MS,
        settle_ms=SETTLE_MS, id_fields=("id",), time_field="insertTime",
        choice="§8 #3: default limit 1000 (official) vs 500 (swagger): always send limit=1000. Depth ❓: walk "
               "from the account floor.",
        notes="includeSource=false; `id` is a string (spec §5.3.1)."),
    _ep(name="wallet.withdrawals", product="wallet", family="sapi", path="/sapi/v1/capital/withdraw/history",
        weight=18000, bucket=SAPI_UID_1S, pagination="offset", page_size=1000, default_page_size=1000,
        max_page_size=1000, cursor_param="offset", max_window_ms=90 * DAY_MS, default_window_ms=90 * DAY_MS,
        settle_ms=SETTLE_MS, id_fields=("id",), time_field="applyTime", time_format="datetime_utc",
        choice="§8 #4: UID 18000 on a per-second 180000 bucket (SDK/swagger), i.e. ≤10 requests/s; §8 #3 "
               "limit=1000; §8 #5 idList ≤45 (unused).",
        notes="applyTime/completeTime are 'YYYY-MM-DD HH:MM:SS' UTC strings (spec §5.3.2)."),
    _ep(name="wallet.universal_transfer", product="wallet", family="sapi", path="/sapi/v1/asset/transfer", weight=1,
        bucket=SAPI_IP, pagination="current_size", page_size=100, default_page_size=10, max_page_size=100,
        limit_param="size", cursor_param="current", max_window_ms=30 * DAY_MS, default_window_ms=7 * DAY_MS,
        retention_ms=6 * MONTH_MS, required_params=("type",),
        variants=tuple({"type": t} for t in UNIVERSAL_TRANSFER_TYPES),
        rows_path=("rows",), total_path=("total",), id_fields=("tranId",), time_field="timestamp",
        extra={"isolated_variant_params": {"ISOLATEDMARGIN_MARGIN": ("fromSymbol",),
                                           "MARGIN_ISOLATEDMARGIN": ("toSymbol",),
                                           "ISOLATEDMARGIN_ISOLATEDMARGIN": ("fromSymbol", "toSymbol")}},
        choice="Max window ❓ (not stated): 30 days chosen. Isolated types need fromSymbol/toSymbol (spec "
               "§5.3.3): one variant per isolated pair (pairs x pairs for ISOLATEDMARGIN_ISOLATEDMARGIN), "
               "from the discovered margin_isolated scope (extra.isolated_variant_params).",
        notes="One task per type (31 variants); 6-month horizon."),
    _ep(name="wallet.dust", product="dust", family="sapi", path="/sapi/v1/asset/dribblet", weight=1, bucket=SAPI_IP,
        pagination="window_only", page_size=100, default_page_size=100, max_page_size=100, limit_param=None,
        max_window_ms=365 * DAY_MS, default_window_ms=None, retention_records=100,
        earliest_ms=1_606_780_800_000, variants=({"accountType": "SPOT"}, {"accountType": "MARGIN"}),
        rows_path=("userAssetDribblets",), total_path=("total",), id_fields=("transId",), time_field="operateTime",
        choice="Window ❓ and default ❓ (spec §5.3.4): we send 365-day windows from 2020-12-01 and bisect on "
               "a full page of 100; without times the server returns the last 100 records. Whether the "
               "100 cap is per query or global is unknown: the statement covers what the API cannot.",
        notes="\"Only return last 100 records\", \"Only return records after 2020/12/01\"."),
    _ep(name="wallet.dividends", product="dividends", family="sapi", path="/sapi/v1/asset/assetDividend", weight=10,
        bucket=SAPI_IP, pagination="window_only", page_size=500, default_page_size=20, max_page_size=500,
        max_window_ms=180 * DAY_MS, default_window_ms=None, rows_path=("rows",), total_path=("total",),
        id_fields=("id",), time_field="divTime",
        choice="Default window ❓: we always send both times (180-day windows) and bisect on 500 rows.",
        notes="tranId can repeat across rows; id is the key (spec §5.3.5)."),
    _ep(name="wallet.convert_transfer", product="wallet", family="sapi",
        path="/sapi/v1/asset/convert-transfer/queryByPage", weight=5, bucket=SAPI_UID, pagination="current_size",
        page_size=100, default_page_size=10, max_page_size=100, limit_param="size", cursor_param="current",
        max_window_ms=30 * DAY_MS, times_required=True, planned=False, rows_path=("rows",), total_path=("total",),
        id_fields=("tranId",), time_field="time",
        choice="Window ❓: 30 days chosen. Not planned: absent from SDK 2026 (likely retired with BUSD) and "
               "not in docs/ledger.md; the statement carries these swaps.",
        notes="Stable-coin auto-convert (spec §5.4.6)."),

    # ---------------- fiat, convert, P2P, Pay (spec §5.4) --------------------------------------
    _ep(name="fiat.orders", product="fiat", family="sapi", path="/sapi/v1/fiat/orders", weight=90000,
        bucket=SAPI_UID, pagination="page", page_size=500, default_page_size=100, max_page_size=500,
        limit_param="rows", cursor_param="page", start_param="beginTime", end_param="endTime",
        max_window_ms=365 * DAY_MS, default_window_ms=30 * DAY_MS, required_params=("transactionType",),
        variants=({"transactionType": "0"}, {"transactionType": "1"}), rows_path=("data",),
        total_path=("total",), settle_ms=SETTLE_MS, id_fields=("orderNo",), time_field="createTime",
        choice="§8 #6: budget UID 90000 (official/swagger/ccxt) over the SDK's 45000 = 2 calls/min. Max window "
               "❓: 365 days chosen (one call per year per variant keeps the sync within minutes; at 90000 "
               "weight a 90-day window would cost ~4x the time).",
        notes="Params beginTime/endTime (spec §5.4.1)."),
    _ep(name="fiat.payments", product="fiat", family="sapi", path="/sapi/v1/fiat/payments", weight=1,
        bucket=SAPI_IP, pagination="page", page_size=500, default_page_size=100, max_page_size=500,
        limit_param="rows", cursor_param="page", start_param="beginTime", end_param="endTime",
        max_window_ms=365 * DAY_MS, default_window_ms=30 * DAY_MS, required_params=("transactionType",),
        variants=({"transactionType": "0"}, {"transactionType": "1"}), rows_path=("data",),
        total_path=("total",), settle_ms=SETTLE_MS, id_fields=("orderNo",), time_field="createTime",
        choice="Max window ❓: 365 days chosen (same rule as fiat.orders).",
        notes="Only Completed rows are events (spec §5.4.2)."),
    _ep(name="convert.trade_flow", product="convert", family="sapi", path="/sapi/v1/convert/tradeFlow", weight=3000,
        bucket=SAPI_UID, pagination="window_only", page_size=1000, default_page_size=100, max_page_size=1000,
        max_window_ms=30 * DAY_MS, times_required=True, rows_path=("list",), more_path=("moreData",),
        id_fields=("orderId",), time_field="createTime",
        choice="List order ❓: a full page or moreData=true bisects the window (no reliance on ordering).",
        notes="orderId > 2^53 (spec §5.4.3)."),
    _ep(name="p2p.orders", product="p2p", family="sapi", path="/sapi/v1/c2c/orderMatch/listUserOrderHistory",
        weight=1, bucket=SAPI_IP, pagination="page", page_size=100, default_page_size=100, max_page_size=100,
        limit_param="rows", cursor_param="page", start_param="startTimestamp", end_param="endTimestamp",
        max_window_ms=30 * DAY_MS, default_window_ms=30 * DAY_MS, retention_ms=6 * MONTH_MS,
        variants=({"tradeType": "BUY"}, {"tradeType": "SELL"}), rows_path=("data",), total_path=("total",),
        settle_ms=SETTLE_MS, id_fields=("orderNumber",), time_field="createTime",
        choice="§8 #24: tradeType required (legacy/swagger) vs optional (SDK): send BUY and SELL separately.",
        notes="Params startTimestamp/endTimestamp; 6-month horizon (spec §5.4.4)."),
    _ep(name="pay.transactions", product="pay", family="sapi", path="/sapi/v1/pay/transactions", weight=3000,
        bucket=SAPI_UID, pagination="window_only", page_size=100, default_page_size=100, max_page_size=100,
        max_window_ms=90 * DAY_MS, default_window_ms=90 * DAY_MS, retention_ms=18 * MONTH_MS,
        rows_path=("data",), id_fields=("transactionId",), time_field="transactionTime",
        notes="No page parameter: bisect at 100 rows; 18-month horizon (spec §5.4.5)."),

    # ---------------- margin (spec §5.5) -------------------------------------------------------
    _ep(name="margin.my_trades", product="margin", family="sapi", path="/sapi/v1/margin/myTrades", weight=10,
        bucket=SAPI_IP, permission="read", pagination="from_id", page_size=500, default_page_size=500,
        max_page_size=500, max_window_ms=DAY_MS, default_window_ms=DAY_MS, requires_symbol=True,
        symbol_param="symbol", symbol_scope="margin_cross", cursor_param="fromId", cursor_field="id",
        chain_resumable=True,
        variants=({"isIsolated": "FALSE"}, {"isIsolated": "TRUE"}),
        id_fields=("symbol", "isIsolated", "id"), time_field="time",
        extra={"variant_symbol_scope": {"FALSE": "margin_cross", "TRUE": "margin_isolated"}},
        choice="§8 #10: limit max 1000 (swagger) vs 500 (legacy): use 500. §8 #11: window <24 h (SDK) vs none: "
               "use the fromId chain (fromId=0), never fromId with times.",
        notes="isIsolated=FALSE over cross-margin symbols, TRUE over isolated pairs (extra.variant_symbol_scope)."),
    _ep(name="margin.borrow_repay", product="margin", family="sapi", path="/sapi/v1/margin/borrow-repay", weight=10,
        bucket=SAPI_IP, permission="read", pagination="current_size", page_size=100, default_page_size=10,
        max_page_size=100, limit_param="size", cursor_param="current", max_window_ms=7 * DAY_MS,
        default_window_ms=7 * DAY_MS, required_params=("type",), isolated_symbol_param="isolatedSymbol",
        variants=({"type": "BORROW"}, {"type": "REPAY"}), rows_path=("rows",), total_path=("total",),
        id_fields=("txId",), time_field="timestamp", order="desc",
        extra={"max_window_ms_with_asset": 30 * DAY_MS},
        choice="§8 #13: asset required (swagger) vs optional (SDK): we do not send asset (the asset list is "
               "unknown before the sync), so the documented rule is 7 days without asset: 7-day windows.",
        notes="\"txId or startTime must be sent\"; rows in descending order (spec §5.5.3)."),
    _ep(name="margin.interest", product="margin", family="sapi", path="/sapi/v1/margin/interestHistory", weight=1,
        bucket=SAPI_IP, permission="read", pagination="current_size", page_size=100, default_page_size=10,
        max_page_size=100, limit_param="size", cursor_param="current", max_window_ms=30 * DAY_MS,
        default_window_ms=7 * DAY_MS, retention_ms=90 * DAY_MS, isolated_symbol_param="isolatedSymbol",
        rows_path=("rows",), total_path=("total",), id_fields=("txId",), time_field="interestAccuredTime",
        order="desc",
        choice="§8 #12: SDK says past 90 days only; archived=true (>6 months) is gone: 90-day horizon.",
        notes="Detail of margin.borrow_repay (docs/ledger.md). txId > 2^53."),
    _ep(name="margin.liquidations", product="margin", family="sapi", path="/sapi/v1/margin/forceLiquidationRec",
        weight=1, bucket=SAPI_IP, permission="read", pagination="current_size", page_size=100,
        default_page_size=10, max_page_size=100, limit_param="size", cursor_param="current",
        max_window_ms=30 * DAY_MS, default_window_ms=None, isolated_symbol_param="isolatedSymbol",
        rows_path=("rows",), total_path=("total",), id_fields=("orderId",), time_field="updatedTime", order="desc",
        choice="Window ❓ and default ❓: 30-day windows chosen, always sending both times.",
        notes="Detail (fills are in margin.my_trades)."),
    _ep(name="margin.transfers", product="margin", family="sapi", path="/sapi/v1/margin/transfer", weight=1,
        bucket=SAPI_IP, permission="read", pagination="current_size", page_size=100, default_page_size=10,
        max_page_size=100, limit_param="size", cursor_param="current", max_window_ms=30 * DAY_MS,
        default_window_ms=7 * DAY_MS, rows_path=("rows",), total_path=("total",), id_fields=("txId",),
        time_field="timestamp", time_format="s_or_ms", order="desc",
        choice="Depth ❓ (2024 docs archived >6 months): no horizon assumed; walk from the account floor.",
        notes="Cross + isolated; official sample has 10-digit (seconds) timestamps: values < 1e12 are seconds."),
    _ep(name="margin.capital_flow", product="margin", family="sapi", path="/sapi/v1/margin/capital-flow", weight=100,
        bucket=SAPI_IP, permission="read", pagination="from_id_exclusive", page_size=1000,
        default_page_size=500, max_page_size=1000, max_window_ms=7 * DAY_MS, default_window_ms=None,
        retention_ms=90 * DAY_MS, cursor_param="fromId", cursor_field="id", from_id_with_time=True,
        isolated_symbol_param="symbol", id_fields=("id",), time_field="timestamp",
        choice="fromId with times ❓: we send fromId inside the current 7-day window (documented as id > "
               "fromId). Planned (issue 14): 13 windows x weight 100 per pass over its 90-day horizon is small "
               "next to the margin fill chains, and it cross-checks the margin ledger (sync/margin_check.py). "
               "`symbol` is \"required when querying isolated data\": one more pass per isolated pair.",
        notes="Exclusive cursor: next fromId = last.id."),

    # ---------------- USDⓈ-M futures (spec §5.6) ----------------------------------------------
    _ep(name="usdm.user_trades", product="usdm", family="fapi", path="/fapi/v1/userTrades", weight=5,
        bucket=FAPI_IP, permission="futures", pagination="from_id", page_size=1000, default_page_size=500,
        max_page_size=1000, max_window_ms=7 * DAY_MS, default_window_ms=7 * DAY_MS, retention_ms=6 * MONTH_MS,
        requires_symbol=True, symbol_param="symbol", symbol_scope="usdm", cursor_param="fromId",
        chain_resumable=True,
        cursor_field="id", id_fields=("symbol", "id"), time_field="time",
        choice="§8 #17: commission sign differs between sources; fees are booked from usdm.income COMMISSION.",
        notes="Detail of usdm.income. Symbols: from usdm.income rows + exchangeInfo (spec §7.4). "
              "fromId cannot be sent with times."),
    _ep(name="usdm.income", product="usdm", family="fapi", path="/fapi/v1/income", weight=30, bucket=FAPI_IP,
        permission="futures", pagination="page", page_size=1000, default_page_size=100, max_page_size=1000,
        cursor_param="page", max_window_ms=30 * DAY_MS, default_window_ms=7 * DAY_MS, retention_ms=3 * MONTH_MS,
        id_fields=("incomeType", "tranId"), time_field="time",
        choice="Max window ❓: 30-day windows chosen (3 windows cover the 3-month horizon at weight 30). "
               "§8 #14: older than 3 months from usdm.income_export (income/asyn; weight 1000, 5/month).",
        notes="tranId is a string or a number depending on doc version: accept both."),

    # ---------------- COIN-M futures (spec §5.7) -----------------------------------------------
    _ep(name="coinm.user_trades", product="coinm", family="dapi", path="/dapi/v1/userTrades", weight=40,
        bucket=DAPI_IP, permission="futures", pagination="from_id", page_size=1000, default_page_size=50,
        max_page_size=1000, max_window_ms=7 * DAY_MS, default_window_ms=7 * DAY_MS, requires_symbol=True,
        symbol_param="symbol", symbol_scope="coinm", cursor_param="fromId", cursor_field="id",
        chain_resumable=True,
        id_fields=("symbol", "id"), time_field="time",
        extra={"weight_with_symbol": 20, "weight_with_pair": 40},
        choice="§8 #16: 20 with symbol / 40 with pair / 5 after migration: we query by symbol but budget 40. "
               "Depth ❓: no horizon assumed.",
        notes="Detail of coinm.income. Symbols (incl. expired delivery contracts) from coinm.income rows."),
    _ep(name="coinm.income", product="coinm", family="dapi", path="/dapi/v1/income", weight=20, bucket=DAPI_IP,
        permission="futures", pagination="page", page_size=1000, default_page_size=100, max_page_size=1000,
        cursor_param="page", max_window_ms=365 * DAY_MS, default_window_ms=None,
        id_fields=("incomeType", "tranId"), time_field="time",
        choice="Default window ❓ and depth ❓: always send both times (1-year windows), no horizon assumed.",
        notes="\"can not be longer than 1 year\"."),

    # ---------------- futures asynchronous exports (spec §5.6.2, §5.7.2, §8 #14-#15) ------------
    # History past the live endpoints' horizons: request a download id (one per ≤1-year window),
    # poll the link by id, download the file, parse it into the live endpoint's rows, normalised
    # by the live endpoint's normaliser (same ids, so an overlap with the live walk is one
    # record). Planned only for the part of the sync window past the live horizon (planner.py).
    _ep(name="usdm.income_export", product="usdm", family="fapi", path="/fapi/v1/income/asyn", weight=1000,
        bucket=FAPI_IP, permission="futures", pagination="export", times_required=True, limit_param=None,
        max_window_ms=365 * DAY_MS, id_fields=("incomeType", "tranId"), time_field="time",
        normaliser="usdm.income", earliest_ms=USDM_LAUNCH_MS,
        extra={"export_of": "usdm.income", "link": "usdm.income_export_link", "monthly_quota": 5},
        choice="§8 #14: weight 5 (official crawl) vs 1000 (SDK, CCXT): budget 1000. Quota \"5 times per month, "
               "shared by front end download page and rest api\". File format ❓ (not documented, no public "
               "sample found): assumed a CSV with a header row naming the live endpoint's JSON fields; the "
               "parser is header-driven (sync/export_file.py), ignores unknown columns and names a missing "
               "required one."),
    _ep(name="usdm.income_export_link", product="usdm", family="fapi", path="/fapi/v1/income/asyn/id",
        weight=10, bucket=FAPI_IP, permission="futures", history=False, start_param=None, end_param=None,
        limit_param=None, required_params=("downloadId",), planned=False,
        notes="{downloadId, status: completed|processing, url, notified, expirationTimestamp, isExpired}; "
              "\"Download link expiration: 7 days\". Weight 10 ([CCXT])."),
    _ep(name="usdm.trades_export", product="usdm", family="fapi", path="/fapi/v1/trade/asyn", weight=1000,
        bucket=FAPI_IP, permission="futures", pagination="export", times_required=True, limit_param=None,
        max_window_ms=365 * DAY_MS, id_fields=("symbol", "id"), time_field="time",
        normaliser="usdm.user_trades", earliest_ms=USDM_LAUNCH_MS,
        extra={"export_of": "usdm.user_trades", "link": "usdm.trades_export_link", "monthly_quota": 5},
        choice="Weight 1000, 5/month, ≤1 year ([SDK]). Every symbol in one file (no symbol parameter). File "
               "format ❓: as usdm.income_export."),
    _ep(name="usdm.trades_export_link", product="usdm", family="fapi", path="/fapi/v1/trade/asyn/id",
        weight=10, bucket=FAPI_IP, permission="futures", history=False, start_param=None, end_param=None,
        limit_param=None, required_params=("downloadId",), planned=False,
        notes="As usdm.income_export_link."),
    _ep(name="coinm.income_export", product="coinm", family="dapi", path="/dapi/v1/income/asyn", weight=1000,
        bucket=DAPI_IP, permission="futures", pagination="export", times_required=True, limit_param=None,
        max_window_ms=365 * DAY_MS, id_fields=("incomeType", "tranId"), time_field="time",
        normaliser="coinm.income", earliest_ms=COINM_LAUNCH_MS,
        extra={"export_of": "coinm.income", "link": "coinm.income_export_link", "monthly_quota": 5},
        choice="§8 #15: 5/month (official crawl) vs 8/month and ≤2 calls/min (SDK 2026): budget 5, weight "
               "1000. Planned only if coinm.income gets a retention horizon: none is documented (spec "
               "§5.7.2 depth ❓), so today the live endpoint walks the whole window and no export is needed. "
               "File format ❓: as usdm.income_export."),
    _ep(name="coinm.income_export_link", product="coinm", family="dapi", path="/dapi/v1/income/asyn/id",
        weight=10, bucket=DAPI_IP, permission="futures", history=False, start_param=None, end_param=None,
        limit_param=None, required_params=("downloadId",), planned=False,
        notes="As usdm.income_export_link."),
    _ep(name="coinm.trades_export", product="coinm", family="dapi", path="/dapi/v1/trade/asyn", weight=1000,
        bucket=DAPI_IP, permission="futures", pagination="export", times_required=True, limit_param=None,
        max_window_ms=365 * DAY_MS, id_fields=("symbol", "id"), time_field="time",
        normaliser="coinm.user_trades", earliest_ms=COINM_LAUNCH_MS,
        extra={"export_of": "coinm.user_trades", "link": "coinm.trades_export_link", "monthly_quota": 5},
        choice="Not in the spec: Binance's COIN-M docs (\"Get Download Id For Futures Trade History\", GET "
               "/dapi/v1/trade/asyn): \"Request Weight 5\", \"5 times per month, shared by front end download "
               "page and rest api\", ≤1 year. Budgeted as its income twin (weight 1000, §8 #15). Planned like "
               "usdm.trades_export, only past coinm.user_trades' horizon: none is documented (spec §5.7.1 "
               "depth ❓), so today the live fromId chain reads every fill and no export is needed. File format "
               "❓: as usdm.income_export."),
    _ep(name="coinm.trades_export_link", product="coinm", family="dapi", path="/dapi/v1/trade/asyn/id",
        weight=10, bucket=DAPI_IP, permission="futures", history=False, start_param=None, end_param=None,
        limit_param=None, required_params=("downloadId",), planned=False,
        notes="\"Get Futures Trade Download Link by Id\" (Binance COIN-M docs); as usdm.income_export_link."),

    # ---------------- options (spec §5.8) ------------------------------------------------------
    _ep(name="options.user_trades", product="options", family="eapi", path="/eapi/v1/userTrades", weight=5,
        bucket=EAPI_IP, permission="read", pagination="from_id", page_size=1000, default_page_size=100,
        max_page_size=1000, max_window_ms=30 * DAY_MS, default_window_ms=None, symbol_param="symbol",
        cursor_param="fromId", cursor_field="id", id_fields=("id",), time_field="time",
        choice="§8 #18: symbol optional (official) vs required (SDK): sent without symbol, because expired "
               "option symbols cannot be enumerated. Window ❓: 30 days chosen.",
        notes="Detail of options.bill. id/orderId > 2^53."),
    _ep(name="options.bill", product="options", family="eapi", path="/eapi/v1/bill", weight=1, bucket=EAPI_IP,
        permission="read", pagination="record_id", page_size=1000, default_page_size=100, max_page_size=1000,
        max_window_ms=30 * DAY_MS, default_window_ms=None, retention_ms=3 * MONTH_MS, cursor_param="recordId",
        cursor_field="id", required_params=("currency",), variants=({"currency": "USDT"},),
        id_fields=("id",), time_field="createDate",
        page_size_documented=False,
        choice="limit default/max ❓: 100/1000 chosen, so a short page does not end the walk (one more "
               "request confirms). Window ❓: 30 days. recordId is inclusive "
               "(\"the recordId and subsequent data\"): next recordId = last.id + 1.",
        notes="currency only USDT; 3-month horizon."),
    _ep(name="options.exercise", product="options", family="eapi", path="/eapi/v1/exerciseRecord", weight=5,
        bucket=EAPI_IP, permission="read", pagination="window_only", page_size=1000, default_page_size=1000,
        max_page_size=1000, max_window_ms=30 * DAY_MS, default_window_ms=None, id_fields=("id",),
        time_field="createDate", choice="Window ❓ and depth ❓: 30-day windows, bisect at 1000 rows.",
        notes="Detail of options.bill."),

    # ---------------- Simple Earn (spec §5.9.1) ------------------------------------------------
    _ep(name="earn.flexible_subscriptions", path="/sapi/v1/simple-earn/flexible/history/subscriptionRecord",
        id_fields=("purchaseId",), **_EARN_COMMON),
    _ep(name="earn.flexible_redemptions", path="/sapi/v1/simple-earn/flexible/history/redemptionRecord",
        id_fields=("redeemId",), **_EARN_COMMON),
    _ep(name="earn.flexible_rewards", path="/sapi/v1/simple-earn/flexible/history/rewardsRecord",
        id_fields=("type", "asset", "time"), required_params=("type",),
        variants=({"type": "BONUS"}, {"type": "REALTIME"}, {"type": "REWARDS"}),
        **{**_EARN_COMMON, "choice": _EARN_COMMON["choice"] + " §8 #8: type required in some sources: always "
                                                              "send it, one variant per BONUS/REALTIME/REWARDS."}),
    _ep(name="earn.locked_subscriptions", path="/sapi/v1/simple-earn/locked/history/subscriptionRecord",
        id_fields=("purchaseId",), **_EARN_COMMON),
    _ep(name="earn.locked_redemptions", path="/sapi/v1/simple-earn/locked/history/redemptionRecord",
        id_fields=("redeemId",), **_EARN_COMMON),
    _ep(name="earn.locked_rewards", path="/sapi/v1/simple-earn/locked/history/rewardsRecord",
        id_fields=("positionId", "time", "type"), **_EARN_COMMON),

    # ---------------- ETH / SOL staking (spec §5.9.3-§5.9.4) -----------------------------------
    _ep(name="staking.eth_stake", path="/sapi/v1/eth-staking/eth/history/stakingHistory",
        id_fields=("time", "amount"), **_STAKING_COMMON),
    _ep(name="staking.eth_redeem", path="/sapi/v1/eth-staking/eth/history/redemptionHistory",
        id_fields=("time", "amount"), **_STAKING_COMMON),
    _ep(name="staking.wbeth_rewards", path="/sapi/v1/eth-staking/eth/history/wbethRewardsHistory",
        id_fields=("time",), **_STAKING_COMMON),
    _ep(name="staking.sol_stake", path="/sapi/v1/sol-staking/sol/history/stakingHistory",
        id_fields=("time", "amount"), **_STAKING_COMMON),
    _ep(name="staking.sol_redeem", path="/sapi/v1/sol-staking/sol/history/redemptionHistory",
        id_fields=("time", "amount"), **_STAKING_COMMON),
    _ep(name="staking.bnsol_rewards", path="/sapi/v1/sol-staking/sol/history/bnsolRewardsHistory",
        id_fields=("time",), **_STAKING_COMMON),

    # ---------------- auto-invest, mining, loans, rebates (spec §5.9.5, §5.11-§5.14) ----------
    _ep(name="auto_invest.history", product="auto_invest", family="sapi",
        path="/sapi/v1/lending/auto-invest/history/list", weight=1, bucket=SAPI_IP, pagination="current_size",
        page_size=100, default_page_size=10, max_page_size=100, limit_param="size", cursor_param="current",
        max_window_ms=30 * DAY_MS, default_window_ms=30 * DAY_MS, id_fields=("id",),
        time_field="transactionDateTime",
        choice="Response is a bare list in the spec sample (no total): a short page ends the window."),
    _ep(name="mining.payments", product="mining", family="sapi", path="/sapi/v1/mining/payment/list", weight=5,
        bucket=SAPI_IP, pagination="page", page_size=200, default_page_size=20, max_page_size=200,
        limit_param="pageSize", cursor_param="pageIndex", start_param="startDate", end_param="endDate",
        max_window_ms=None, default_window_ms=None, required_params=("algo", "userName"), planned=False,
        rows_path=("data", "accountProfits"), total_path=("data", "totalNum"),
        id_fields=("coinName", "time", "type"), time_field="time",
        extra={"variants_from": "mining_accounts"},
        choice="§8 #19: weight IP 5 (swagger/ccxt) vs 1 (SDK): budget 5. Window ❓: none sent (\"while empty "
               "query all\"). Planned only when the connection names a mining account (algo, userName).",
        notes="Amounts are JSON numbers (parsed as Decimal). One task per mining account of the connection."),
    _ep(name="mining.other", product="mining", family="sapi", path="/sapi/v1/mining/payment/other", weight=5,
        bucket=SAPI_IP, pagination="page", page_size=200, default_page_size=20, max_page_size=200,
        limit_param="pageSize", cursor_param="pageIndex", start_param="startDate", end_param="endDate",
        max_window_ms=None, default_window_ms=None, required_params=("algo", "userName"), planned=False,
        rows_path=("data", "otherProfits"), total_path=("data", "totalNum"),
        id_fields=("coinName", "time", "type"), time_field="time",
        extra={"variants_from": "mining_accounts"},
        choice="Extra Bonus List (spec §5.11): same parameters, weight and paging as mining.payments (§8 #19: "
               "budget 5). Rows under data.otherProfits (Binance's documented example).",
        notes="type 1 Merged Mining, 2 Activity Bonus, 3 Rebate, 4 Smart Pool, 6 Income Transfer, 7 Pool Savings."),
    _ep(name="mining.account_earnings", product="mining", family="sapi", path="/sapi/v1/mining/payment/uid",
        weight=5, bucket=SAPI_IP, pagination="page", page_size=200, default_page_size=20, max_page_size=200,
        limit_param="pageSize", cursor_param="pageIndex", start_param="startDate", end_param="endDate",
        max_window_ms=None, default_window_ms=None, required_params=("algo",), planned=False,
        rows_path=("data", "accountProfits"), total_path=("data", "totalNum"),
        id_fields=("coinName", "time", "type", "puid"), time_field="time",
        extra={"variants_from": "mining_algos"},
        choice="Mining Account Earning (Binance mining docs; not in spec §5.11): weight not in the spec, budget 5 "
               "as the other mining lists; `algo` only (the earnings of every mining account of the key).",
        notes="type 0 Referral, 1 Refund, 2 Rebate; rows carry puid and subName."),
    _ep(name="loans.income", product="loans", family="sapi", path="/sapi/v1/loan/income", weight=6000,
        bucket=SAPI_UID, pagination="window_only", page_size=100, default_page_size=20, max_page_size=100,
        max_window_ms=30 * DAY_MS, default_window_ms=7 * DAY_MS, id_fields=("type", "tranId"),
        time_field="timestamp", notes="No page parameter: bisect at 100 rows (spec §5.12)."),
    _ep(name="rebates.tax_query", product="rebates", family="sapi", path="/sapi/v1/rebate/taxQuery", weight=12000,
        bucket=SAPI_UID, pagination="page", page_size=200, default_page_size=200, max_page_size=200,
        limit_param=None, cursor_param="page", max_window_ms=30 * DAY_MS, default_window_ms=7 * DAY_MS,
        earliest_ms=1_591_747_200_000, rows_path=("data", "data"), total_path=("data", "totalRecords"),
        page_count_path=("data", "totalPageNum"), id_fields=("type", "asset", "updateTime", "amount"),
        time_field="updateTime",
        choice="§8 #9: UID 12000 / 30-day windows (SDK 2026) over UID 3000 / 90 days (swagger 2024): the "
               "stricter values are accepted by both.",
        notes="Earliest startTime 2020-06-10; up to 200 records per page; page until totalPageNum."),
]

# ---------------- issue 14: the balance-moving products that had no entry -------------------
# Windows, weights and pages from spec §5.5.8, §5.9.1, §5.9.3-§5.9.4, §5.11, §5.12. Row shapes:
# Binance's documented examples (binance-connector-go unit tests, see tests/normalise/fixtures).
_LOAN_HISTORY = dict(
    product="loans", family="sapi", weight=400, bucket=SAPI_IP, pagination="current_size", page_size=100,
    default_page_size=10, max_page_size=100, limit_param="limit", cursor_param="current",
    max_window_ms=180 * DAY_MS, default_window_ms=90 * DAY_MS, rows_path=("rows",), total_path=("total",),
    order="desc",
    notes="\"If startTime and endTime are not sent, the recent 90-day data is returned\"; \"The max interval "
          "between startTime and endTime is 180 days\" (spec §5.12). Row order ❓: desc assumed (paging by "
          "current does not depend on it).",
)
_YIELD_HISTORY = dict(
    family="sapi", weight=150, bucket=SAPI_IP, pagination="current_size", page_size=100, default_page_size=10,
    max_page_size=100, limit_param="size", cursor_param="current", max_window_ms=3 * MONTH_MS,
    default_window_ms=30 * DAY_MS, rows_path=("rows",), total_path=("total",), time_field="time",
)
_LOAN_DETAIL_CHOICE = (
    "Detail of loans.income: loan/income lists every crypto-loan balance movement one by one (borrowIn, "
    "collateralSpent, repayAmount, collateralReturn, add/removeCollateral, collateralReturnAfterLiquidation, "
    "spec §5.12); this history repeats them per order, so booking it too would count them twice."
)
_ALL += [
    # crypto loans, flexible rate (v2) and stable rate (spec §5.12)
    _ep(name="loans.flexible_borrow", path="/sapi/v2/loan/flexible/borrow/history", time_field="borrowTime",
        id_fields=("borrowTime", "loanCoin", "collateralCoin"), choice=_LOAN_DETAIL_CHOICE, **_LOAN_HISTORY),
    _ep(name="loans.flexible_repay", path="/sapi/v2/loan/flexible/repay/history", time_field="repayTime",
        id_fields=("repayTime", "loanCoin", "collateralCoin"), choice=_LOAN_DETAIL_CHOICE, **_LOAN_HISTORY),
    _ep(name="loans.flexible_ltv", path="/sapi/v2/loan/flexible/ltv/adjustment/history", time_field="adjustTime",
        id_fields=("adjustTime", "loanCoin", "collateralCoin", "direction"), choice=_LOAN_DETAIL_CHOICE,
        **{**_LOAN_HISTORY, "bucket": SAPI_UID,
           "notes": _LOAN_HISTORY["notes"] + " Weight(UID) 400 in [SDK] (IP 400 elsewhere): UID budgeted."}),
    _ep(name="loans.flexible_liquidation", path="/sapi/v2/loan/flexible/liquidation/history",
        time_field="liquidationStartingTime", id_fields=("liquidationStartingTime", "loanCoin", "collateralCoin"),
        choice="Carries the seized collateral (liquidationCollateralAmount leaves the loan wallet): loan/income "
               "has no type for it; the remainder comes back as collateralReturnAfterLiquidation.",
        **_LOAN_HISTORY),
    _ep(name="loans.stable_borrow", path="/sapi/v1/loan/borrow/history", time_field="borrowTime",
        id_fields=("orderId",), choice=_LOAN_DETAIL_CHOICE, **_LOAN_HISTORY),
    _ep(name="loans.stable_repay", path="/sapi/v1/loan/repay/history", time_field="repayTime",
        id_fields=("orderId", "repayTime"), choice=_LOAN_DETAIL_CHOICE, **_LOAN_HISTORY),
    _ep(name="loans.stable_ltv", path="/sapi/v1/loan/ltv/adjustment/history", time_field="adjustTime",
        id_fields=("orderId", "adjustTime"), choice=_LOAN_DETAIL_CHOICE, **_LOAN_HISTORY),
    _ep(name="loans.vip_repay", path="/sapi/v1/loan/vip/repay/history", time_field="repayTime",
        id_fields=("orderId", "repayTime"),
        choice="VIP loans are not in loan/income: the repayment is booked from this history (-repayAmount "
               "loanCoin, spot). The borrow itself has no history endpoint (statement only).",
        **_LOAN_HISTORY),
    _ep(name="loans.vip_accrued_interest", path="/sapi/v1/loan/vip/accruedInterest", time_field="accrualTime",
        id_fields=("orderId", "accrualTime"),
        choice="Spec §5.12: Weight(IP) 400, 90-day default and 90-day maximum; rows {loanCoin, principalAmount, "
               "interestAmount, annualInterestRate, accrualTime, orderId} (Binance docs, Get VIP Loan Accrued "
               "Interest). The interest accrues on the debt and is paid by the repayment (loans.vip_repay moves "
               "it): a detail record with no legs, kept for the interest paid.",
        **{**_LOAN_HISTORY, "max_window_ms": 90 * DAY_MS,
           "notes": "\"If startTime and endTime are not sent, the recent 90-day data is returned\"; \"The max "
                    "interval between startTime and endTime is 90 days\"; current ≤1000, limit ≤100."}),
    # travel-rule deposits (spec §5.3.1): same 90-day rules as deposit history
    _ep(name="wallet.travel_rule_deposits", product="wallet", family="sapi", path="/sapi/v1/localentity/deposit/history",
        weight=1, bucket=SAPI_IP, pagination="offset", page_size=1000, default_page_size=1000, max_page_size=1000,
        cursor_param="offset", max_window_ms=90 * DAY_MS, default_window_ms=90 * DAY_MS, settle_ms=SETTLE_MS,
        id_fields=("trId",), time_field="insertTime",
        choice="Weight ❓ (IP 1 like deposit history). Detail of wallet.deposits: the same deposits with their "
               "travel-rule state; booking them would count each deposit twice. Limit default/max ❓: 1000 sent.",
        notes="Only in travel-rule jurisdictions; elsewhere the endpoint answers an empty list or an error."),
    # margin small-liability exchange (spec §5.5.8)
    _ep(name="margin.small_liability", product="margin", family="sapi",
        path="/sapi/v1/margin/exchange-small-liability-history", weight=100, bucket=SAPI_UID,
        pagination="current_size", page_size=100, default_page_size=10, max_page_size=100, limit_param="size",
        cursor_param="current", required_params=("current", "size"), max_window_ms=90 * DAY_MS,
        default_window_ms=None, rows_path=("rows",), total_path=("total",), time_field="timestamp",
        id_fields=("timestamp", "asset"), order="desc",
        choice="Window, default and depth ❓: 90-day windows, always sending both times. current and size "
               "are required ([SDK]/[LEGACY]); the walk always sends both."),
    # ETH wrap/unwrap and BETH rewards (spec §5.9.3), SOL boost rewards (§5.9.4)
    _ep(name="staking.eth_wrap", product="staking", path="/sapi/v1/eth-staking/wbeth/history/wrapHistory",
        id_fields=("time", "fromAmount"), **_YIELD_HISTORY),
    _ep(name="staking.eth_unwrap", product="staking", path="/sapi/v1/eth-staking/wbeth/history/unwrapHistory",
        id_fields=("time", "fromAmount"), **_YIELD_HISTORY),
    _ep(name="staking.beth_rewards", product="staking", path="/sapi/v1/eth-staking/eth/history/rewardsHistory",
        id_fields=("time", "asset"),
        choice="§8 #23: in [SWAGGER] 2024/[LEGACY], absent from [SDK] 2026 (possibly retired): still read; "
               "a retired endpoint answers an error that the run reports.",
        **_YIELD_HISTORY),
    _ep(name="staking.sol_boost_rewards", product="staking",
        path="/sapi/v1/sol-staking/sol/history/boostRewardsHistory", id_fields=("type", "time", "token"),
        required_params=("type",), variants=({"type": "CLAIM"}, {"type": "DISTRIBUTE"}),
        choice="type required: one variant per CLAIM / DISTRIBUTE. The documented example's time is in "
               "seconds (1729520680): values < 1e12 are seconds.",
        **{**_YIELD_HISTORY, "time_format": "s_or_ms"}),
    # BFUSD / RWUSD rewards, on-chain yields, soft staking (spec §5.9.1 "Related yield products")
    _ep(name="earn.bfusd_rewards", product="earn", path="/sapi/v1/bfusd/history/rewardsHistory",
        id_fields=("time",), **{**_YIELD_HISTORY, "max_window_ms": 6 * MONTH_MS,
                                "notes": "\"cannot be longer than 6 months\"; default last 30 days."}),
    _ep(name="earn.rwusd_rewards", product="earn", path="/sapi/v1/rwusd/history/rewardsHistory",
        id_fields=("time",), **{**_YIELD_HISTORY, "max_window_ms": 6 * MONTH_MS,
                                "notes": "\"cannot be longer than 6 months\"; default last 30 days."}),
    _ep(name="onchain.subscriptions", product="onchain", path="/sapi/v1/onchain-yields/locked/history/subscriptionRecord",
        id_fields=("purchaseId",), **_YIELD_HISTORY),
    _ep(name="onchain.redemptions", product="onchain", path="/sapi/v1/onchain-yields/locked/history/redemptionRecord",
        id_fields=("redeemId",), **_YIELD_HISTORY),
    _ep(name="onchain.rewards", product="onchain", path="/sapi/v1/onchain-yields/locked/history/rewardsRecord",
        id_fields=("positionId", "time"), **{**_YIELD_HISTORY, "weight": 50}),
    _ep(name="soft_staking.rewards", product="soft_staking", path="/sapi/v1/soft-staking/history/rewardsRecord",
        id_fields=("asset", "time"), **{**_YIELD_HISTORY, "weight": 50}),
    # cloud mining (spec §5.11; the extra bonus list is mining.other)
    _ep(name="mining.cloud_mining", product="mining", family="sapi",
        path="/sapi/v1/asset/ledger-transfer/cloud-mining/queryByPage", weight=600, bucket=SAPI_UID,
        pagination="current_size", page_size=100, default_page_size=10, max_page_size=100, limit_param="size",
        cursor_param="current", max_window_ms=30 * DAY_MS, default_window_ms=None, times_required=True,
        rows_path=("rows",), total_path=("total",), id_fields=("tranId",), time_field="createTime", order="desc",
        choice="Window ❓: 30-day windows, both times always sent (they are required in [SDK]). \"Just return the "
               "SUCCESS records of payment and refund\"; type 248 payment, 249 refund."),
]

# dual investment (spec §5.9.6): positions only; the settlement outcome has no endpoint
_ALL += [
    _ep(name="dual_investment.positions", product="dual_investment", family="sapi",
        path="/sapi/v1/dci/product/positions", weight=1, bucket=SAPI_IP, pagination="page", page_size=100,
        default_page_size=10, max_page_size=100, limit_param="pageSize", cursor_param="pageIndex",
        start_param=None, end_param=None, max_window_ms=None, default_window_ms=None,
        rows_path=("list",), total_path=("total",), id_fields=("id",), time_field="purchaseEndTime",
        choice="No status sent: \"If don't fill this field, will response all the position status\". "
               "pageSize default 10 (official page) vs 100 ([SWAGGER]); 100 always sent. Each synced "
               "position books its subscription (investCoin spot -> earn); the settlement is not in the "
               "response (no settled price, coin or amount) and no other endpoint returns it.",
        notes="How long SETTLED positions stay listed is undocumented ❓.",
        extra={"statement_only": "settlement of dual investment (coin and amount returned at settleDate): "
                                 "no endpoint returns it; only the statement's 'Dual Investment Settlement' "
                                 "rows carry it"}),
]

# auto-invest index-linked plan rebalances (spec §5.9.5); redemptions need a requestId nobody lists
_ALL += [
    _ep(name="auto_invest.rebalance", product="auto_invest", family="sapi",
        path="/sapi/v1/lending/auto-invest/rebalance/history", weight=1, bucket=SAPI_IP,
        pagination="current_size", page_size=100, default_page_size=10, max_page_size=100, limit_param="size",
        cursor_param="current", max_window_ms=30 * DAY_MS, default_window_ms=30 * DAY_MS,
        id_fields=("rebalanceId",), time_field=None,
        choice="\"Max 30 day difference between startTime and endTime\"; bare list (no total): a short page "
               "ends the window (max 100 documented). The time is nested: its details' latest "
               "transactionDateTime ❓ (which time the window filters on is undocumented).",
        extra={"time_nested": "transactionDetails[].transactionDateTime",
               "statement_only": "index-linked plan redemptions: GET /sapi/v1/lending/auto-invest/redeem/"
                                 "history requires the requestId of the user's own redeem call and no "
                                 "endpoint lists those ids; only the statement carries them"}),
]

# sub-account transfers seen from a master account (spec §5.13, §8 #20)
# Both histories are filtered by one sub-account email per request ("fromEmail" or "toEmail"):
# the planner makes one variant per discovered sub-account and direction (catalogue
# `variants_from_scope`); the normaliser tells the master's side from the sub-account list
# (`context_scope`), so a transfer between two sub-accounts moves no balance of this account.
_SUB_TRANSFER = dict(
    product="sub_account", family="sapi", weight=1, bucket=SAPI_IP, pagination="page", cursor_param="page",
    id_fields=("tranId",),
    extra={"variants_from_scope": {"scope": "sub_accounts", "params": ("fromEmail", "toEmail")},
           "context_scope": "sub_accounts"},
)
_ALL += [
    _ep(name="sub_account.list", product="sub_account", family="sapi", path="/sapi/v1/sub-account/list",
        weight=1, bucket=SAPI_IP, history=False, pagination="page", page_size=200, default_page_size=1,
        max_page_size=200, cursor_param="page", start_param=None, end_param=None,
        rows_path=("subAccounts",), id_fields=("email",),
        extra={"not_master_codes": (-8012, -9000), "not_master_message": "sub-account function is not enabled"},
        choice="limit \"Default value: 1, Max value: 200\" (Binance docs, Query Sub-account List): 200 sent, "
               "pages until a short one. A key of an account that is not a master answers HTTP 400 "
               "{\"code\":-8012,\"msg\":\"Sub-account function is not enabled.\"} (observed; not in the spec): "
               "read as \"no sub-accounts\", not as an error.",
        notes="The sub-account scope of the transfer histories (sync/discovery.py)."),
    _ep(name="sub_account.spot_transfers", path="/sapi/v1/sub-account/sub/transfer/history",
        page_size=500, default_page_size=500, page_size_documented=False, max_window_ms=30 * DAY_MS,
        default_window_ms=100 * DAY_MS, time_field="time",
        choice="Max window ❓ ([LEGACY]: \"Default return the history with in 100 days\"): 30-day windows, both "
               "times always sent. limit default 500 [LEGACY], maximum ❓: 500 sent, and a short page does not "
               "end the walk (page_size_documented=False). fromEmail and toEmail \"cannot be sent at the same "
               "time\": one variant per sub-account and direction.",
        **_SUB_TRANSFER),
    _ep(name="sub_account.universal_transfers", path="/sapi/v1/sub-account/universalTransfer",
        page_size=500, default_page_size=500, max_page_size=500, page_size_documented=False,
        max_window_ms=7 * DAY_MS, default_window_ms=7 * DAY_MS, rows_path=("result",),
        total_path=("totalCount",), time_field="createTimeStamp",
        choice="§8 #20: \"less than 7 days\" (official/[SDK]) vs 30 days: 7-day windows, accepted by both. limit "
               "500 (official max) vs max 20 [LEGACY]: 500 sent, totalCount read, and a short page does not end "
               "the walk. Depth: [LEGACY] \"Only get the latest history of past 30 days\" is not assumed "
               "(the walk covers the sync window).",
        **_SUB_TRANSFER),
    # Futures transfers between the master's and a sub-account's USD-M / COIN-M wallets. One
    # sub-account (`email`, required) and one family (`futuresType`, required) per request: the
    # planner makes one variant per discovered sub-account and futures type.
    _ep(name="sub_account.futures_transfers", path="/sapi/v1/sub-account/futures/internalTransfer",
        product="sub_account", family="sapi", weight=1, bucket=SAPI_IP, pagination="page", cursor_param="page",
        page_size=500, default_page_size=50, max_page_size=500, required_params=("email", "futuresType"),
        max_window_ms=28 * DAY_MS, default_window_ms=None, retention_ms=28 * DAY_MS,
        rows_path=("transfers",), id_fields=("tranId",), time_field="time",
        extra={"variants_from_scope": {"scope": "sub_accounts", "params": ("email",),
                                       "with": ({"futuresType": "1"}, {"futuresType": "2"})},
               "context_scope": "sub_accounts", "futures_types": {"1": "usdm", "2": "coinm"}},
        choice="Binance docs (Query Sub-account Futures Asset Transfer History): weight IP 1, `email` and "
               "`futuresType` (1 USD-M, 2 COIN-M) required, `startTime` \"Cannot be earlier than 1 month ago\" "
               "([SDK], zh-CN page: only the last month can be queried) vs [LEGACY] \"Default return the history "
               "with in 100 days\"; `limit` \"Default value: 50, Max value: 500\" (documented: 500 sent, a short "
               "page ends the walk; no total in the response). Horizon taken as 28 days, the shortest calendar "
               "month, so a startTime Binance would refuse is never sent; older transfers are reported beyond "
               "reach (the weekly resync reads every week, well inside it). Max window ❓: one 28-day window. "
               "Rows name no wallet: the request's futuresType is the master's wallet (usdm / coinm)."),
]

ENDPOINTS: dict[str, Endpoint] = {ep.name: ep for ep in _ALL}
if len(ENDPOINTS) != len(_ALL):  # pragma: no cover - a duplicate name is a programming error
    raise RuntimeError("duplicate endpoint name in the catalogue")


def endpoint(name: str) -> Endpoint:
    return ENDPOINTS[name]


def by_path(path: str) -> Endpoint | None:
    for ep in ENDPOINTS.values():
        if ep.path == path:
            return ep
    return None


def balance_endpoints() -> list[Endpoint]:
    """The endpoints that report a wallet's balances, read by Finish to reconcile every wallet."""
    return [ep for ep in ENDPOINTS.values() if ep.balance is not None]


def planned_endpoints() -> list[Endpoint]:
    """History endpoints synced by default (the planner narrows further by product and permission)."""
    return [ep for ep in ENDPOINTS.values() if ep.history and ep.planned]
