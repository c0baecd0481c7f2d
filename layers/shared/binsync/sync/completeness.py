"""How complete a run's data is, in one state and in words (issue 15 item 3).

States, worst first:
- `unexplained_differences`: a reconciliation difference has no known cause.
- `gaps_named`: part of the history is not read, and each such part is named (endpoint, market
  or variant, period, cause): a task that failed or stopped, an endpoint the key cannot read, a
  period only a statement can fill and none was uploaded for.
- `complete`: every planned scope is proven read over its whole period (coverage ledger), every
  period beyond the API is covered by an uploaded statement or the user's files, and no balance
  differs without a cause.

Inputs (`assess`):
- `gaps`: `Gap`s, built from a run by `run_gaps` (this module), or by anyone else.
- `differences`: reconciliation differences, one mapping each (wallet, asset, difference, and
  optionally period and cause). A difference without a `cause`, or with cause `unexplained`, is
  unexplained; any other cause explains it (it is listed, not counted against the state).
  `reconciliation_differences` extracts them from the run's `reconciliation` (the every-wallet
  shape of `binsync.sync.reconcile_wallets`, whose `results` with status `difference` carry
  their cause; the older spot shape of `binsync.sync.reconcile`, or
  `{"wallets": [{"wallet", "differences": [...]}, ...]}`).

The result (`Completeness.to_dict`) is stored on the run and on its connection (`completeness`)
and returned by the API; `words` is the sentence the CLI and the demo print.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from binsync.sync import intervals
from binsync.sync.ledger import BINANCE_LAUNCH_MS, Ledger, scope_key, unread_reason

COMPLETE = "complete"
GAPS_NAMED = "gaps_named"
UNEXPLAINED = "unexplained_differences"
STATES = (COMPLETE, GAPS_NAMED, UNEXPLAINED)
MAX_LISTED = 100

# Gap kinds
UNREAD = "unread"              # the API can serve it; this sync did not read it (a retry will)
NOT_PLANNED = "not_planned"    # the key or account cannot read it (permission, product)
STATEMENT_ONLY = "statement_only"  # beyond the API's reach: only a statement can fill it


@dataclass(frozen=True)
class Gap:
    endpoint: str
    product: str
    kind: str
    cause: str
    start_ms: int | None = None
    end_ms: int | None = None
    symbol: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    covered_by: str | None = None  # "statement" | "user_files": filled by files, not a gap any more

    def words(self) -> str:
        scope = self.endpoint + (f" {self.symbol}" if self.symbol else "")
        if self.params:
            scope += " (" + ", ".join(f"{k}={v}" for k, v in sorted(self.params.items())) + ")"
        return f"{scope} {period_words(self.start_ms, self.end_ms)}: {self.cause}"


def _day(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M")


def period_words(start_ms: int | None, end_ms: int | None) -> str:
    if start_ms is None and end_ms is None:
        return "(period unknown)"
    if start_ms is None:
        return f"before {_day(int(end_ms) + 1)}"  # type: ignore[arg-type]
    return f"{_day(start_ms)} .. {_day(end_ms)}" if end_ms is not None else f"from {_day(start_ms)}"


def is_unexplained(difference: Mapping[str, Any]) -> bool:
    return str(difference.get("cause") or "unexplained") == "unexplained"


@dataclass
class Completeness:
    state: str
    words: str
    gaps: list[Gap]
    explained: list[Gap]  # periods beyond the API that files cover
    differences: list[dict[str, Any]]
    unexplained: int

    def to_dict(self) -> dict[str, Any]:
        return {"state": self.state, "words": self.words,
                "gaps": [{**asdict(g), "words": g.words()} for g in self.gaps[:MAX_LISTED]],
                "gaps_total": len(self.gaps),
                "covered_by_files": [{**asdict(g), "words": g.words()} for g in self.explained[:MAX_LISTED]],
                "differences": self.differences[:MAX_LISTED], "differences_total": len(self.differences),
                "unexplained_differences": self.unexplained}


def assess(gaps: Iterable[Gap], differences: Sequence[Mapping[str, Any]] = ()) -> Completeness:
    gaps = list(gaps)
    open_gaps = [g for g in gaps if g.covered_by is None]
    explained = [g for g in gaps if g.covered_by is not None]
    listed = [dict(d) for d in differences]
    unexplained = sum(1 for d in listed if is_unexplained(d))
    if unexplained:
        state = UNEXPLAINED
        words = (f"unexplained differences: {unexplained} balance(s) differ from Binance with no known cause"
                 + (f"; and {len(open_gaps)} gap(s) named" if open_gaps else ""))
    elif open_gaps:
        state = GAPS_NAMED
        first = "; ".join(g.words() for g in open_gaps[:3])
        more = f" (and {len(open_gaps) - 3} more)" if len(open_gaps) > 3 else ""
        words = f"gaps named: {len(open_gaps)} part(s) of the history not read: {first}{more}"
    else:
        state = COMPLETE
        words = "complete: every planned endpoint is proven read over its whole period"
        if explained:
            words += f"; {len(explained)} period(s) beyond the API covered by uploaded files"
    return Completeness(state, words, open_gaps, explained, listed, unexplained)


def reconciliation_differences(reconciliation: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """The differences of a run's `reconciliation`, each with its wallet."""
    if not reconciliation:
        return []
    if isinstance(reconciliation.get("results"), list):  # every wallet (binsync.sync.reconcile_wallets)
        return [dict(r) for r in reconciliation["results"] if r.get("status") == "difference"]
    wallets = reconciliation.get("wallets")
    if isinstance(wallets, Mapping):
        wallets = [{"wallet": name, **dict(body)} for name, body in wallets.items()]
    reports = wallets if isinstance(wallets, list) else [reconciliation]
    out: list[dict[str, Any]] = []
    for report in reports:
        for difference in report.get("differences") or []:
            out.append({"wallet": report.get("wallet", "spot"), **dict(difference)})
    return out


STATEMENT_HOLE = ("; no uploaded statement shows this product's wallets in this period (one exported for "
                  "every Account has no rows where nothing moved: if so, nothing is missing)")


def _statement_only_gaps(entry: Mapping[str, Any], ledger: Ledger, product: str, floor_ms: int) -> list[Gap]:
    """A period only the statement can fill: explained when the user's files or the uploaded
    statements cover it; else the parts no file covers, each named (a year whose file shows no
    margin row leaves that year open, not the whole period)."""
    before = entry.get("before")
    base = dict(endpoint=entry.get("endpoint", ""), product=product, kind=STATEMENT_ONLY,
                symbol=entry.get("symbol"), params=dict(entry.get("params") or {}))
    reason = entry.get("reason", "")
    if before is None:
        return [Gap(cause=reason, **base)]
    end = int(before) - 1
    if intervals.covers(ledger.user_files, BINANCE_LAUNCH_MS, end):
        return [Gap(cause=reason, start_ms=floor_ms, end_ms=end, covered_by="user_files", **base)]
    statements = intervals.merge(ledger.statements.get(product) or [])
    # The history is taken to start with the user's first uploaded statement, of any product
    # (users export from their first year on); a first file later than the period names it all.
    first = min((spans[0][0] for spans in ledger.statements.values() if spans), default=None)
    if not statements or first is None or first > end:
        return [Gap(cause=reason, start_ms=floor_ms, end_ms=end, **base)]
    holes = intervals.gaps(statements, first, end)
    if not holes:
        return [Gap(cause=reason, start_ms=floor_ms, end_ms=end, covered_by="statement", **base)]
    return [Gap(cause=reason + STATEMENT_HOLE, start_ms=a, end_ms=b, **base) for a, b in holes]


def run_gaps(tasks: Iterable[Any], ledger: Ledger, *, beyond: Iterable[Mapping[str, Any]] = (),
             coverage: Mapping[str, Mapping[str, Any]] | None = None, floor_ms: int = BINANCE_LAUNCH_MS,
             window_end: int | None = None, product_of: Any = None) -> list[Gap]:
    """Every part of a run's planned history that is not proven read, named.

    `tasks`: the run's task rows; `ledger`: the connection's ledger after this run recorded its
    reads (a part another sync read is not a gap); `beyond`: the run's beyond-retention entries;
    `coverage`: the run's per-product coverage (its `not_planned` entries).
    """
    product_of = product_of or (lambda endpoint: endpoint.split(".", 1)[0])
    gaps: list[Gap] = []
    for task in tasks:
        reason = unread_reason(task)
        if reason is None or (task.error or {}).get("beyond_api_reach"):
            continue  # read, or a removed market: named with the beyond-retention entries
        start = int(task.window_start) if task.window_start is not None else floor_ms
        end = task.window_end if task.window_end is not None else window_end
        scope = scope_key(task.endpoint, task.params, task.symbol)
        missing: list[tuple[int, int | None]] = [(start, None)]
        if end is not None:
            missing = list(intervals.gaps(ledger.covered(scope), start, int(end)))
        for a, b in missing:
            gaps.append(Gap(task.endpoint, product_of(task.endpoint), UNREAD, reason, a, b, task.symbol,
                            dict(task.params or {})))
    for product, entry in (coverage or {}).items():
        for skipped in entry.get("not_planned") or []:
            gaps.append(Gap(skipped["endpoint"], product, NOT_PLANNED, skipped["reason"],
                            floor_ms, window_end))
    for entry in beyond:
        product = entry.get("product") or product_of(entry.get("endpoint", ""))
        gaps += _statement_only_gaps(entry, ledger, product, floor_ms)
    return gaps
