"""Shared machinery of the normalisers: field parsing, the per-row context, transaction building.

A per-endpoint normaliser is a function `(row: Row, ctx: RowContext) -> Transaction | Skip`.
It reads fields through `Row`, which raises `RowError(field, reason)` for anything malformed, so
the driver can reject exactly that row and carry on with the others (docs/ledger.md; a bad row
never crashes the batch and never loses the others).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from binsync.model import Leg, Role, Source, Transaction, format_decimal, transaction_id

SECONDS_CUTOFF = 10**12  # epoch values below this are seconds (spec §7.5: 10-digit doc examples)
MAX_MS = 10**14  # year 5138: anything above is not epoch milliseconds
MAX_SAFE_FLOAT_INT = 2**53
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_DATE_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%S.%f")


class RowError(Exception):
    """A malformed row: names the field and says what is wrong with it."""

    def __init__(self, field_name: str, reason: str):
        super().__init__(f"{field_name}: {reason}")
        self.field = field_name
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Skip:
    """A well-formed row that is not an economic event (e.g. a pending or failed status)."""

    reason: str


@dataclass
class NormaliseResult:
    transactions: list[Transaction] = field(default_factory=list)
    skipped: list[tuple[int, str]] = field(default_factory=list)  # (row index, reason)
    rejected: list[tuple[int, str, str]] = field(default_factory=list)  # (row index, field, reason)


# --- scalar parsing -------------------------------------------------------------------------


def to_decimal(value: Any, name: str) -> Decimal:
    """Exact decimal from str/int/float/Decimal; floats go through str() (shortest repr)."""
    if value is None or value == "":
        raise RowError(name, "missing")
    if isinstance(value, bool):
        raise RowError(name, f"not a number: {value!r}")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int | float | str):
        try:
            result = Decimal(str(value).strip())
        except InvalidOperation:
            raise RowError(name, f"not a number: {value!r}") from None
    else:
        raise RowError(name, f"not a number: {value!r}")
    if not result.is_finite():
        raise RowError(name, f"not a finite number: {value!r}")
    return result


def to_ident(value: Any, name: str) -> str:
    """A native id rendered exactly: ints as digits, strings as given; floats only if exact."""
    if value is None or value == "":
        raise RowError(name, "missing")
    if isinstance(value, bool):
        raise RowError(name, f"not an id: {value!r}")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        if not value.strip():
            raise RowError(name, "missing")
        return value.strip()
    if isinstance(value, Decimal):
        if value.is_finite() and value == value.to_integral_value():
            return str(int(value))
        raise RowError(name, f"not an integer id: {value!r}")
    if isinstance(value, float):
        # A float id above 2^53 has already lost digits: refuse rather than store a wrong id.
        if value.is_integer() and abs(value) < MAX_SAFE_FLOAT_INT:
            return str(int(value))
        raise RowError(name, f"id given as an inexact float: {value!r}")
    raise RowError(name, f"not an id: {value!r}")


def to_ms(value: Any, name: str) -> int:
    """UTC epoch milliseconds from ms, seconds (< 10^12) or a 'YYYY-MM-DD HH:MM:SS' UTC string."""
    if value is None or value == "":
        raise RowError(name, "missing")
    if isinstance(value, bool):
        raise RowError(name, f"not a time: {value!r}")
    if isinstance(value, str):
        text = value.strip()
        if not text.lstrip("-").replace(".", "", 1).isdigit():
            for fmt in _DATE_FORMATS:
                try:
                    dt = datetime.strptime(text, fmt).replace(tzinfo=UTC)
                except ValueError:
                    continue
                return (dt - _EPOCH) // timedelta(milliseconds=1)  # integer arithmetic, exact
            raise RowError(name, f"not a time: {value!r}")
    number = to_decimal(value, name)
    if number <= 0:
        raise RowError(name, f"not a time: {value!r}")
    if number < SECONDS_CUTOFF:
        number *= 1000
    if number >= MAX_MS:
        raise RowError(name, f"time out of range (microseconds?): {value!r}")
    return int(number)


def to_flag(value: Any) -> bool | None:
    """True/False from a JSON bool or the TRUE/FALSE strings Binance uses in params; else None."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().upper() in ("TRUE", "FALSE"):
        return value.strip().upper() == "TRUE"
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    return None


# --- row access -----------------------------------------------------------------------------


class Row:
    """Typed, field-naming access to one raw record."""

    def __init__(self, data: Mapping[str, Any], prefix: str = ""):
        self.data = data
        self.prefix = prefix

    def name(self, key: str) -> str:
        return f"{self.prefix}{key}"

    def has(self, key: str) -> bool:
        return self.data.get(key) not in (None, "")

    def get(self, key: str, default: Any = None) -> Any:
        value = self.data.get(key)
        return default if value in (None, "") else value

    def text(self, key: str, default: str | None = None) -> str:
        value = self.data.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if default is not None:
                return default
            raise RowError(self.name(key), "missing")
        if isinstance(value, bool | dict | list):
            raise RowError(self.name(key), f"not text: {value!r}")
        return str(value).strip()

    def dec(self, key: str, *, nonneg: bool = False, default: Decimal | None = None) -> Decimal:
        if default is not None and not self.has(key):
            return default
        value = to_decimal(self.data.get(key), self.name(key))
        if nonneg and value < 0:
            raise RowError(self.name(key), f"negative amount: {self.data.get(key)!r}")
        return value

    def flag(self, key: str, default: bool | None = None) -> bool:
        value = self.data.get(key)
        if value is None and default is not None:
            return default
        parsed = to_flag(value)
        if parsed is None:
            raise RowError(self.name(key), f"not a boolean: {value!r}")
        return parsed

    def ident(self, key: str) -> str:
        return to_ident(self.data.get(key), self.name(key))

    def key_text(self, key: str) -> str:
        """A numeric field as it appears in the response, for native keys of id-less records.

        docs/ledger.md keys like `eth_stake:{time}:{amount}` take the field's value as Binance
        renders it ("0.45528860" stays "0.45528860"); the value must still be a valid number.
        """
        self.dec(key)
        return str(self.data[key]).strip()

    def ms(self, key: str) -> int:
        return to_ms(self.data.get(key), self.name(key))

    def first_ms(self, *keys: str) -> int:
        """The first present time field, in order of preference."""
        for key in keys:
            if self.has(key):
                return self.ms(key)
        raise RowError(self.name(keys[0]), "missing")

    def child(self, key: str, index: int) -> Row:
        items = self.data.get(key)
        item = items[index] if isinstance(items, list) and index < len(items) else None
        if not isinstance(item, Mapping):
            raise RowError(f"{self.name(key)}[{index}]", "not an object")
        return Row(item, prefix=f"{self.name(key)}[{index}].")

    def items(self, key: str) -> list[Row]:
        items = self.data.get(key)
        if not isinstance(items, list):
            raise RowError(self.name(key), "missing or not a list")
        return [self.child(key, i) for i in range(len(items))]


# --- context and building -------------------------------------------------------------------


@dataclass
class RowContext:
    """What a normaliser knows besides the row: the account, the endpoint, the request context."""

    uid: str
    endpoint: str
    context: Mapping[str, Any]
    raw: Any = None  # the current raw row, stored as Source.raw

    def param(self, key: str) -> Any:
        """A request parameter (variant params like transactionType, type, tradeType, accountType).

        Looked up at the top level of `context`, then in its optional `params` mapping.
        """
        value = self.context.get(key)
        if value is None and isinstance(self.context.get("params"), Mapping):
            value = self.context["params"].get(key)
        return value

    def tx(self, native_key: str, kind: str, legs: list[Leg], time_ms: int, *,
           meta: dict[str, Any] | None = None, detail_of: str | None = None,
           description: str = "") -> Transaction:
        meta = {k: v for k, v in (meta or {}).items() if v not in (None, "")}
        if detail_of is not None:
            meta["detail_of"] = detail_of
            legs = []  # detail records never carry legs (ledger principle 1)
        return Transaction(
            id=transaction_id(self.uid, "api", native_key),
            account=self.uid,
            time_ms=time_ms,
            kind=kind,
            legs=tuple(legs),
            source=Source(kind="api", ref=self.endpoint, native_id=native_key, raw=self.raw),
            description=description,
            meta=meta,
        )


def leg(asset: str, amount: Decimal, wallet: str, role: Role | None = None) -> Leg:
    """A signed leg; the role defaults to in/out by sign."""
    if role is None:
        role = "in" if amount >= 0 else "out"
    return Leg(asset=asset, amount=amount, wallet=wallet, role=role)


def fee_legs(asset: str, fee: Decimal, wallet: str) -> list[Leg]:
    """A fee leg (negative, role fee), or none for a zero fee."""
    if fee == 0:
        return []
    return [Leg(asset=asset, amount=-abs(fee), wallet=wallet, role="fee")]


def dstr(value: Decimal | None) -> str | None:
    """Decimal for meta: a plain string (meta is stored as JSON)."""
    return None if value is None else format_decimal(value)


def require_status(row: Row, key: str, accepted: tuple[str, ...]) -> Skip | None:
    """Skip unless the row's status is one of `accepted` (compared as text, case-insensitive)."""
    status = row.text(key)
    if status.upper() not in {a.upper() for a in accepted}:
        return Skip(f"{row.name(key)}={status} (only {'/'.join(accepted)} is an event)")
    return None


Normaliser = Callable[[Row, RowContext], "Transaction | Skip"]
