"""Binance "Transaction History" statement and Waltio files: read, normalise, merge.

- `reader`: open CSV / zipped CSV / XLSX as a row stream, detect statement vs Waltio.
- `operations`: the Operation and Account catalogue (spec/binance-statement.md §3-§4).
- `events`: rows -> events -> unified transactions (grouping, spill-over, swaps, transfers).
- `parser`: the streaming statement parser with per-row rejection and statistics.
- `merge`: the cross-source match rule and the writer both the sync and the upload use.
- `waltio`: the Waltio import format, read and written.
- `report`: the upload report.
"""

from binsync.statement.parser import ParseStats, Rejected, StatementParser, UidMismatchError, parse_file

__all__ = ["ParseStats", "Rejected", "StatementParser", "UidMismatchError", "parse_file"]
