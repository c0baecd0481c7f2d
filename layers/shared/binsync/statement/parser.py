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

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from binsync.model import Transaction, format_decimal
from binsync.statement import limits
from binsync.statement.events import CHAIN_GAP_S, EventBuilder
from binsync.statement.operations import account_wallet, lookup, normalise
from binsync.statement.reader import _ALIASES, FormatError, Table, open_table
from binsync.statement.reward_records import RewardRecordStats, pair_reward_records
from binsync.statement.timezone import Zone, local_to_utc, parse_zone, resolve_zone

MAX_SPAN = 300  # seconds of uninterrupted activity held in one cluster
MAX_REJECTED_KEPT = 10_000  # reasons kept in the report; the count is always exact
CLUSTER_GAP_S = CHAIN_GAP_S  # seconds between rows that still chain into one cluster
# Occurrence counts of identical rows kept after their cluster closed, so identical rows far
# apart in an unsorted file (rotki's test file) stay distinct events. Bounded: a file sorted
# either way never needs them; past the bound, rows landing on a forgotten second are counted
# in stats.out_of_order_beyond_memory (reported, never silently merged without a word).
HISTORY_ROWS = 20_000
_EPOCH = date(1970, 1, 1).toordinal()


class UidMismatchError(ValueError):
    """The file's User_ID is not the Binance uid the upload is attached to."""


class ZoneRequiredError(FormatError):
    """The file's times are local and nothing says in which zone: the zone must be given."""

    def __init__(self, zone: Zone, time_header: str) -> None:
        super().__init__(
            f"time zone needed: {zone.reason}. Times are not guessed; give the zone the export was "
            "made in (tz on POST /uploads, --tz on the CLI), e.g. +02:00 or Europe/Paris")
        self.zone = zone
        self.time_header = time_header


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
    zone: dict[str, Any] | None = None  # which zone the times were read in, and why
    out_of_order_beyond_memory: int = 0
    layout: str = ""  # header | shape | headerless
    # Simple Earn reward records on Account Earn (their Spot row holds the money)
    reward_records: RewardRecordStats = field(default_factory=RewardRecordStats)

    def reject(self, line: int, reason: str) -> None:
        self.rejected_count += 1
        if len(self.rejected) < MAX_REJECTED_KEPT:
            self.rejected.append(Rejected(line, reason))

    def balance_sums(self) -> dict[tuple[str, str], Decimal]:
        """The Change sums the events' legs add up to: the file's, less the reward records'
        (rows that record a payment another row books)."""
        out = dict(self.sums)
        for key, amount in self.reward_records.sums.items():
            out[key] = out.get(key, Decimal(0)) - amount
            if not out[key]:
                del out[key]
        return out

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
            "time_zone": self.zone, "layout": self.layout,
            "out_of_order_beyond_memory": self.out_of_order_beyond_memory,
            "rejected_count": self.rejected_count,
            "rejected": [r.to_dict() for r in self.rejected],
            "unknown_operations": dict(sorted(self.unknown_operations.items())),
            "reward_records": self.reward_records.to_dict(),
            "period": self.period(),
            "sums": [{"asset": coin, "wallet": wallet, "change": format_decimal(total)}
                     for (coin, wallet), total in sorted(self.sums.items())],
        }


def parse_time(text: str, _days: dict[str, int] = {},  # noqa: B006 - deliberate caches
               _minutes: dict[str, int] = {}) -> int:  # noqa: B006
    """UTC epoch seconds of `YYYY-MM-DD HH:MM:SS` (also `/`, `T`, 2-digit years, no seconds,
    `DD/MM/YYYY ...`). Raises ValueError naming the problem."""
    # Fast path: a minute already parsed in Binance's own layout, two plain digits of seconds
    # (anything else takes the full path below, which also fills this cache).
    if len(text) == 19:
        base = _minutes.get(text[:17])
        if base is not None:
            ss = text[17:19]
            if ss.isdigit() and ss.isascii() and ss < "61":
                return base + int(ss)
    t = text.strip()
    n = len(t)
    if n >= 19 and t[4] in "-/" and t[10] in " T":
        day, clock = t[:10], t[11:19]
        order = "ymd"
    elif n >= 16 and t[4] in "-/" and t[10] in " T":
        day, clock = t[:10], t[11:16] + ":00"
        order = "ymd"
    elif n >= 17 and t[2] == "-" and t[8] == " ":  # 25-01-31 12:00:00
        day, clock = "20" + t[:8], t[9:17]
        order = "ymd"
    elif n >= 19 and t[2] in "/." and t[5] in "/." and t[10] == " ":  # 31/01/2025 12:00:00
        day, clock = t[:10], t[11:19]
        order = "dmy"
    elif n >= 16 and t[2] in "/." and t[5] in "/." and t[10] == " ":  # Excel re-save: 31/01/2025 12:00
        day, clock = t[:10], t[11:16] + ":00"
        order = "dmy"
    elif n >= 14 and t[2] == "-" and t[8] == " ":  # 25-01-31 12:00 (seconds lost)
        day, clock = "20" + t[:8], t[9:14] + ":00"
        order = "ymd"
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
    if n == 19 and t is text and order == "ymd" and t[4] in "-/" and t[10] in " T":
        if len(_minutes) > 512:  # small: rows come in time order, and memory stays flat
            _minutes.clear()
        _minutes[t[:17]] = days * 86400 + hh * 3600 + mm * 60
    return days * 86400 + hh * 3600 + mm * 60 + ss


def value_offset(text: str) -> int | None:
    """Seconds east of UTC written in an ISO time (`...T09:15:27+02:00`, `...Z`), else None."""
    t = text.strip()
    if len(t) <= 19 or t[10] not in " T":
        return None
    tail = t[19:]
    if tail[:1] == "." :  # fractions of a second
        tail = tail.lstrip(".0123456789")
    if tail in ("Z", "z"):
        return 0
    if len(tail) >= 3 and tail[0] in "+-" and tail[1:3].isdigit():
        minutes = int(tail[-2:]) if len(tail) >= 5 and tail[-2:].isdigit() else 0
        value = int(tail[1:3]) * 3600 + minutes * 60
        return -value if tail[0] == "-" else value
    return None


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
    file_name: the uploaded file's name (Binance writes the account's zone there, spec §11).
    tz: an explicit zone (`+02:00`, `-6`, `Europe/Paris`), used when neither the header
    (`UTC_Time`) nor the file name gives one (`binsync.statement.timezone.resolve_zone`).
    tz_offset_seconds: legacy form of `tz` as seconds east of UTC.
    A file with local times and no zone raises ZoneRequiredError before any row is read.
    """

    def __init__(self, uid: str | None = None, expected_uid: str | None = None,
                 source_ref: str = "statement", keep_raw: bool = True, tz_offset_seconds: int = 0,
                 file_name: str | None = None, tz: str | None = None) -> None:
        self.uid = uid or expected_uid
        self.expected_uid = expected_uid
        self.source_ref = source_ref
        self.keep_raw = keep_raw
        self.file_name = file_name
        if tz is None and tz_offset_seconds:
            tz = f"{'-' if tz_offset_seconds < 0 else '+'}{abs(tz_offset_seconds) // 3600:02d}:" \
                 f"{abs(tz_offset_seconds) % 3600 // 60:02d}"
        if tz is not None:
            parse_zone(tz)  # a malformed zone fails here, before the file is read
        self.tz = tz
        self.zone: Zone | None = None
        self.stats = ParseStats()

    def iter_transactions(self, fh: IO[bytes]) -> Iterator[Transaction]:
        table = open_table(fh)
        self.stats.file_kind = table.kind
        self.stats.container = table.container
        self.stats.layout = table.layout
        if table.kind == "statement":
            names = [n for n in (self.file_name, table.member_name) if n]
            zone = resolve_zone(table.time_header, names[0] if names else None, self.tz)
            if not zone.known and len(names) > 1:
                zone = resolve_zone(table.time_header, names[1], self.tz)
            self.zone = zone
            self.stats.zone = zone.to_dict()
            if not zone.known:
                raise ZoneRequiredError(zone, table.time_header)
        if table.kind == "waltio":
            from binsync.statement.waltio import iter_waltio_transactions

            source = iter_waltio_transactions(table, self)
        else:
            source = pair_reward_records(self._statement(table), self.stats.reward_records)
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
        zone = self.zone
        assert zone is not None
        fixed = zone.name is None
        offset = zone.offset or 0
        last_time_text = None
        last_sec = 0
        cluster: list[tuple] = []
        seen: dict[tuple, list[int]] = {}  # ident -> [occurrences so far in this cluster]
        fresh: list[int] = [0]  # the box seen.setdefault stores for an ident new to the cluster
        history: dict[int, dict[tuple, int]] = {}  # second -> ident -> count, of closed clusters
        history_order: deque[int] = deque()  # history's keys in insertion order
        history_rows = 0
        forgotten_lo: int | None = None
        forgotten_hi = 0
        lo = hi = prev_sec = 0
        same_second = 0  # consecutive rows of one second: they are one cluster, held in memory
        first_sec: int | None = None
        last_seen_sec: int | None = None
        rows = accepted = 0
        max_per_second = limits.MAX_ROWS_PER_SECOND
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
                    naive = parse_time(time_text)
                    in_value = value_offset(time_text) if len(time_text) > 19 else None
                    if in_value is not None:  # ISO time with its own offset: that offset wins
                        sec = naive - in_value
                    elif fixed:
                        sec = naive - offset
                    else:
                        sec = local_to_utc(naive, zone)
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
                # amount_error's own fast path, inlined: a short plain number is within bounds
                if (len(change) > 24 or "E" in change or "e" in change or not amount.is_finite()) \
                        and limits.amount_error(amount, change):
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
            if cluster and (boundary or sec < lo - CLUSTER_GAP_S or sec > hi + CLUSTER_GAP_S
                            or (sec != prev_sec and (hi - lo >= MAX_SPAN or len(cluster) >= 200_000))):
                if builder is None:
                    builder = self._builder(file_uid)
                yield from builder.build(cluster)
                cluster = []
                for ident, count in seen.items():
                    bucket = history.get(ident[0])
                    if bucket is None:
                        bucket = history[ident[0]] = {}
                        history_order.append(ident[0])
                    bucket[ident] = count[0]
                history_rows += len(seen)
                while history_rows > HISTORY_ROWS:
                    # the oldest second, from a deque: next(iter(history)) would rescan the
                    # deleted slots at the front of the dict on every eviction (quadratic)
                    old_sec = history_order.popleft()
                    bucket = history.pop(old_sec)
                    history_rows -= len(bucket)
                    forgotten_lo = old_sec if forgotten_lo is None else min(forgotten_lo, old_sec)
                    forgotten_hi = max(forgotten_hi, old_sec)
                seen.clear()
            if boundary:  # a new export: its rows repeat the previous one's, same occurrences
                history.clear()
                history_order.clear()
                history_rows = 0
                forgotten_lo = None
            boundary = False
            if not cluster:
                lo = hi = sec
            elif sec < lo:
                lo = sec
            elif sec > hi:
                hi = sec
            same_second = same_second + 1 if cluster and sec == prev_sec else 1
            if same_second > max_per_second:
                raise limits.rows_per_second_error(line, same_second, time_text)  # type: ignore[misc]
            prev_sec = sec
            ident = (sec, wallet, opkey, coin, amount, remark)
            box = seen.setdefault(ident, fresh)  # one hash of ident (a Decimal's hash is not cheap)
            if box is fresh:
                fresh = [0]
                bucket = history.get(sec)
                occ = bucket.get(ident, 0) if bucket is not None else 0
                if bucket is None and forgotten_lo is not None and forgotten_lo <= sec <= forgotten_hi:
                    stats.out_of_order_beyond_memory += 1
            else:
                occ = box[0]
            box[0] = occ + 1
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
