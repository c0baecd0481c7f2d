"""Streaming parser of Binance's "Transaction History" statement (spec/binance-statement.md).

`StatementParser.iter_transactions(fh)` reads rows one at a time and yields unified
`Transaction`s as soon as their events are complete. Memory holds one *cluster* (rows whose
seconds chain with gaps of at most 1 s, in file order, so an event and its +1 s spill-over are
always inside it), never the file; files sorted either way (Binance writes newest first, users
concatenate yearly exports) work. A cluster that would span more than `MAX_SPAN` seconds of
uninterrupted activity is cut between two seconds, which bounds memory for bots that trade every
second; only a spill-over straddling such a cut is lost (both halves are still imported).

Per-row work is kept to plain tuple/dict operations (no pydantic, no regex, no strptime): times
are parsed by slicing with a per-day cache, Change with `Decimal()` (scientific notation and
decimal commas accepted), Operation and Account lookups are cached per distinct string.

A malformed row (missing column, bad date, bad number, unknown Account, empty Coin, another
User_ID) is rejected with its line number and reason; every other row is still imported. An
unknown Operation is not malformed: it becomes kind `other` and is counted in
`stats.unknown_operations`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from binsync.model import Transaction, format_decimal
from binsync.statement import limits
from binsync.statement.events import EventBuilder
from binsync.statement.operations import account_wallet, lookup, normalise
from binsync.statement.reader import _ALIASES, Table, open_table

MAX_SPAN = 300  # seconds of uninterrupted activity held in one cluster
MAX_REJECTED_KEPT = 10_000  # reasons kept in the report; the count is always exact
_EPOCH = date(1970, 1, 1).toordinal()


class UidMismatchError(ValueError):
    """The file's User_ID is not the Binance uid the upload is attached to."""


@dataclass
class Rejected:
    line: int
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"line": self.line, "reason": self.reason}


@dataclass
class ParseStats:
    rows: int = 0
    accepted: int = 0
    rejected_count: int = 0
    rejected: list[Rejected] = field(default_factory=list)
    unknown_operations: dict[str, int] = field(default_factory=dict)
    first_sec: int | None = None
    last_sec: int | None = None
    sums: dict[tuple[str, str], Decimal] = field(default_factory=dict)  # (coin, wallet) -> Change sum
    uid: str | None = None
    file_kind: str = ""
    container: str = ""
    transactions: int = 0

    def reject(self, line: int, reason: str) -> None:
        self.rejected_count += 1
        if len(self.rejected) < MAX_REJECTED_KEPT:
            self.rejected.append(Rejected(line, reason))

    def period(self) -> dict[str, str] | None:
        if self.first_sec is None or self.last_sec is None:
            return None
        from binsync.statement.events import _time_text

        return {"from": _time_text(self.first_sec), "to": _time_text(self.last_sec)}

    def to_dict(self) -> dict[str, Any]:
        from binsync.model import format_decimal

        return {
            "format": self.file_kind, "container": self.container, "uid": self.uid,
            "rows": self.rows, "accepted_rows": self.accepted, "transactions": self.transactions,
            "rejected_count": self.rejected_count,
            "rejected": [r.to_dict() for r in self.rejected],
            "unknown_operations": dict(sorted(self.unknown_operations.items())),
            "period": self.period(),
            "sums": [{"asset": coin, "wallet": wallet, "change": format_decimal(total)}
                     for (coin, wallet), total in sorted(self.sums.items())],
        }


def parse_time(text: str, _days: dict[str, int] = {}) -> int:  # noqa: B006 - deliberate cache
    """UTC epoch seconds of `YYYY-MM-DD HH:MM:SS` (also `/`, `T`, 2-digit years, no seconds,
    `DD/MM/YYYY ...`). Raises ValueError naming the problem."""
    t = text.strip()
    n = len(t)
    if n >= 19 and t[4] in "-/" and t[10] in " T":
        day, clock = t[:10], t[11:19]
        order = "ymd"
    elif n >= 16 and t[4] in "-/" and t[10] in " T":
        day, clock = t[:10], t[11:16] + ":00"
        order = "ymd"
    elif n >= 17 and t[2] in "-" and t[8] == " ":  # 25-01-31 12:00:00
        day, clock = "20" + t[:8], t[9:17]
        order = "ymd"
    elif n >= 19 and t[2] in "/." and t[5] in "/." and t[10] == " ":  # 31/01/2025 12:00:00
        day, clock = t[:10], t[11:19]
        order = "dmy"
    else:
        raise ValueError(f"bad date {text!r} (expected YYYY-MM-DD HH:MM:SS)")
    days = _days.get(day)
    if days is None:
        try:
            if order == "ymd":
                days = date(int(day[0:4]), int(day[5:7]), int(day[8:10])).toordinal() - _EPOCH
            else:
                days = date(int(day[6:10]), int(day[3:5]), int(day[0:2])).toordinal() - _EPOCH
        except ValueError:
            raise ValueError(f"bad date {text!r}") from None
        if len(_days) > 100_000:
            _days.clear()
        _days[day] = days
    try:
        hh, mm, ss = int(clock[0:2]), int(clock[3:5]), int(clock[6:8])
    except ValueError:
        raise ValueError(f"bad time of day in {text!r}") from None
    if not (0 <= hh < 24 and 0 <= mm < 60 and 0 <= ss < 61) or clock[2] != ":" or clock[5] != ":":
        raise ValueError(f"bad time of day in {text!r}")
    return days * 86400 + hh * 3600 + mm * 60 + ss


def parse_amount(text: str) -> Decimal:
    """Decimal of a Change cell: plain, scientific (`-3.605E-05`) or decimal comma (`-0,5`)."""
    try:
        value = Decimal(text)
    except (InvalidOperation, ValueError):
        cleaned = text.strip().replace("\u2212", "-").replace(" ", "").replace("\u00a0", "")
        if "," in cleaned and "." not in cleaned:
            cleaned = cleaned.replace(",", ".")
        try:
            value = Decimal(cleaned)
        except (InvalidOperation, ValueError):
            raise ValueError(f"bad number {text[:40]!r} in Change") from None
    error = limits.amount_error(value, text)
    if error:
        raise ValueError(error)
    return value


class StatementParser:
    """Parse one statement file of one Binance account.

    uid: the Binance uid to use when the file has no User_ID column (legacy 6 columns).
    expected_uid: the connection's uid; a file whose User_ID differs raises UidMismatchError.
    tz_offset_seconds: when the file's times are not UTC (rotki's "import with timezone").
    """

    def __init__(self, uid: str | None = None, expected_uid: str | None = None,
                 source_ref: str = "statement", keep_raw: bool = True, tz_offset_seconds: int = 0) -> None:
        self.uid = uid or expected_uid
        self.expected_uid = expected_uid
        self.source_ref = source_ref
        self.keep_raw = keep_raw
        self.tz_offset = tz_offset_seconds
        self.stats = ParseStats()

    def iter_transactions(self, fh: IO[bytes]) -> Iterator[Transaction]:
        table = open_table(fh)
        self.stats.file_kind = table.kind
        self.stats.container = table.container
        if table.kind == "waltio":
            from binsync.statement.waltio import iter_waltio_transactions

            source = iter_waltio_transactions(table, self)
        else:
            source = self._statement(table)
        for tx in source:
            self.stats.transactions += 1
            yield tx

    def _statement(self, table: Table) -> Iterator[Transaction]:
        stats = self.stats
        cols = table.columns
        i_uid, i_time, i_acct = cols["user_id"], cols["utc_time"], cols["account"]
        i_op, i_coin, i_change, i_remark = cols["operation"], cols["coin"], cols["change"], cols["remark"]
        needed = max(i_time, i_acct, i_op, i_coin, i_change) + 1
        names = {i_time: "UTC_Time", i_acct: "Account", i_op: "Operation", i_coin: "Coin", i_change: "Change"}
        file_uid: str | None = None
        builder: EventBuilder | None = None
        wallets: dict[str, str | None] = {}
        specs: dict[tuple[str, str], tuple] = {}
        sums = stats.sums
        unknown = stats.unknown_operations
        offset = self.tz_offset
        last_time_text = None
        last_sec = 0
        cluster: list[tuple] = []
        seen: dict[tuple, int] = {}
        lo = hi = prev_sec = 0
        same_second = 0  # consecutive rows of one second: they are one cluster, held in memory
        first_sec: int | None = None
        last_seen_sec: int | None = None
        rows = accepted = 0
        boundary = False  # a repeated header: the next row starts a new file, never joins a cluster

        for line, cells in table.rows:
            rows += 1
            if len(cells) < needed:
                missing = [name for index, name in sorted(names.items()) if index >= len(cells)]
                stats.reject(line, f"missing column {', '.join(missing)} (row has {len(cells)} cells)")
                continue
            # --- account uid
            if i_uid >= 0 and i_uid < len(cells):
                row_uid = cells[i_uid].strip()
                if row_uid != file_uid:
                    if file_uid is None and row_uid:
                        if self.expected_uid and row_uid != self.expected_uid:
                            raise UidMismatchError(
                                f"the statement's User_ID {row_uid} (line {line}) is not the Binance uid "
                                f"{self.expected_uid} of the connection this upload belongs to")
                        file_uid = row_uid
                    elif _ALIASES.get(row_uid.lower()) == "user_id":
                        rows -= 1  # the header of a concatenated export: not a row, a file boundary
                        boundary = True
                        continue
                    else:
                        stats.reject(line, f"User_ID {row_uid!r} differs from the file's {file_uid}")
                        continue
            # --- time
            time_text = cells[i_time]
            if time_text == last_time_text:
                sec = last_sec
            else:
                try:
                    sec = parse_time(time_text) - offset
                    if limits.time_error(sec, time_text):
                        raise ValueError(limits.time_error(sec, time_text))
                except ValueError as exc:
                    if _ALIASES.get(time_text.strip().lower()) == "utc_time":
                        rows -= 1  # the header of a concatenated export: not a row, a file boundary
                        boundary = True
                        continue
                    stats.reject(line, str(exc))
                    continue
                last_time_text, last_sec = time_text, sec
            # --- account
            account = cells[i_acct]
            wallet = wallets.get(account, "")
            if wallet == "":
                wallet = wallets[account] = account_wallet(account)
            if wallet is None:
                stats.reject(line, f"unknown Account {account!r}")
                continue
            # --- amount, coin
            change = cells[i_change]
            try:
                amount = Decimal(change)
                if limits.amount_error(amount, change):
                    raise InvalidOperation
                change = change.strip()
                if "E" in change or "e" in change:  # canonical text for row keys
                    change = format_decimal(amount)
            except (InvalidOperation, ValueError):
                try:
                    amount = parse_amount(change)
                except ValueError as exc:
                    stats.reject(line, str(exc))
                    continue
                change = format_decimal(amount)
            coin = cells[i_coin].strip()
            if not coin:
                stats.reject(line, "empty Coin")
                continue
            op = cells[i_op]
            entry = specs.get((op, wallet))
            if entry is None:
                if not op.strip():
                    stats.reject(line, "empty Operation")
                    continue
                entry = specs[(op, wallet)] = (lookup(op, wallet), normalise(op), op.strip())
            spec, opkey, op_name = entry
            if not spec.known:
                unknown[op_name] = unknown.get(op_name, 0) + 1
            remark = cells[i_remark].strip() if 0 <= i_remark < len(cells) else ""
            accepted += 1
            key = (coin, wallet)
            sums[key] = sums.get(key, 0) + amount
            if first_sec is None:
                first_sec = last_seen_sec = sec
            elif sec < first_sec:
                first_sec = sec
            elif sec > last_seen_sec:  # type: ignore[operator]
                last_seen_sec = sec
            # --- clustering
            if cluster and (boundary or sec < lo - 1 or sec > hi + 1
                            or (sec != prev_sec and (hi - lo >= MAX_SPAN or len(cluster) >= 200_000))):
                if builder is None:
                    builder = self._builder(file_uid)
                yield from builder.build(cluster)
                cluster = []
                seen.clear()
            boundary = False
            if not cluster:
                lo = hi = sec
            elif sec < lo:
                lo = sec
            elif sec > hi:
                hi = sec
            same_second = same_second + 1 if cluster and sec == prev_sec else 1
            if same_second > limits.MAX_ROWS_PER_SECOND:
                raise limits.rows_per_second_error(line, same_second, time_text)  # type: ignore[misc]
            prev_sec = sec
            ident = (sec, wallet, opkey, coin, amount, remark)
            occ = seen.get(ident, 0)
            seen[ident] = occ + 1
            cluster.append((line, sec, wallet, account, op_name, spec, coin, amount, remark, opkey, occ,
                            time_text, change))

        if cluster:
            if builder is None:
                builder = self._builder(file_uid)
            yield from builder.build(cluster)
        stats.rows += rows
        stats.accepted += accepted
        stats.first_sec, stats.last_sec = first_sec, last_seen_sec
        stats.uid = file_uid or self.uid or (builder.account if builder else None)

    def _builder(self, file_uid: str | None) -> EventBuilder:
        account = file_uid or self.uid or "unknown"
        self.stats.uid = account
        return EventBuilder(account, self.source_ref, self.keep_raw)

    def parse(self, fh: IO[bytes]) -> list[Transaction]:
        """Whole-file convenience for tests and small files (the handler streams)."""
        out = list(self.iter_transactions(fh))
        return out


def parse_file(path: str, **kwargs: Any) -> tuple[list[Transaction], ParseStats]:
    parser = StatementParser(**kwargs)
    with open(path, "rb") as fh:
        txs = parser.parse(fh)
    return txs, parser.stats
