"""The unified transaction (DESIGN.md §4): one record per economic event, whatever its source.

Amounts are `Decimal` and travel as strings; ids beyond 2^53 are ints or strings, never floats.
Every source (API normalisers, statement parser, Waltio import) produces `Transaction`s and
nothing else, so storage, merge, exports and the API see one shape.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Literal

EXCHANGE = "binance"

KINDS: tuple[str, ...] = (
    "trade", "convert", "dust", "deposit", "withdrawal", "fiat_deposit", "fiat_withdrawal",
    "card_buy", "transfer", "reward", "interest", "airdrop", "rebate", "fee", "futures_pnl",
    "funding_fee", "borrow", "repay", "liquidation", "p2p", "pay", "mining", "options", "loan",
    "other",
)

# Wallets a leg can belong to. Statement `Account` values and API products map onto these.
WALLETS: tuple[str, ...] = (
    "spot", "funding", "earn", "margin_cross", "margin_isolated", "usdm", "coinm", "options",
    "card", "mining", "loan", "external",
    "strategy",  # trading bots' wallet (statement Account `Strategy`, issue 16)
)

Role = Literal["in", "out", "fee"]
SourceKind = Literal["api", "statement", "manual"]


@dataclass(frozen=True, slots=True)
class Leg:
    """A signed balance change of one asset in one wallet."""

    asset: str
    amount: Decimal  # signed: + credit, - debit
    wallet: str = "spot"
    role: Role = "in"

    def to_dict(self) -> dict[str, str]:
        return {"asset": self.asset, "amount": format_decimal(self.amount),
                "wallet": self.wallet, "role": self.role}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Leg:
        return cls(asset=data["asset"], amount=Decimal(str(data["amount"])),
                   wallet=data.get("wallet", "spot"), role=data.get("role", "in"))


@dataclass(frozen=True, slots=True)
class Source:
    """Where a transaction came from: endpoint or file, native id, and the raw record(s)."""

    kind: SourceKind
    ref: str  # catalogue endpoint name, or the upload id / file name
    native_id: str | None = None
    raw: Any = None  # the raw API record or the statement rows, JSON-serialisable

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "ref": self.ref, "native_id": self.native_id, "raw": self.raw}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Source:
        return cls(kind=data["kind"], ref=data["ref"], native_id=data.get("native_id"),
                   raw=data.get("raw"))


@dataclass(frozen=True, slots=True)
class Transaction:
    id: str
    account: str  # Binance uid, as a string
    time_ms: int  # UTC epoch milliseconds
    kind: str
    legs: tuple[Leg, ...]
    source: Source
    description: str = ""
    meta: dict[str, Any] = field(default_factory=dict)  # e.g. symbol, order id, network, tx hash

    @property
    def time(self) -> datetime:
        return datetime.fromtimestamp(self.time_ms / 1000, tz=UTC)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "account": self.account,
            "time_ms": self.time_ms,
            "time": iso_ms(self.time_ms),
            "kind": self.kind,
            "legs": [leg.to_dict() for leg in self.legs],
            "source": self.source.to_dict(),
            "description": self.description,
            "meta": self.meta,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Transaction:
        return cls(
            id=data["id"], account=str(data["account"]), time_ms=int(data["time_ms"]),
            kind=data["kind"], legs=tuple(Leg.from_dict(leg) for leg in data["legs"]),
            source=Source.from_dict(data["source"]), description=data.get("description", ""),
            meta=dict(data.get("meta") or {}),
        )


def transaction_id(account: str, source_kind: str, native_key: str) -> str:
    """Deterministic id from (exchange, Binance uid, source kind, native id or row key).

    The same record seen twice (a retry, a resync, a re-upload) always gets the same id, so
    storage writes are idempotent.
    """
    digest = hashlib.sha256(f"{EXCHANGE}|{account}|{source_kind}|{native_key}".encode()).hexdigest()
    return digest[:32]


def format_decimal(value: Decimal) -> str:
    """Plain (never scientific) decimal string without a trailing exponent."""
    if value == 0:
        return "0"
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def iso_ms(time_ms: int) -> str:
    dt = datetime.fromtimestamp(time_ms / 1000, tz=UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{time_ms % 1000:03d}Z"
