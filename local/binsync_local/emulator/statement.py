"""The account rendered as Binance's "Transaction History" statement CSV (spec statement §2-§7).

Streaming: rows are produced event by event in time order, so a million-row file needs no more
memory than the account itself. Rows of one second are buffered only to interleave the legs of
concurrent fills the way Binance does (quirk §6.1).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import TextIO

from .account import Account, RowT

HEADER = ("User_ID", "UTC_Time", "Account", "Operation", "Coin", "Change", "Remark")
ACCOUNT_NAMES = {
    "spot": "Spot",
    "funding": "Funding",
    "earn": "Earn",
    "margin_cross": "Cross Margin",
    "margin_isolated": "Isolated Margin",
    "usdm": "USD-M Futures",
    "coinm": "Coin-M Futures",
    "card": "Card",
    "mining": "Pool",
    "options": "Options",
    "loan": "Loan",
}
TRADE_OPS = frozenset(
    {
        "Buy",
        "Sell",
        "Fee",
        "Transaction Related",
        "Transaction Buy",
        "Transaction Spend",
        "Transaction Fee",
        "Transaction Revenue",
        "Transaction Sold",
    }
)


def format_change(d: Decimal, scientific: bool = False) -> str:
    """Plain decimal; tiny values optionally in Binance's scientific form (`-3.605E-05`)."""
    if scientific and d != 0 and abs(d) < Decimal("0.0001"):
        mantissa, exp = f"{d.normalize():E}".split("E")
        e = int(exp)
        return f"{mantissa}E{'-' if e < 0 else '+'}{abs(e):02d}"
    text = format(d, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def iter_rows(account: Account, start_ms: int | None = None, end_ms: int | None = None) -> Iterator[RowT]:
    """Rows in file order: by second, legs of fills in one second interleaved."""
    rng = random.Random(f"statement:{account.profile}:{account.seed}")
    buf: list[RowT] = []
    cur = None
    for ev in account.events:  # sorted by time
        for row in ev.rows:
            t = row[0]
            if (start_ms is not None and t < start_ms) or (end_ms is not None and t >= end_ms):
                continue
            sec = t // 1000
            if sec != cur:
                if buf:
                    yield from _flush(buf, rng)
                buf = []
                cur = sec
            buf.append(row)
    if buf:
        yield from _flush(buf, rng)


def _flush(buf: list[RowT], rng: random.Random) -> list[RowT]:
    trade_idx = [i for i, r in enumerate(buf) if r[2] in TRADE_OPS]
    if len(trade_idx) > 3:
        moved = [buf[i] for i in trade_idx]
        rng.shuffle(moved)
        for i, r in zip(trade_idx, moved, strict=True):
            buf[i] = r
    return buf


def _q(s: str) -> str:
    return '"' + s.replace('"', '""') + '"'


def write_statement(
    account: Account, fh: TextIO, start_ms: int | None = None, end_ms: int | None = None, header: bool = True
) -> int:
    """Write the statement CSV to `fh`; returns the number of data rows."""
    uid = _q(str(account.uid))
    if header:
        fh.write(",".join(_q(h) for h in HEADER) + "\r\n")
    n = 0
    lines: list[str] = []
    tiny = 0
    small = Decimal("0.0001")
    last_sec, when = -1, ""
    prefix: dict[tuple[str, str, str], str] = {}  # quoted Account/Operation/Coin, reused
    for t, wallet, op, coin, change, remark in iter_rows(account, start_ms, end_ms):
        sci = False
        if change and -small < change < small:
            tiny += 1
            sci = tiny % 4 == 0
        sec = t // 1000
        if sec != last_sec:  # rows come in time order: format each second once
            last_sec = sec
            when = datetime.fromtimestamp(sec, tz=UTC).strftime("%Y-%m-%d %H:%M:%S")
        key = (wallet, op, coin)
        mid = prefix.get(key)
        if mid is None:
            mid = prefix[key] = f"{_q(ACCOUNT_NAMES[wallet])},{_q(op)},{_q(coin)}"
        lines.append(f'{uid},"{when}",{mid},"{format_change(change, sci)}",{_q(remark)}\r\n')
        n += 1
        if len(lines) >= 5000:
            fh.write("".join(lines))
            lines.clear()
    fh.write("".join(lines))
    return n


def years(account: Account) -> list[int]:
    first = datetime.fromtimestamp(account.events[0].time_ms / 1000, tz=UTC).year
    last = datetime.fromtimestamp(account.events[-1].time_ms / 1000, tz=UTC).year
    return list(range(first, last + 1))


def write_statement_files(account: Account, out: str | Path, per_year: bool = False) -> list[Path]:
    """One file, or one file per calendar year (Binance exports at most a year per file)."""
    out = Path(out)
    if not per_year:
        with out.open("w", newline="", encoding="utf-8") as fh:
            write_statement(account, fh)
        return [out]
    paths = []
    for year in years(account):
        lo = int(datetime(year, 1, 1, tzinfo=UTC).timestamp() * 1000)
        hi = int(datetime(year + 1, 1, 1, tzinfo=UTC).timestamp() * 1000)
        path = out.with_name(f"{out.stem}-{year}{out.suffix or '.csv'}")
        with path.open("w", newline="", encoding="utf-8") as fh:
            write_statement(account, fh, lo, hi)
        paths.append(path)
    return paths
