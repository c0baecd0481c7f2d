"""Cut a sync into independent tasks (issue 5 item 3, DESIGN.md §3.2).

`build_plan` is pure: from the catalogue, the key's permissions (apiRestrictions, stored on the
connection at registration), the account's products (/sapi/v1/account/info flags), the markets
and the sync window, it returns the tasks and what lies beyond the API's reach. `plan_run`
(in `plan.py`) gathers those inputs from Binance and storage and persists the plan.

Rules:
- One task per (endpoint, window[, symbol][, variant]). A task's window is a whole number of
  the endpoint's maximum windows (about a year, `task_span`), inclusive at both ends
  (`end = start + span - 1`, spec §7.3), so no record on a boundary is fetched twice or missed;
  the client walks the maximum windows inside it and checkpoints after every page. An endpoint
  without a documented maximum window gets one task for the whole span.
- Cursor endpoints that need a symbol (spot myTrades) are fromId chains: one task per symbol,
  no 24 h windows (spec §5.2.1 "Pagination (recommended)").
- Windows are clipped to the endpoint's retention horizon and earliest time; the period cut off
  is recorded as beyond retention, "to be filled from the statement".
- An endpoint whose records change status after their time (`settle_ms`: deposits, withdrawals,
  fiat and P2P orders) starts at least that far back in every mode, so a record that was still
  pending at the last sync (skipped: only the final status is an event) is read again once final.
- Spot markets: every market exchangeInfo lists for every permission incl. TRD_GRP_* and BREAK
  (see `markets.py`). `full` and `since_last` walk every market: a closure over "assets ever
  held" is not provably complete from the products this sync reads (an asset can arrive through
  Earn, Launchpool, P2P, card, futures or an internal transfer before any wallet endpoint shows
  it), and a missed market is silently missing trades.
- `incremental` walks the markets that can have new fills (`select_markets`), from balances
  rather than from assets ever held:
  1. Every Plan reads the spot balances once (/api/v3/account, weight 20) and stores them on
     the run. Plan time on purpose: every market task of the run runs after this snapshot, so a
     fill the run does not see changes a balance relative to it.
  2. A successful run hands its snapshot to the connection (`last_success_balances`), adds the
     markets where fills were stored to `traded_markets`, and when it walked every market sets
     `last_all_markets_at` (its plan time).
  3. If the connection has that snapshot, a `traded_markets` set and a walk of every market less
     than `FULL_WALK_EVERY_MS` (28 days) ago, the run walks `traded_markets` plus every market
     whose base or quote asset's total (free + locked, Decimal, missing = 0) differs between that
     snapshot and this plan's balances. A spot fill moves both of its market's assets, so a
     market outside that set had no fill since the snapshot, unless other movements (a round
     trip in the same market, an exactly offsetting deposit, withdrawal or trade; e.g. buy and
     sell at one price with fees paid in BNB) brought both assets back to exactly the earlier
     totals. That blind spot is bounded: otherwise, or when a read fails, every market is walked,
     so a full walk happens at least every 28 days and picks such fills up.
  The rule applied, how many markets of how many were walked and why are recorded on the run's
  spot coverage (`markets`).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from binsync.binance.catalogue import DAY_MS, ENDPOINTS, HOUR_MS, Endpoint
from binsync.binance.pagination import resume_state
from binsync.sync import intervals
from binsync.sync.export_plan import plan_exports
from binsync.sync.ledger import scope_key
from binsync.sync.tasks import TaskSpec

STATEMENT_REASON = "to be filled from the statement"
# The client re-clips to the horizon (with its own margin) when a task runs, so the plan uses the
# exact horizon.
RETENTION_SAFETY_MS = 0
# Planned only on explicit request (docs/ledger.md): capital-flow duplicates the margin
# endpoints at weight 100; mining needs a named mining account.
# spot.all_orders: the fills come from myTrades; orders would double the per-market cost.
NOT_PLANNED_BY_DEFAULT = frozenset({"mining.payments", "spot.all_orders"})
# The symbol scope listing the account's isolated-margin pairs (discovery.margin_scopes).
ISOLATED_SCOPE = "margin_isolated"

# A task covers whole maximum windows up to about this span: the client walks the windows inside
# a task and checkpoints after each page, so a longer task loses nothing on a retry, and fewer,
# longer tasks keep the Map small (30-day endpoints over nine years: 10 tasks, not 115).
DEFAULT_TASK_SPAN_MS = 365 * 24 * HOUR_MS

# account/info flag gating a product (spec §7.4 "Product gating").
PRODUCT_FLAGS: dict[str, str] = {
    "margin": "isMarginEnabled",
    "usdm": "isFutureEnabled",
    "coinm": "isFutureEnabled",
    "futures": "isFutureEnabled",
    "options": "isOptionsEnabled",
}
# Catalogue permission -> apiRestrictions flag.
PERMISSION_FLAGS: dict[str, str] = {
    "read": "enableReading",
    "futures": "enableFutures",
    "options": "enableVanillaOptions",
    "margin": "enableReading",  # reading margin history needs reading only
}


@dataclass
class PlanInputs:
    start_ms: int
    now_ms: int
    permissions: Mapping[str, Any] = field(default_factory=dict)   # apiRestrictions
    products: Mapping[str, Any] = field(default_factory=dict)      # account/info flags
    symbols: Mapping[str, list[str]] = field(default_factory=dict)  # endpoint name or product -> markets
    include: frozenset[str] = frozenset()  # endpoints planned on request (NOT_PLANNED_BY_DEFAULT)
    only: frozenset[str] | None = None     # restrict to these endpoints (operators, tests)
    task_span_ms: int = DEFAULT_TASK_SPAN_MS
    # endpoint name -> how its market list was chosen (MarketSelection.note); with a note, an
    # empty list is a valid choice (no market can have new fills), not a missing list.
    symbol_notes: Mapping[str, dict[str, Any]] = field(default_factory=dict)
    # endpoint name -> parameter sets replacing the catalogue's variants (mining: one per mining
    # account the connection names); an endpoint listed here is planned (see `include`).
    variants: Mapping[str, list[dict[str, Any]]] = field(default_factory=dict)
    # symbol scopes discovery tried and could not read (planned endpoints needing them are
    # reported as not planned, with the reason)
    unknown_scopes: frozenset[str] = frozenset()
    # The coverage ledger (binsync.sync.ledger.Ledger.coverage_map): scope -> intervals covered,
    # "*" for scopes it does not name. None: read everything from start_ms (a `full` sync).
    # With it, each scope gets tasks only for what `intervals.to_read` says is missing.
    covered: Mapping[str, list[tuple[int, int]]] | None = None
    late_overlap_ms: int = 0  # re-read before the newest covered ms (records credited late)
    # id-chain scope -> the fromId where the last finished walk ended (Ledger.chain_next); used
    # only with `covered` (an incremental sync): a `full` sync walks every chain from id 0
    chain_next: Mapping[str, int] = field(default_factory=dict)
    # export endpoint -> download requests left this month (sync/export_quota.py); None: the
    # catalogue's whole monthly quota
    export_quota_left: Mapping[str, int] | None = None
    # scope -> member -> earliest time it can have records (discovery.Scopes.floors): the
    # variants of that member start there (a sub-account's transfers start at its creation)
    scope_floors: Mapping[str, Mapping[str, int]] = field(default_factory=dict)


@dataclass
class Plan:
    tasks: list[TaskSpec]
    beyond_retention: list[dict[str, Any]]
    not_planned: list[dict[str, str]]  # endpoint, product, reason
    coverage: dict[str, dict[str, Any]]  # product -> {from, to, endpoints}


def _flag(mapping: Mapping[str, Any], name: str) -> bool | None:
    value = mapping.get(name)
    return None if value is None else bool(value)


def gate(ep: Endpoint, permissions: Mapping[str, Any], products: Mapping[str, Any]) -> str | None:
    """Why `ep` cannot be read with this key and account, or None when it can."""
    if _flag(permissions, "enableReading") is False:
        return "the API key cannot read (enableReading is false)"
    perm_flag = PERMISSION_FLAGS.get(ep.permission, f"enable{ep.permission[:1].upper()}{ep.permission[1:]}")
    if _flag(permissions, perm_flag) is False:
        return f"the API key lacks the {ep.permission} permission ({perm_flag})"
    product_flag = PRODUCT_FLAGS.get(ep.product)
    if product_flag and _flag(products, product_flag) is False:
        return f"the account has no {ep.product} product ({product_flag} is false)"
    return None


def planned_endpoints(include: Iterable[str] = (), only: Iterable[str] | None = None) -> list[Endpoint]:
    wanted = set(include)
    restrict = set(only) if only is not None else None
    return [
        ep for ep in ENDPOINTS.values()
        if ep.history and ep.normaliser and ep.pagination != "export"  # export_plan.py plans those
        and (restrict is None or ep.name in restrict)
        and (ep.name in wanted
             or (ep.name not in NOT_PLANNED_BY_DEFAULT and ep.extra.get("planned", True) is not False))
    ]


def windows(start_ms: int, end_ms: int, max_window_ms: int | None) -> list[tuple[int, int]]:
    """Inclusive [start, end] windows of at most `max_window_ms` covering [start_ms, end_ms]."""
    if end_ms < start_ms:
        return []
    if not max_window_ms:
        return [(start_ms, end_ms)]
    out = []
    cursor = start_ms
    while cursor <= end_ms:
        stop = min(cursor + max_window_ms - 1, end_ms)
        out.append((cursor, stop))
        cursor = stop + 1
    return out


def task_span(ep: Endpoint, span_ms: int) -> int | None:
    """A whole number of the endpoint's maximum windows, about `span_ms` long (at least one)."""
    if not ep.max_window_ms:
        return None
    return ep.max_window_ms * max(1, span_ms // ep.max_window_ms)


def clip(ep: Endpoint, start_ms: int, now_ms: int) -> tuple[int, list[dict[str, Any]]]:
    """The effective start of `ep`, and the beyond-retention entries for what is cut off."""
    beyond: list[dict[str, Any]] = []
    effective = start_ms
    if ep.earliest_ms and effective < ep.earliest_ms:
        beyond.append({"product": ep.product, "endpoint": ep.name, "before": ep.earliest_ms,
                       "reason": f"the API returns no records before this date; {STATEMENT_REASON}"})
        effective = ep.earliest_ms
    if ep.retention_ms:
        horizon = now_ms - ep.retention_ms + RETENTION_SAFETY_MS
        if effective < horizon:
            beyond.append({"product": ep.product, "endpoint": ep.name, "before": horizon,
                           "reason": f"beyond the API's retention horizon; {STATEMENT_REASON}"})
            effective = horizon
    return effective, beyond


def _is_cursor_chain(ep: Endpoint) -> bool:
    return ep.pagination in ("from_id", "from_id_exclusive", "record_id")


def _variants(ep: Endpoint, inputs: PlanInputs | None = None) -> list[dict[str, Any]]:
    override = inputs.variants.get(ep.name) if inputs is not None else None
    if override is not None:
        return [dict(v) for v in override]
    needs_pairs = ep.extra.get("isolated_variant_params")
    if isinstance(needs_pairs, dict):
        return _with_isolated_pairs(ep, needs_pairs, inputs)
    from_scope = ep.extra.get("variants_from_scope")
    if isinstance(from_scope, dict):
        return _scope_variants(from_scope, inputs)
    return [dict(v) for v in ep.variants] or [{}]


def _scope_variants(from_scope: Mapping[str, Any], inputs: PlanInputs | None) -> list[dict[str, Any]]:
    """One variant per discovered scope member and parameter (sub-account transfers: fromEmail=e
    and toEmail=e per sub-account e), times each fixed parameter set of `with` if given (futures
    transfers: email=e with futuresType 1 and 2). An empty scope (not a master account) plans nothing."""
    members = (inputs.symbols.get(str(from_scope["scope"])) if inputs else None) or []
    fixed = [dict(f) for f in from_scope.get("with", ())] or [{}]
    return [{param: member, **f} for member in dict.fromkeys(members) for param in from_scope["params"]
            for f in fixed]


def _with_isolated_pairs(ep: Endpoint, needs_pairs: Mapping[str, tuple[str, ...]],
                         inputs: PlanInputs | None) -> list[dict[str, Any]]:
    """Variants that Binance answers only with the isolated pair(s) named (universal transfer
    ISOLATEDMARGIN_*: fromSymbol/toSymbol), once per discovered isolated pair (or pair of pairs)."""
    pairs = list(dict.fromkeys((inputs.symbols.get(ISOLATED_SCOPE) if inputs else None) or []))
    out: list[dict[str, Any]] = []
    for variant in ep.variants:
        names = next((needs_pairs[v] for v in variant.values() if v in needs_pairs), None)
        if names is None:
            out.append(dict(variant))
            continue
        for combo in itertools.product(pairs, repeat=len(names)):
            out.append({**variant, **dict(zip(names, combo, strict=True))})
    return out


def _symbol_variants(ep: Endpoint, symbols: list[str | None],
                     inputs: PlanInputs) -> list[tuple[str | None, dict[str, Any]]]:
    return [(symbol, params) for symbol in symbols for params in _variants(ep, inputs)]


def _scoped_variants(ep: Endpoint, inputs: PlanInputs) -> list[tuple[str | None, dict[str, Any]]] | None:
    """(symbol, params) per variant whose symbol list is its own scope (margin myTrades:
    isIsolated=FALSE over the cross pairs, TRUE over the isolated pairs); None without scopes."""
    scopes = ep.extra.get("variant_symbol_scope")
    if not ep.requires_symbol or not isinstance(scopes, dict):
        return None
    out: list[tuple[str | None, dict[str, Any]]] = []
    for params in _variants(ep, inputs):
        scope = next((scopes[v] for v in params.values() if v in scopes), None)
        listed = inputs.symbols.get(scope or "", inputs.symbols.get(ep.name, []))
        out.extend((symbol, params) for symbol in dict.fromkeys(listed))
    return out


def _missing_scopes(ep: Endpoint, inputs: PlanInputs) -> list[str]:
    """Symbol scopes this endpoint needs that discovery could not establish (not even empty)."""
    scopes = ep.extra.get("variant_symbol_scope")
    needed = set(scopes.values()) if isinstance(scopes, dict) and ep.requires_symbol else set()
    if ep.isolated_symbol_param:
        needed.add(ISOLATED_SCOPE)
    from_scope = ep.extra.get("variants_from_scope")
    if isinstance(from_scope, dict):
        needed.add(str(from_scope["scope"]))
    return sorted(s for s in needed if s in inputs.unknown_scopes)


def _isolated_variants(ep: Endpoint, inputs: PlanInputs) -> list[dict[str, Any]]:
    """Margin endpoints that return cross-margin rows unless an isolated pair is named (spec
    §5.5 "If isolatedSymbol is not sent, crossed margin data will be returned"): one more pass
    per variant and isolated pair, with the pair in `isolated_symbol_param`."""
    if not ep.isolated_symbol_param:
        return []
    pairs = list(dict.fromkeys(inputs.symbols.get(ISOLATED_SCOPE, [])))
    return [{**params, ep.isolated_symbol_param: pair} for pair in pairs for params in _variants(ep, inputs)]


def _variant_floor(ep: Endpoint, params: Mapping[str, Any], inputs: PlanInputs) -> int | None:
    """The earliest time the scope member a variant names can have records, if known."""
    from_scope = ep.extra.get("variants_from_scope")
    if not isinstance(from_scope, dict):
        return None
    floors = inputs.scope_floors.get(str(from_scope["scope"])) or {}
    members = [params[p] for p in from_scope["params"] if p in params]
    return floors.get(members[0]) if members else None


def _priority(ep: Endpoint) -> tuple[int, int]:
    # Endpoints on a per-account (UID) bucket with a high weight are the critical path: no
    # number of IPs speeds them up, so they start first; cheap IP-bucket work fills in around.
    return (0 if ep.bucket.kind == "uid" else 1, -ep.weight)


def _missing_windows(ep: Endpoint, inputs: PlanInputs, start: int, symbol: str | None,
                     params: dict[str, Any]) -> list[tuple[int | None, int | None]]:
    """Task windows over what the ledger does not prove read of this scope (plus overlaps)."""
    covered = inputs.covered or {}
    scope = scope_key(ep.name, params, symbol)
    known = intervals.merge([*covered.get(scope, []), *covered.get("*", [])])
    out: list[tuple[int | None, int | None]] = []
    for a, b in intervals.to_read(known, start, inputs.now_ms, settle_ms=ep.settle_ms,
                                  late_overlap_ms=inputs.late_overlap_ms):
        out.extend(windows(a, b, task_span(ep, inputs.task_span_ms)))
    return out


def _chain_resume(ep: Endpoint, inputs: PlanInputs, symbol: str | None,
                  params: dict[str, Any]) -> dict[str, Any] | None:
    """Where an incremental walk of this id chain starts: the last finished walk's end."""
    if inputs.covered is None or not ep.chain_resumable:
        return None
    resume = inputs.chain_next.get(scope_key(ep.name, params, symbol))
    return None if resume is None else resume_state(ep, resume, inputs.now_ms)


def _known_of(inputs: PlanInputs, *endpoints: str) -> list[tuple[int, int]]:
    """What the ledger proves read of these endpoints' unscoped histories (plus the user's files)."""
    covered = inputs.covered or {}
    return intervals.merge([iv for name in endpoints for iv in covered.get(scope_key(name, {}, None), [])]
                           + list(covered.get("*", [])))


def build_plan(inputs: PlanInputs) -> Plan:
    tasks: list[TaskSpec] = []
    beyond: list[dict[str, Any]] = []
    not_planned: list[dict[str, str]] = []
    coverage: dict[str, dict[str, Any]] = {}

    wanted = inputs.include | frozenset(name for name, v in inputs.variants.items() if v)
    for ep in sorted(planned_endpoints(wanted, inputs.only), key=_priority):
        reason = gate(ep, inputs.permissions, inputs.products)
        if reason:
            not_planned.append({"endpoint": ep.name, "product": ep.product, "reason": reason})
            continue
        symbols: list[str | None] = [None]
        note = inputs.symbol_notes.get(ep.name)
        scoped = _scoped_variants(ep, inputs)
        missing_scopes = _missing_scopes(ep, inputs)
        if missing_scopes:
            not_planned.append({"endpoint": ep.name, "product": ep.product,
                                "reason": "the account's " + " and ".join(missing_scopes)
                                          + " symbols could not be discovered"})
            if scoped is not None or ep.extra.get("variants_from_scope"):
                continue
        if ep.requires_symbol and scoped is None:
            listed = inputs.symbols.get(ep.name, inputs.symbols.get(ep.product))
            if not listed and note is None:
                not_planned.append({"endpoint": ep.name, "product": ep.product,
                                    "reason": "no market list for this endpoint"})
                continue
            symbols = list(dict.fromkeys(listed or []))
        from_ms = inputs.start_ms
        if ep.settle_ms:  # records still pending at the last sync are read again (catalogue)
            from_ms = min(from_ms, inputs.now_ms - ep.settle_ms)
        start, cut = clip(ep, from_ms, inputs.now_ms)
        beyond.extend(cut)
        cov = coverage.setdefault(ep.product, {"from": start, "to": inputs.now_ms, "endpoints": []})
        cov["from"] = min(cov["from"], start)
        cov["endpoints"].append(ep.name)
        if note is not None:
            cov["markets"] = dict(note)
        if ep.extra.get("statement_only"):  # what no endpoint returns: a named gap, never a silent one
            gap = {"endpoint": ep.name, "what": ep.extra["statement_only"]}
            cov.setdefault("statement_only", []).append(gap)

        if _is_cursor_chain(ep) and ep.requires_symbol:
            # The id chain, not time windows: one request per 1000 records, whereas starting at a
            # time means one request per 24 h window (9 per market for a weekly sync, ~3000 for a
            # since_last a year back). An incremental sync resumes each chain at the id where its
            # last finished walk ended (ids only grow with time: every record below it is
            # stored); otherwise the walk starts at the first record. Only a retention horizon
            # moves the start.
            chain_start = start if cut else None
            for symbol, params in scoped if scoped is not None else _symbol_variants(ep, symbols, inputs):
                tasks.append(TaskSpec(ep.name, chain_start, inputs.now_ms, symbol, params,
                                      cursor=_chain_resume(ep, inputs, symbol, params)))
            continue
        if ep.start_param is None:
            spans: list[tuple[int | None, int | None]] = [(None, None)]
        else:
            spans = list(windows(start, inputs.now_ms, task_span(ep, inputs.task_span_ms)))
        for symbol, params in [*_symbol_variants(ep, symbols, inputs),
                               *((None, p) for p in _isolated_variants(ep, inputs))]:
            scope_spans = spans
            floor = _variant_floor(ep, params, inputs)
            scope_start = max(start, floor) if floor is not None and ep.start_param is not None else start
            if scope_start != start:  # nothing of this scope member can be older
                scope_spans = windows(scope_start, inputs.now_ms, task_span(ep, inputs.task_span_ms))
            if inputs.covered is not None and ep.start_param is not None:
                scope_spans = _missing_windows(ep, inputs, scope_start, symbol, params)
            for w_start, w_end in scope_spans:
                tasks.append(TaskSpec(ep.name, w_start, w_end, symbol, params))
    # Futures history past the live horizons: asynchronous exports (export_plan.py).
    planned_names = {t.endpoint for t in tasks}
    export_tasks, export_beyond, covered = plan_exports(
        planned_names, inputs.start_ms, inputs.now_ms,
        lambda ep: gate(ep, inputs.permissions, inputs.products),
        covered_of=None if inputs.covered is None else lambda *names: _known_of(inputs, *names),
        quota_left=inputs.export_quota_left)
    tasks.extend(export_tasks)
    beyond = [b for b in beyond if b["endpoint"] not in covered] + export_beyond
    for spec in export_tasks:
        cov = coverage.setdefault(ENDPOINTS[spec.endpoint].product,
                                  {"from": spec.window_start, "to": inputs.now_ms, "endpoints": []})
        cov["from"] = min(cov["from"], spec.window_start)
        if spec.endpoint not in cov["endpoints"]:
            cov["endpoints"].append(spec.endpoint)
    return Plan(tasks=tasks, beyond_retention=beyond, not_planned=not_planned, coverage=coverage)


# ------------------------------------------------------------------ spot market selection
FULL_WALK_EVERY_MS = 28 * DAY_MS
RULE_ALL = "all_markets"
RULE_CHANGED = "traded_or_balance_changed"


@dataclass(frozen=True)
class MarketSelection:
    symbols: list[str]
    note: dict[str, Any]  # rule, walked, of, reason[, changed_assets]; recorded on the spot coverage

    @property
    def walks_every_market(self) -> bool:
        return self.note["rule"] == RULE_ALL


def _amount(value: Any) -> Decimal:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        # An unreadable stored amount cannot prove "unchanged": treat it as a change.
        return Decimal("NaN")


def changed_assets(before: Mapping[str, Any], now: Mapping[str, Any]) -> set[str]:
    """Assets whose total differs between two balance maps (missing = 0, Decimal compare)."""
    changed = set()
    for asset in set(before) | set(now):
        a, b = _amount(before.get(asset, 0)), _amount(now.get(asset, 0))
        if a.is_nan() or b.is_nan() or a != b:
            changed.add(asset)
    return changed


def select_markets(mode: str, markets: Mapping[str, Mapping[str, Any]], *, now_ms: int,
                   balances: Mapping[str, Any] | None, last_balances: Mapping[str, Any] | None,
                   traded: Iterable[str] | None, last_all_markets_at: int | None,
                   full_walk_every_ms: int = FULL_WALK_EVERY_MS) -> MarketSelection:
    """The spot markets a sync in `mode` walks (rule in the module docstring), with the reason.

    `markets`: symbol -> {base, quote, status} (`markets.merge_and_save`). `balances`: this plan's
    snapshot, None when it could not be read. `last_balances`, `traded`, `last_all_markets_at`:
    from the connection, set by the last successful syncs.
    """
    every = sorted(markets)

    def walk_all(reason: str) -> MarketSelection:
        return MarketSelection(every, {"rule": RULE_ALL, "walked": len(every), "of": len(every),
                                       "reason": reason})

    if mode != "incremental":
        return walk_all(f"a {mode} sync walks every market")
    if balances is None:
        return walk_all("the spot balances could not be read at plan time")
    if last_balances is None:
        return walk_all("no balance snapshot from an earlier successful sync")
    if traded is None:
        return walk_all("the markets with stored fills are not known yet")
    if last_all_markets_at is None or now_ms - int(last_all_markets_at) >= full_walk_every_ms:
        days = full_walk_every_ms // DAY_MS
        return walk_all(f"no walk of every market in the last {days} days (one is due)")

    traded_set = set(traded)
    changed = changed_assets(last_balances, balances)
    chosen = set(traded_set)
    for symbol, entry in markets.items():
        base, quote = entry.get("base"), entry.get("quote")
        if not base or not quote or base in changed or quote in changed:
            chosen.add(symbol)  # a market without known assets cannot be ruled out
    symbols = sorted(chosen)
    return MarketSelection(symbols, {
        "rule": RULE_CHANGED, "walked": len(symbols), "of": len(set(every) | chosen),
        "reason": f"markets with stored fills ({len(traded_set)}) and markets of an asset whose spot "
                  f"balance changed since the last successful sync ({len(changed)} assets)",
        "changed_assets": sorted(changed),
    })
