"""Binance error taxonomy (spec §4, §7.6).

The state machine acts on the exception CLASS NAME (Step Functions matches `errorType`), so the
names below are a contract: CredentialsInvalid and PermissionMissing fail fast (disable-on-error /
product unavailable), RateLimited, IpBanned and TransientError are retried with backoff,
ClockSkew is retried, InvalidRequest is a bug or a data hazard (e.g. a removed symbol) that the
task records and skips.

`classify()` turns one HTTP answer into one of these exceptions; it never raises itself.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

# -2015 "Invalid API-key, IP, or permissions for action." is ambiguous (spec §4). On endpoints that
# need more than the read permission it means the product is not enabled for the key; on plain
# read endpoints (after a successful registration) the key was revoked or restricted.
_READ_PERMISSIONS = {"read", None, ""}
# Futures and options live on their own hosts with their own key permissions: -2015 there (with a
# key that works on /api and /sapi) means the product is not enabled for the key.
_PRODUCT_FAMILIES = {"fapi": "futures", "dapi": "futures", "eapi": "options"}

TRANSIENT_CODES = {-1000, -1001, -1006, -1007, -1008, -1016}
CREDENTIAL_CODES = {-2014, -1022, -1011}
PERMISSION_CODES = {-1002, -1099}
INVALID_REQUEST_CODES = {
    -1100, -1101, -1102, -1103, -1104, -1105, -1106, -1111, -1112, -1114, -1115, -1116, -1117, -1121,
    -1123, -1127, -1128, -1130, -1131, -1023, -2013, -2026,
}


class BinanceError(Exception):
    """Base class. `user_message` says what the user (or operator) should do."""

    retryable = False
    default_user_message = "Binance returned an error; the sync will report it."

    def __init__(
        self,
        msg: str = "",
        *,
        code: int | None = None,
        http_status: int | None = None,
        endpoint: str | None = None,
        user_message: str | None = None,
    ) -> None:
        self.code = code
        self.http_status = http_status
        self.msg = msg
        self.endpoint = endpoint
        self.user_message = user_message or self.default_user_message
        super().__init__(self._describe())

    def _describe(self) -> str:
        parts = [type(self).__name__]
        if self.endpoint:
            parts.append(f"endpoint={self.endpoint}")
        if self.http_status is not None:
            parts.append(f"http={self.http_status}")
        if self.code is not None:
            parts.append(f"code={self.code}")
        if self.msg:
            parts.append(f"msg={self.msg!r}")
        return " ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly description (task results, connection status, logs). Never holds secrets."""
        out: dict[str, Any] = {
            "error": type(self).__name__,
            "code": self.code,
            "http_status": self.http_status,
            "msg": self.msg,
            "endpoint": self.endpoint,
            "user_message": self.user_message,
            "retryable": self.retryable,
        }
        for extra in ("retry_after", "bucket", "symbol"):
            if getattr(self, extra, None) is not None:
                out[extra] = getattr(self, extra)
        return out


class CredentialsInvalid(BinanceError):
    default_user_message = (
        "Binance rejected the API key (revoked, deleted, wrong secret or IP-restricted). "
        "Create a new read-only key without IP restriction and register it again."
    )


class PermissionMissing(BinanceError):
    default_user_message = (
        "The API key lacks a permission this product needs (for futures: enable Futures on the key; "
        "keys created before the futures account was opened cannot be enabled, create a new one)."
    )


class RateLimited(BinanceError):
    retryable = True
    default_user_message = "Binance asked us to slow down; the sync retries automatically."

    def __init__(self, msg: str = "", *, retry_after: float | None = None, bucket: str | None = None,
                 **kw: Any) -> None:
        self.retry_after = retry_after
        self.bucket = bucket
        super().__init__(msg, **kw)


class IpBanned(BinanceError):
    """HTTP 418: this egress IP must not call Binance before `retry_after` seconds have passed."""

    retryable = True
    default_user_message = "Binance temporarily banned one of our IPs; the sync resumes from another later."

    def __init__(self, msg: str = "", *, retry_after: float | None = None, ip: str | None = None,
                 bucket: str | None = None, **kw: Any) -> None:
        self.retry_after = retry_after
        self.ip = ip
        self.bucket = bucket
        super().__init__(msg, **kw)


class ClockSkew(BinanceError):
    retryable = True
    default_user_message = "Our clock disagrees with Binance's even after a resync; the sync retries."


class InvalidRequest(BinanceError):
    default_user_message = (
        "Binance refused a request as invalid; the affected data is reported as not synced."
    )

    def __init__(self, msg: str = "", *, symbol: str | None = None, **kw: Any) -> None:
        self.symbol = symbol
        super().__init__(msg, **kw)


class TransientError(BinanceError):
    retryable = True
    default_user_message = "Binance was temporarily unavailable; the sync retries automatically."


_BANNED_UNTIL = re.compile(r"banned until (\d{12,14})")


def parse_retry_after(headers: Mapping[str, str] | None) -> float | None:
    if not headers:
        return None
    for key, value in headers.items():
        if key.lower() == "retry-after":
            try:
                return max(0.0, float(value))
            except (TypeError, ValueError):
                return None
    return None


def _code_and_msg(body: Any) -> tuple[int | None, str]:
    if isinstance(body, Mapping):
        raw = body.get("code")
        msg = body.get("msg") or body.get("message") or ""
        try:
            code = int(raw) if raw is not None else None
        except (TypeError, ValueError):
            code = None
        return code, str(msg)
    if isinstance(body, (bytes, bytearray)):
        body = body.decode("utf-8", "replace")
    return None, str(body or "")[:500]


def classify(
    http_status: int,
    body: Any,
    endpoint: Any = None,
    headers: Mapping[str, str] | None = None,
    *,
    params: Mapping[str, Any] | None = None,
    now_ms: int | None = None,
    ip: str | None = None,
) -> BinanceError:
    """Map one Binance answer to an exception instance (spec §1 HTTP codes, §4 error codes).

    `endpoint` is a catalogue Endpoint (or a name); `params` lets -1121 name the symbol;
    `now_ms` (server time) turns a 418 "banned until <ms>" message into a retry_after when the
    Retry-After header is missing.
    """
    code, msg = _code_and_msg(body)
    name = getattr(endpoint, "name", endpoint)
    permission = getattr(endpoint, "permission", "read")
    bucket = getattr(getattr(endpoint, "bucket", None), "header", None)
    common: dict[str, Any] = {"code": code, "http_status": http_status, "endpoint": name}
    retry_after = parse_retry_after(headers)

    if http_status == 418:
        if retry_after is None and now_ms is not None:
            m = _BANNED_UNTIL.search(msg)
            if m:
                retry_after = max(0.0, (int(m.group(1)) - now_ms) / 1000)
        return IpBanned(msg or "IP banned", retry_after=retry_after, ip=ip, bucket=bucket, **common)
    if http_status == 429 or code == -1003:
        return RateLimited(msg or "rate limited", retry_after=retry_after, bucket=bucket, **common)
    if http_status == 403 and code is None:
        # WAF block: "can indicate a rate limit violation or a security block" (spec §1).
        waf_wait = retry_after if retry_after is not None else 60.0
        return RateLimited(msg or "blocked by WAF", retry_after=waf_wait, bucket="waf", **common)
    if code == -1021:
        return ClockSkew(msg, **common)
    if code in CREDENTIAL_CODES or (http_status == 401 and code != -2015):
        return CredentialsInvalid(msg, **common)
    if code == -2015:
        family = getattr(endpoint, "family", None)
        if permission in _READ_PERMISSIONS and family not in _PRODUCT_FAMILIES:
            return CredentialsInvalid(msg, **common)
        hint_for = permission if permission not in _READ_PERMISSIONS else _PRODUCT_FAMILIES.get(family)
        return PermissionMissing(msg, **common, user_message=_permission_hint(hint_for))
    if code in PERMISSION_CODES:
        family = getattr(endpoint, "family", None)
        hint_for = permission if permission not in _READ_PERMISSIONS else _PRODUCT_FAMILIES.get(family)
        return PermissionMissing(msg, **common, user_message=_permission_hint(hint_for))
    if code in TRANSIENT_CODES or http_status >= 500:
        return TransientError(msg or f"HTTP {http_status}", **common)
    if code == -1121:
        symbol = (params or {}).get("symbol") if params else None
        return InvalidRequest(msg, symbol=symbol, **common,
                              user_message=f"Binance does not know the market {symbol or '(unknown)'}; "
                                           "its history is not available through the API.")
    if code == -1127:
        return InvalidRequest(msg, **common, user_message="The time window was larger than Binance accepts.")
    if code in INVALID_REQUEST_CODES or 400 <= http_status < 500:
        return InvalidRequest(msg or f"HTTP {http_status}", **common)
    return BinanceError(msg or f"HTTP {http_status}", **common)


def _permission_hint(permission: str | None) -> str:
    hints = {
        "futures": "Enable Futures on the API key (keys created before the futures account was opened "
                   "cannot be enabled: create a new read-only key).",
        "margin": "Enable Margin on the API key, or ignore this if you never used margin.",
        "options": "Enable Options on the API key, or ignore this if you never traded options.",
    }
    return hints.get(permission or "", PermissionMissing.default_user_message)
