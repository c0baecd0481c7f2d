"""Every record reachable by the API is returned exactly once by a full walk of its endpoint.

The walk uses binsync's own client (BinanceClient.iter_pages) over every partition the account
has: symbols, variants and isolated pairs. Expected records are the truth's reachable records.
"""

from __future__ import annotations

import time
from collections import Counter

import pytest
from binsync.binance import catalogue
from binsync.binance.client import BinanceClient
from binsync.binance.signing import Credentials
from binsync_local.emulator import EmulatorServer, generate_account

# The client starts walks this far inside a retention horizon (pagination.RETENTION_MARGIN_MS)
# plus the seconds the walk takes: rows that close to the edge may be missed, never duplicated.
EDGE_MS = 5 * 60_000


def _id(ep: catalogue.Endpoint, row: dict) -> tuple:
    return tuple(str(row.get(f)) for f in ep.id_fields)


def _tasks(account, ep: catalogue.Endpoint) -> list[tuple[str | None, dict]]:
    recs = account.truth().api_records(ep.name)
    variants = list(ep.variants) or [{}]
    if ep.extra.get("variants_from") == "mining_accounts":
        variants = [{"algo": "sha256", "userName": account.mining_user}]
    elif ep.extra.get("variants_from") == "mining_algos":
        variants = [{"algo": "sha256"}]
    from_scope = ep.extra.get("variants_from_scope") or {}
    if from_scope.get("with"):
        # email is required (futures transfers): each sub-account with each futures type; a
        # transfer between two sub-accounts comes back for both (walk() counts it once).
        variants = [{from_scope["params"][0]: s["email"], **f} for s in account.sub_accounts
                    for f in from_scope["with"]]
    elif from_scope:
        # Every record once: the master's own transfers (no email: "fromEmail equal to the master
        # account ... by default") and each sub-account's (fromEmail), sub-to-sub ones included.
        variants = [{}, *({"fromEmail": s["email"]} for s in account.sub_accounts)]
    needs_pairs = ep.extra.get("isolated_variant_params") or {}
    if needs_pairs:  # isolated universal-transfer types name their pair(s) (spec §5.3.3)
        variants = [
            {**v, **dict.fromkeys(needs_pairs.get(v.get("type"), ()), "BNBUSDT")} for v in variants
        ]
    symbols: list[str | None] = [None]
    if ep.requires_symbol:
        symbols = sorted({r.part[0] for r in recs})
    tasks = []
    for v in variants:
        for s in symbols:
            if ep.name == "margin.my_trades":
                iso = v.get("isIsolated") == "TRUE"
                if not any(r.part == (s, iso) for r in recs):
                    continue
            tasks.append((s, dict(v)))
            if ep.isolated_symbol_param:
                tasks.append((s, {**v, ep.isolated_symbol_param: "BNBUSDT"}))
    return tasks


def walk(account, server: EmulatorServer, names: list[str]) -> dict[str, Counter]:
    c = server.credentials
    client = BinanceClient(
        Credentials(c["api_key"], c["api_secret"]), c["base_url"], time_scale=60, account_id=c["uid"]
    )
    out: dict[str, Counter] = {}
    for name in names:
        ep = catalogue.endpoint(name)
        got: Counter = Counter()
        overlapping = bool((ep.extra.get("variants_from_scope") or {}).get("with"))
        for symbol, params in _tasks(account, ep):
            start = (
                None
                if ep.pagination in ("from_id", "record_id") and not ep.from_id_with_time
                else account.opened_ms - 86_400_000
            )
            task: Counter = Counter()
            for page in client.iter_pages(ep, symbol=symbol, params=params, start_ms=start):
                task.update(_id(ep, row) for row in page.rows)
            if overlapping:  # duplicates within one task still count; across tasks they are expected
                task = Counter({k: v for k, v in task.items() if k not in got or v > 1})
            got.update(task)
        out[name] = got
    return out


def check(account, got: dict[str, Counter], walk_started_ms: int) -> None:
    truth = account.truth()
    for name, counts in got.items():
        ep = catalogue.endpoint(name)
        expected = Counter(_id(ep, r.raw) for r in truth.api_records(name))
        assert max(counts.values(), default=1) == 1, (
            f"{name}: duplicates {[k for k, v in counts.items() if v > 1]}"
        )
        extra = set(counts) - set(expected)
        assert not extra, f"{name}: unexpected {sorted(extra)[:3]}"
        missing = set(expected) - set(counts)
        if missing and ep.retention_ms:
            edge = walk_started_ms - ep.retention_ms + EDGE_MS
            by_id = {_id(ep, r.raw): r for r in truth.api_records(name)}
            missing = {m for m in missing if by_id[m].time_ms > edge}
        assert not missing, f"{name}: missing {len(missing)} e.g. {sorted(missing)[:3]}"


def history_names(account) -> list[str]:
    return [n for n, ep in catalogue.ENDPOINTS.items() if ep.history and account.records(n)]


def test_full_walk_returns_every_reachable_record_once(server, live_small):
    started = int(time.time() * 1000)
    names = history_names(live_small)
    assert len(names) >= 35
    got = walk(live_small, server, names)
    check(live_small, got, started)
    # The reachable set excludes what only the statement has (REMOVED markets, retention).
    assert sum(len(v) for v in got.values()) < sum(len(live_small.records(n)) for n in names)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [3])
def test_full_walk_other_seeds(seed):
    account = generate_account("small", seed)
    with EmulatorServer(account, time_scale=60) as srv:
        started = int(time.time() * 1000)
        check(account, walk(account, srv, history_names(account)), started)


@pytest.mark.slow
def test_reference_walk_of_capped_and_hidden_sources():
    """Reference profile: dust beyond the last 100, 3-month futures income, BREAK and TRD_GRP-only
    markets: the API returns exactly the reachable part; the rest is statement-only."""
    account = generate_account("reference", 4)
    truth = account.truth()
    dust_cap = catalogue.endpoint("wallet.dust").retention_records
    assert len(account.records("wallet.dust")) > dust_cap
    assert len(truth.api_records("wallet.dust")) <= 2 * dust_cap
    brk = next(m.symbol for m in account.markets if m.status == "BREAK")
    hidden = next(m.symbol for m in account.markets if m.permission_sets == (("TRD_GRP_004",),))
    with EmulatorServer(account, time_scale=60) as srv:
        started = int(time.time() * 1000)
        got = walk(account, srv, ["wallet.dust", "usdm.income", "options.bill"])
        check(account, got, started)
        c = srv.credentials
        client = BinanceClient(Credentials(c["api_key"], c["api_secret"]), c["base_url"], time_scale=60)
        for sym in (brk, hidden):
            rows = [r for p in client.iter_pages("spot.my_trades", symbol=sym) for r in p.rows]
            assert len(rows) == sum(1 for r in account.records("spot.my_trades") if r.part == (sym,)) > 0
    only = truth.statement_only()
    assert any(r.endpoint == "wallet.dust" for e in only for r in e.api)
    assert any(r.endpoint == "usdm.income" for e in only for r in e.api)
