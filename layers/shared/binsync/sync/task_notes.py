"""What a task learns about the completeness of what it read, written on its row (`error` note).

Finish (and the coverage ledger) reads these keys from `TaskModel.error` of done tasks:

- `incomplete`: {"cause", "reason", "windows"}: the task could not read everything its window
  holds. Cause `same_millisecond_overflow`: a window-only endpoint returned a full page for a
  1-ms window, so more than `limit` records share that millisecond and bisection cannot split
  them (the rows returned are stored; the others are unreachable through this endpoint).
- `income_symbols`: the futures symbols the income rows named (usdm/coinm income): Finish
  checks that each was walked by the family's userTrades tasks.
- `unknown_types`: {incomeType: count} of income rows whose type has no mapping to a kind
  (kept as kind `other` with their legs, counted as a gap).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from binsync.binance.catalogue import Endpoint

SAME_MS_OVERFLOW = "same_millisecond_overflow"
MAX_WINDOWS = 20
INCOME_ENDPOINTS = frozenset({"usdm.income", "coinm.income"})


class TaskWatch:
    def __init__(self, endpoint: Endpoint):
        self.endpoint = endpoint
        self.windows: list[list[int]] = []
        self.overflows = 0
        self.symbols: set[str] = set()
        self.unknown: Counter[str] = Counter()

    def page(self, page: Any, transactions: list[Any]) -> None:
        if getattr(page, "truncated", False):
            self.overflows += 1
            window = getattr(page, "truncated_window", None)
            if window and len(self.windows) < MAX_WINDOWS:
                self.windows.append(list(window))
        if self.endpoint.name in INCOME_ENDPOINTS:
            for tx in transactions:
                meta = tx.meta or {}
                if meta.get("symbol"):
                    self.symbols.add(str(meta["symbol"]))
                if meta.get("unknown_income_type"):
                    self.unknown[str(meta.get("incomeType"))] += 1

    def note(self, note: dict[str, Any] | None) -> dict[str, Any] | None:
        out = dict(note or {})
        if self.overflows:
            limit = self.endpoint.page_size
            out["incomplete"] = {
                "cause": SAME_MS_OVERFLOW, "endpoint": self.endpoint.name, "windows": self.windows,
                "count": self.overflows,
                "reason": f"more than {limit} records share one millisecond: Binance returns only {limit} "
                          "of them and the window cannot be split further; the others are not read",
            }
        if self.symbols:
            out["income_symbols"] = sorted(self.symbols)
        if self.unknown:
            out["unknown_types"] = dict(self.unknown)
        return out or None
