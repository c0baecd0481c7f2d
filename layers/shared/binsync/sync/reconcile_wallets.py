"""Reconcile every wallet: balances rebuilt from stored transactions against Binance's (issue 15).

For each (wallet, asset) the account holds or ever held, the sum of every stored leg is compared
with the live balance the wallet's catalogue endpoint reports. A difference is never fatal; it
comes with its size, the period it must lie in and its most likely cause:

- `statement_period`: only a statement can show it (a product with no history endpoint, such as
  card spending), and no uploaded statement covers the period yet;
- `beyond_retention`: an endpoint that moves this wallet keeps only recent records (the run's
  beyond-retention entries name the endpoint and the horizon);
- `delisted_market`: the asset trades on no listed market, so fills of a market delisted before
  the first sync cannot be read;
- `not_read`: a product that moves this wallet was not read by the sync (not planned, failed);
- `kept_as_other`: stored statement rows of an unknown operation, kept as `other`;
- `unexplained`: every period is covered by uploaded statements and no cause above applies.

A wallet Binance reports no balance for (the mining pool account) is `not_checked`: its stored
sum is shown with the reason, never counted as balanced. The output is plain data
(`reconcile(...)` returns a dict with a list of per-(wallet, asset) results) so the completeness
state, the API, the CLI and the demo all read the same thing.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, localcontext
from typing import Any

from binsync.binance.catalogue import BINANCE_LAUNCH_MS, ENDPOINTS
from binsync.model import format_decimal
from binsync.sync.wallet_balances import LiveBalances

SUM_PRECISION = 80
ALL_WALLETS = ("spot", "funding", "earn", "margin_cross", "margin_isolated", "usdm", "coinm", "options",
               "loan")
# Which wallets each product's records move (docs/ledger.md): a difference in a wallet can only
# come from a product that moves it. Universal transfers move every wallet.
PRODUCT_WALLETS: dict[str, tuple[str, ...]] = {
    "spot": ("spot",), "wallet": ALL_WALLETS, "dust": ("spot",), "dividends": ("spot",),
    "fiat": ("spot", "funding"), "convert": ("spot", "funding"), "p2p": ("funding", "spot"),
    "pay": ("funding", "spot"), "margin": ("margin_cross", "margin_isolated"), "usdm": ("usdm",),
    "coinm": ("coinm",), "options": ("options",), "earn": ("earn", "spot", "funding"),
    "staking": ("spot", "earn"), "auto_invest": ("spot", "funding", "earn"), "mining": ("funding",),
    "loans": ("spot", "loan"), "rebates": ("spot",), "soft_staking": ("spot",),
    "dual_investment": ("spot", "earn"), "onchain": ("spot", "earn"),
    # the master's side of transfers with its sub-accounts: spot, or the wallet a universal
    # transfer names (futures internal transfers: USD-M and COIN-M)
    "sub_account": ("spot", "funding", "margin_cross", "margin_isolated", "usdm", "coinm"),
}
CAUSE_WORDS = {
    "statement_period": "a period only the account statement can fill",
    "beyond_retention": "older than what the API keeps",
    "delisted_market": "trades of a market delisted before the first sync",
    "not_read": "a product this sync did not read",
    "kept_as_other": "statement rows of an unknown operation, kept as `other`",
    "unexplained": "unexplained: every period is covered and no known cause applies",
}


@dataclass
class StoredLedger:
    """One pass over the stored transactions: what reconciliation needs of them."""

    balances: dict[tuple[str, str], Decimal] = field(default_factory=dict)  # (wallet, asset)
    other: dict[tuple[str, str], list[int]] = field(default_factory=dict)  # kind other: times
    first_ms: int | None = None
    trade_markets: set[str] = field(default_factory=set)
    # product -> items the run `stored_ledger(run_id=...)` was given first stored (`first_run`):
    # Finish's exact counts (sync.progress.stored_counts) from the same pass
    run_counts: dict[str, int] = field(default_factory=dict)


@dataclass
class _StoredItem:
    """The attributes of a stored item the pass reads (markets.trade_market_of reads these)."""

    body: dict[str, Any]
    source_ref: str | None
    source_kind: str | None
    first_run: str | None


def _stored_items(user_id: str, binance_uid: str) -> Any:
    """The account's items through the low-level Query of TransactionModel's connection (the
    tenant session's inside tenant_tables.scoped_to): a pynamodb model object per item cost more
    than the sums made of it (the reference account: some 20,000 items on every Finish)."""
    from binsync.storage.models import TransactionModel, account_key

    connection = TransactionModel._get_connection()
    start: dict[str, Any] | None = None
    while True:
        page = connection.query(account_key(user_id, binance_uid), index_name="by_account",
                                attributes_to_get=["body", "source_ref", "source_kind", "first_run"],
                                exclusive_start_key=start)
        for raw in page.get("Items", []):
            body = (raw.get("body") or {}).get("S")
            yield _StoredItem(json.loads(body, strict=False) if body is not None else {},
                              (raw.get("source_ref") or {}).get("S"), (raw.get("source_kind") or {}).get("S"),
                              (raw.get("first_run") or {}).get("S"))
        start = page.get("LastEvaluatedKey")
        if not start:
            return


def stored_ledger(user_id: str, binance_uid: str, *, run_id: str | None = None) -> StoredLedger:
    from binsync.sync.markets import trade_market_of
    from binsync.sync.progress import product_of

    balances: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    run_counts: dict[str, int] = defaultdict(int)
    ledger = StoredLedger()
    with localcontext() as ctx:
        ctx.prec = SUM_PRECISION
        for item in _stored_items(user_id, binance_uid):
            body = item.body
            if run_id is not None and item.first_run == run_id:
                run_counts[product_of(str(item.source_ref))] += 1
            time_ms = int(body.get("time_ms") or 0)
            if time_ms and (ledger.first_ms is None or time_ms < ledger.first_ms):
                ledger.first_ms = time_ms
            for leg in body.get("legs", []):
                wallet = leg.get("wallet", "spot")
                if wallet == "external":
                    continue
                key = (wallet, leg["asset"])
                balances[key] += Decimal(str(leg["amount"]))
                if body.get("kind") == "other":
                    ledger.other.setdefault(key, []).append(time_ms)
            symbol = trade_market_of(item)
            if symbol:
                ledger.trade_markets.add(symbol)
    ledger.balances = dict(balances)
    ledger.run_counts = dict(run_counts)
    return ledger


def merge_periods(periods: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Union of closed intervals; overlapping or touching ones (within a second) become one."""
    out: list[tuple[int, int]] = []
    for lo, hi in sorted(periods):
        if out and lo <= out[-1][1] + 1000:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out


def uncovered(lo: int, hi: int, covered: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Parts of [lo, hi] outside every covered interval."""
    out, cursor = [], lo
    for c_lo, c_hi in covered:
        if c_hi < cursor or c_lo > hi:
            continue
        if c_lo > cursor:
            out.append((cursor, c_lo - 1))
        cursor = max(cursor, c_hi + 1)
    if cursor <= hi:
        out.append((cursor, hi))
    return out


def _period(lo: int, hi: int) -> dict[str, int]:
    return {"from_ms": int(lo), "to_ms": int(hi)}


@dataclass
class Context:
    """What the causes are inferred from."""

    now_ms: int
    first_sync_ms: int  # the first sync of the connection started then (delisted before it)
    beyond_retention: list[dict[str, Any]] = field(default_factory=list)
    statement_periods: list[tuple[int, int]] = field(default_factory=list)  # uploaded files' rows
    listed_assets: set[str] | None = None  # assets of the markets listed now (None: unknown)
    unread_products: dict[str, str] = field(default_factory=dict)  # product -> why
    held: set[tuple[str, str]] = field(default_factory=set)  # (wallet, asset) stored or live, non-zero


def _candidates(wallet: str, asset: str, ctx: Context, floor: int,
                ledger: StoredLedger) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for entry in ctx.beyond_retention:
        ep = ENDPOINTS.get(str(entry.get("endpoint")))
        symbol = str(entry.get("symbol") or "")
        if symbol and entry.get("endpoint") in ("spot.my_trades", "margin.my_trades"):
            if asset in symbol and wallet in ("spot", "margin_cross", "margin_isolated"):
                out.append({"cause": "delisted_market", "market": symbol,
                            "period": _period(floor, ctx.first_sync_ms)})
            continue
        product = entry.get("product") or (ep.product if ep else "")
        if wallet not in PRODUCT_WALLETS.get(str(product), ()):
            continue
        before = int(entry.get("before") or ctx.now_ms)
        if ep is not None and ep.retention_records and not entry.get("before"):
            before = ctx.now_ms  # "only the last N records": anywhere before the oldest returned
        out.append({"cause": "beyond_retention", "endpoint": entry.get("endpoint"),
                    "period": _period(floor, before)})
    if wallet in ("spot", "margin_cross", "margin_isolated") and ctx.listed_assets is not None:
        # An asset no listed market trades is the trace of a delisted market; that market's fills
        # also moved its quote asset and the fee asset, so every asset of the wallet may differ.
        unlisted = sorted(a for w, a in ctx.held if w == wallet and a not in ctx.listed_assets)
        if asset not in ctx.listed_assets or unlisted:
            out.append({"cause": "delisted_market", "unlisted_assets": unlisted[:20],
                        "period": _period(floor, ctx.first_sync_ms)})
    for product, why in sorted(ctx.unread_products.items()):
        if wallet in PRODUCT_WALLETS.get(product, ()):
            out.append({"cause": "not_read", "product": product, "reason": why,
                        "period": _period(floor, ctx.now_ms)})
    times = ledger.other.get((wallet, asset))
    if times:
        out.append({"cause": "kept_as_other", "rows": len(times), "period": _period(min(times), max(times))})
    return out


def explain(wallet: str, asset: str, ctx: Context, ledger: StoredLedger) -> dict[str, Any]:
    """Cause, period and candidates of one difference."""
    floor = BINANCE_LAUNCH_MS
    covered = merge_periods(ctx.statement_periods)
    first = ledger.first_ms or ctx.now_ms
    # What no uploaded statement covers, from the account's first record (nothing older can
    # exist once a statement starts there) to now.
    open_from = min(first, covered[0][0]) if covered else floor
    gaps = uncovered(open_from, ctx.now_ms, covered) if covered else [(floor, ctx.now_ms)]
    candidates = _candidates(wallet, asset, ctx, floor, ledger)
    statement_fills = [c for c in candidates if c["cause"] in ("beyond_retention", "delisted_market")]
    for c in statement_fills:  # a statement fills these only where it covers their period
        lo = max(open_from, c["period"]["from_ms"])
        c["statement_uploaded"] = any(c_hi >= lo and c_lo <= c["period"]["to_ms"] for c_lo, c_hi in covered)
        c["filled_by_statement"] = bool(covered) and not uncovered(lo, c["period"]["to_ms"], covered)
    if gaps:
        candidates.append({"cause": "statement_period", "statement_uploaded": bool(covered),
                           "period": _period(gaps[0][0], gaps[-1][1]),
                           "gaps": [_period(lo, hi) for lo, hi in gaps[:10]]})
    live_causes = [c for c in candidates if not c.get("filled_by_statement")]
    order = ("not_read", "beyond_retention", "delisted_market", "statement_period", "kept_as_other")
    ranked = sorted(live_causes, key=lambda c: order.index(c["cause"]))
    if not ranked:
        ranked = [c for c in candidates if c["cause"] == "kept_as_other"] or [
            {"cause": "unexplained", "period": _period(open_from, ctx.now_ms)}]
    primary = ranked[0]
    return {"cause": primary["cause"], "cause_words": CAUSE_WORDS[primary["cause"]],
            "period": primary["period"], "statement_uploaded": bool(covered),
            "candidates": ranked}


def reconcile(ledger: StoredLedger, live: LiveBalances, ctx: Context) -> dict[str, Any]:
    """Every (wallet, asset) held or ever held, stored vs live, with the differences explained."""
    results: list[dict[str, Any]] = []
    ctx.held = {k for k, v in ledger.balances.items() if v} | {
        (w, a) for w, assets in live.wallets.items() for a, v in assets.items() if v}
    wallets = sorted({w for w, _ in ledger.balances} | set(live.wallets) | set(live.unread))
    for wallet in wallets:
        assets = sorted({a for w, a in ledger.balances if w == wallet} | set(live.wallets.get(wallet, {})))
        checked = wallet in live.wallets
        for asset in assets:
            ours = ledger.balances.get((wallet, asset), Decimal(0))
            row: dict[str, Any] = {"wallet": wallet, "asset": asset, "stored": format_decimal(ours)}
            if not checked:
                reason = ("; ".join(f"{k}: {v}" for k, v in live.unread[wallet].items())
                          if wallet in live.unread else "Binance has no balance endpoint for this wallet")
                row.update({"status": "not_checked", "live": None, "difference": None, "reason": reason})
                results.append(row)
                continue
            theirs = live.wallets[wallet].get(asset, Decimal(0))
            row.update({"live": format_decimal(theirs), "difference": format_decimal(theirs - ours)})
            if ours == theirs:
                row["status"] = "balanced"
            else:
                row.update({"status": "difference", **explain(wallet, asset, ctx, ledger)})
            results.append(row)
    balanced = sum(r["status"] == "balanced" for r in results)
    return {
        "assets": len(results), "balanced": balanced,
        "differences": sum(r["status"] == "difference" for r in results),
        "not_checked": sum(r["status"] == "not_checked" for r in results),
        "wallets": len({r["wallet"] for r in results}),
        "wallets_checked": sorted(live.wallets),
        "wallets_unread": {w: dict(v) for w, v in live.unread.items()},
        "complete": bool(results) and balanced == len(results),
        "results": results,
    }


def summary_line(report: dict[str, Any]) -> str:
    """`reconciliation: N/N assets balance in W wallets` (the demo's and the CLI's last line)."""
    return (f"reconciliation: {report.get('balanced', 0)}/{report.get('assets', 0)} assets balance in "
            f"{report.get('wallets', 0)} wallets")
