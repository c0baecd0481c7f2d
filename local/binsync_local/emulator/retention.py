"""Which records an endpoint can still return: retention horizons, record caps, REMOVED markets.

Every number comes from the endpoint catalogue (`retention_ms`, `earliest_ms`,
`retention_records`). Horizons are measured from the account's `now_ms` (the moment the snapshot
was generated), so the server and `Account.truth()` agree to the millisecond. While the catalogue
has no entry for an endpoint, nothing is cut (listed in the emulator's report as a gap).
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from binsync.binance import catalogue

if TYPE_CHECKING:
    from .account import Account, ApiRecord


def catalogue_entry(name: str) -> catalogue.Endpoint | None:
    return catalogue.ENDPOINTS.get(name)


def reachable_records(account: Account, name: str, now_ms: int) -> list[ApiRecord]:
    recs = account.records(name)
    removed = account.removed_symbols
    ep = catalogue_entry(name)
    floor = None
    if ep is not None:
        if ep.retention_ms is not None:
            floor = now_ms - ep.retention_ms
        if ep.earliest_ms is not None:
            floor = ep.earliest_ms if floor is None else max(floor, ep.earliest_ms)
    out = [
        r
        for r in recs
        if (r.symbol is None or r.symbol not in removed)
        and (floor is None or r.time_ms >= floor)
        and r.time_ms <= now_ms
    ]
    cap = ep.retention_records if ep is not None else None
    if cap:
        # "Only return last N records": per partition (e.g. dust per accountType).
        by_part: dict[tuple, list[ApiRecord]] = defaultdict(list)
        for r in out:
            by_part[r.part].append(r)
        keep = set()
        for part_recs in by_part.values():
            keep.update(id(r) for r in part_recs[-cap:])
        out = [r for r in out if id(r) in keep]
    return out


def export_reachable_records(account: Account, name: str, now_ms: int) -> list[ApiRecord]:
    """Records of live endpoint `name` that its asynchronous export returns (spec §5.6.2): the
    export has no horizon of its own, only the product's launch (`earliest_ms` of the export row)."""
    exports = [ep for ep in catalogue.ENDPOINTS.values()
               if ep.pagination == "export" and ep.extra.get("export_of") == name]
    if not exports:
        return []
    floor = min(ep.earliest_ms or 0 for ep in exports)
    removed = account.removed_symbols
    return [r for r in account.records(name)
            if (r.symbol is None or r.symbol not in removed) and floor <= r.time_ms <= now_ms]


def sync_reachable_records(account: Account, name: str, now_ms: int) -> list[ApiRecord]:
    """What a full sync can read of `name`: the live endpoint, plus its export past the horizon
    (only where the live endpoint has one: exports are planned for nothing else)."""
    live = reachable_records(account, name, now_ms)
    ep = catalogue_entry(name)
    if ep is None or not ep.retention_ms:
        return live
    seen = {id(r) for r in live}
    extra = [r for r in export_reachable_records(account, name, now_ms) if id(r) not in seen]
    return live + extra if extra else live
