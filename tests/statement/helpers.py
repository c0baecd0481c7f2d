"""Builders for hand-written statement files (tests only)."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from decimal import Decimal

from binsync.model import Transaction, format_decimal
from binsync.statement.events import legs_sum
from binsync.statement.parser import ParseStats, StatementParser

HEADER7 = ("User_ID", "UTC_Time", "Account", "Operation", "Coin", "Change", "Remark")
UID = "123456789"


def statement(rows: Iterable[Sequence[str]], *, uid: str = UID, columns: int = 7, quoted: bool = True,
              sep: str = ",", bom: bool = False, header: Sequence[str] | None = None) -> bytes:
    """rows: (time, account, operation, coin, change[, remark])."""
    head = list(header or (HEADER7 if columns == 7 else HEADER7[1:]))
    lines = [head]
    for row in rows:
        cells = list(row) + [""] * (6 - len(row))
        lines.append(([uid] if columns == 7 else []) + cells)

    def fmt(cell: str) -> str:
        return f'"{cell}"' if quoted else cell

    text = "\n".join(sep.join(fmt(c) for c in line) for line in lines) + "\n"
    return ("\ufeff" if bom else "").encode() + text.encode()


def parse(data: bytes, **kwargs) -> tuple[list[Transaction], ParseStats]:
    parser = StatementParser(**kwargs)
    return parser.parse(io.BytesIO(data)), parser.stats


def change_sums(rows: Iterable[Sequence[str]], wallet_of: dict[str, str]) -> dict[tuple[str, str], Decimal]:
    sums: dict[tuple[str, str], Decimal] = {}
    for row in rows:
        key = (row[3], wallet_of[row[1]])
        sums[key] = sums.get(key, Decimal(0)) + Decimal(row[4])
    return sums


def nonzero(sums: dict) -> dict:
    return {k: v for k, v in sums.items() if v != 0}


def assert_conserved(txs: list[Transaction], stats: ParseStats) -> None:
    """Legs per (asset, wallet) == the file's Change sums of accepted rows."""
    assert nonzero(legs_sum(txs)) == nonzero(stats.balance_sums())


def legs_of(tx: Transaction) -> set[tuple[str, str, str, str]]:
    return {(leg.asset, format_decimal(leg.amount), leg.wallet, leg.role) for leg in tx.legs}
