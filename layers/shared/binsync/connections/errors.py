"""Domain errors of the user-facing operations (connections, syncs, transactions, uploads).

The API maps each class to one HTTP status and the `{"error": {...}}` body; the domain code
never knows about HTTP. Every error names the request field it is about when there is one, and
its message is written for the end user (what is wrong and what to do).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One failed check, e.g. one reason an API key was refused."""

    code: str
    message: str
    field: str | None = None

    def to_dict(self) -> dict[str, str | None]:
        return {"code": self.code, "message": self.message, "field": self.field}


class DomainError(Exception):
    def __init__(self, code: str, message: str, field: str | None = None,
                 details: list[Problem] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
        self.details = list(details or [])

    def __str__(self) -> str:
        return self.message


class NotFound(DomainError):
    """The resource does not exist *for this user* (another user's ids look the same)."""


class Conflict(DomainError):
    """The request is valid but the current state forbids it (duplicate key, sync running...)."""


class InvalidInput(DomainError):
    """The request is well-formed but a value is unacceptable (bad cursor, base_url...)."""


class InvalidValue(InvalidInput):
    """A field is well-formed but its value is refused (too large, unreachable): 422, like the
    schema's own validation of the same field, so one field never answers two statuses."""


class KeyRefused(DomainError):
    """The Binance API key failed one or more checks; `details` has one Problem per check."""


class UpstreamUnavailable(DomainError):
    """Binance (or the emulator) could not be reached or answered with a transient error."""
