"""Key validation at registration, rotation and revalidation (DESIGN.md §3.1, issue 5 item 1).

binsync reads a whole account from many IPs with a key that must only be able to read. The
checks below ask Binance what the key may do (`GET /sapi/v1/account/apiRestrictions`), which
account it belongs to (`GET /api/v3/account`: the uid) and which products the account has
(`GET /sapi/v1/account/info`). Every failed check gives its own message telling the user what
to change in Binance's API Management; all failed checks are reported at once, so one round
trip fixes the key.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from binsync.binance.errors import BinanceError, CredentialsInvalid, PermissionMissing
from binsync.binance.signing import Credentials
from binsync.connections.errors import (
    DomainError,
    InvalidInput,
    InvalidValue,
    KeyRefused,
    Problem,
    UpstreamUnavailable,
)

DEFAULT_BASE_URL = "https://api.binance.com"
ALLOW_ENV = "BINSYNC_ALLOW_BASE_URLS"

EDIT = "In Binance, open Account > API Management, click 'Edit restrictions' on this key"

# apiRestrictions flags that let a key move money or trade: each one refuses the key.
WRITE_PERMISSIONS: tuple[tuple[str, str, str], ...] = (
    ("enableSpotAndMarginTrading", "trading_enabled",
     f"This key can trade. {EDIT} and untick 'Enable Spot & Margin Trading'. binsync only reads."),
    ("enableWithdrawals", "withdrawals_enabled",
     f"This key can withdraw funds. {EDIT} and untick 'Enable Withdrawals'. binsync never needs it."),
    ("enableInternalTransfer", "internal_transfer_enabled",
     f"This key can transfer funds to sub-accounts. {EDIT} and untick 'Enable Internal Transfer'."),
    ("permitsUniversalTransfer", "universal_transfer_enabled",
     f"This key can move funds between your wallets. {EDIT} and untick 'Permits Universal Transfer'."),
    ("enableMargin", "margin_loan_enabled",
     f"This key can borrow, repay and transfer on margin. {EDIT} and untick "
     "'Enable Margin Loan, Repay & Transfer' (reading margin history does not need it)."),
    ("enablePortfolioMarginTrading", "portfolio_margin_trading_enabled",
     f"This key can trade on Portfolio Margin. {EDIT} and untick 'Enable Portfolio Margin Trading'."),
    ("enableFixApiTrade", "fix_trading_enabled",
     f"This key can trade through the FIX API. {EDIT} and untick 'Enable FIX API Trade'."),
)

CANNOT_READ = (f"This key cannot read your account. {EDIT} and tick 'Enable Reading'.")
IP_RESTRICTED = (
    "This key only accepts calls from whitelisted IP addresses. binsync reads your history from "
    f"many cloud addresses in parallel, so it cannot be whitelisted. {EDIT}, choose 'Unrestricted' "
    "under 'IP access restrictions' and keep every trading and withdrawal permission off: an "
    "unrestricted read-only key cannot move funds."
)
INVALID_SECRET = (
    "Binance rejected the signature: the API secret does not belong to this API key. Copy the "
    "secret shown when the key was created (Binance shows it only once; if it is lost, delete the "
    "key and create a new read-only one)."
)
UNKNOWN_KEY = (
    "Binance refuses this API key. Either it does not exist (deleted, or mistyped: copy it again "
    "from Account > API Management), or it only accepts whitelisted IP addresses (choose "
    "'Unrestricted' under 'IP access restrictions': binsync reads from many cloud addresses), or "
    "'Enable Reading' is off. A new read-only key without IP restriction fixes all three."
)
FUTURES_WARNING = (
    "This key cannot read your Futures history. Keys created before the Futures account was opened "
    "cannot read it: create a new read-only key to include futures (the sync continues without)."
)
# No warning for options: 'Enable Vanilla Options' (enableVanillaOptions) authorises options
# *trading*; reading the options history (/eapi/v1/bill, userTrades, exerciseRecord) needs only
# 'Enable Reading' (spec §5.8; Binance's apiRestrictions field description), so the sync reads it
# and a warning saying it does not would contradict the run (issue 18).
ACCOUNT_INFO_WARNING = (
    "Binance did not say which products your account has; binsync will try every product."
)

# One Binance call: endpoint name in the catalogue -> decoded JSON answer.
Fetch = Callable[[str], Any]
FetcherFactory = Callable[[Credentials, str], Fetch]


@dataclass
class KeyCheck:
    """What a key that passed the checks may do, and which account it reads."""

    binance_uid: str
    permissions: dict[str, Any]
    warnings: list[str] = field(default_factory=list)


def allowed_base_urls() -> list[str]:
    extra = [u.strip().rstrip("/") for u in os.environ.get(ALLOW_ENV, "").split(",") if u.strip()]
    return [DEFAULT_BASE_URL, *extra]


def check_base_url(base_url: str | None) -> str:
    """The normalised base URL, or InvalidInput.

    Only Binance itself (plus what the operator lists in BINSYNC_ALLOW_BASE_URLS, e.g. the local
    emulator) is accepted, so the API cannot be used to make signed requests to arbitrary hosts.
    An allowed entry `http://127.0.0.1:*` accepts any port on that host.
    """
    url = (base_url or DEFAULT_BASE_URL).strip().rstrip("/")
    parts = urlsplit(url)
    if (parts.scheme not in ("http", "https") or not parts.hostname or parts.username
            or parts.password or parts.path or parts.query or parts.fragment):
        raise InvalidInput("invalid_base_url", "base_url must be a scheme and host, e.g. "
                           f"{DEFAULT_BASE_URL}", field="base_url")
    for allowed in allowed_base_urls():
        if allowed == url:
            return url
        if allowed.endswith(":*"):
            prefix = allowed[:-2]
            if url == prefix or (url.startswith(prefix + ":") and url[len(prefix) + 1:].isdigit()):
                return url
    raise InvalidInput("base_url_not_allowed",
                       f"base_url must be {DEFAULT_BASE_URL} (other hosts are not allowed here)",
                       field="base_url")


def check_secret_format(credentials: Credentials) -> None:
    """RSA/Ed25519 secrets are PEM private keys; a bad one is a field error, not a Binance call."""
    if credentials.key_type == "hmac":
        return
    try:
        credentials._private_key  # noqa: B018 - parses (and caches) the PEM
    except (ValueError, TypeError) as exc:
        raise InvalidInput(
            "invalid_private_key",
            f"api_secret must be the PEM private key of the {credentials.key_type} key pair "
            f"(-----BEGIN PRIVATE KEY----- ...): {_safe(exc)}",
            field="api_secret") from None


def _safe(exc: Exception) -> str:
    # cryptography messages never include key material, but keep them short.
    return str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__


def default_fetcher(credentials: Credentials, base_url: str) -> Fetch:
    from binsync.binance.catalogue import ENDPOINTS
    from binsync.binance.client import BinanceClient

    # The API answers within API Gateway's 29 s: few, short retries; a slow Binance is a 503.
    client = BinanceClient(credentials, base_url=base_url, max_retries=1, max_inline_wait_s=2.0,
                           timeout=(3.0, 8.0))

    def fetch(name: str) -> Any:
        return client.request(ENDPOINTS[name], {})

    return fetch


def _auth_problem(exc: BinanceError) -> Problem:
    if exc.code == -1022:
        return Problem("invalid_secret", INVALID_SECRET, "api_secret")
    return Problem("unknown_key", UNKNOWN_KEY, "api_key")


def validate_key(credentials: Credentials, base_url: str,
                 fetcher_factory: FetcherFactory | None = None) -> KeyCheck:
    """Run every check; return the KeyCheck or raise KeyRefused with one Problem per failure."""
    check_secret_format(credentials)
    fetch = (fetcher_factory or default_fetcher)(credentials, base_url)
    try:
        restrictions = fetch("account.api_restrictions")
    except (CredentialsInvalid, PermissionMissing) as exc:
        problem = _auth_problem(exc)
        raise KeyRefused("key_refused", problem.message, field=problem.field, details=[problem]) from None
    except BinanceError as exc:
        raise _unavailable(exc, base_url) from None
    if not isinstance(restrictions, Mapping):
        raise UpstreamUnavailable("binance_unavailable", "Binance answered the permission check "
                                  "with an unexpected body; try again later.")

    problems: list[Problem] = []
    if restrictions.get("enableReading") is not True:
        problems.append(Problem("cannot_read", CANNOT_READ, "api_key"))
    if restrictions.get("ipRestrict") is True:
        problems.append(Problem("ip_restricted", IP_RESTRICTED, "api_key"))
    for flag, code, message in WRITE_PERMISSIONS:
        if restrictions.get(flag) is True:
            problems.append(Problem(code, message, "api_key"))
    if problems:
        raise KeyRefused("key_refused", _summary(problems), field="api_key", details=problems)

    try:
        account = fetch("account.spot")
    except (CredentialsInvalid, PermissionMissing) as exc:
        problem = _auth_problem(exc)
        raise KeyRefused("key_refused", problem.message, field=problem.field, details=[problem]) from None
    except BinanceError as exc:
        raise _unavailable(exc, base_url) from None
    uid = account.get("uid") if isinstance(account, Mapping) else None
    if uid is None or isinstance(uid, float):
        raise UpstreamUnavailable("binance_unavailable", "Binance did not return the account id; "
                                  "try again later.")

    warnings: list[str] = []
    info: Mapping[str, Any] = {}
    try:
        answer = fetch("account.info")
        info = answer if isinstance(answer, Mapping) else {}
    except BinanceError:
        warnings.append(ACCOUNT_INFO_WARNING)
    if restrictions.get("enableFutures") is not True and info.get("isFutureEnabled") is not False:
        warnings.append(FUTURES_WARNING)

    permissions: dict[str, Any] = {k: v for k, v in restrictions.items() if isinstance(v, (bool, int, str))}
    permissions["account_info"] = {k: v for k, v in info.items() if isinstance(v, (bool, int, str))}
    permissions["account_permissions"] = [str(p) for p in account.get("permissions") or []]
    return KeyCheck(binance_uid=str(uid), permissions=permissions, warnings=warnings)


def _summary(problems: list[Problem]) -> str:
    if len(problems) == 1:
        return problems[0].message
    return (f"This API key was refused ({len(problems)} problems, see details): "
            + "; ".join(p.code for p in problems) + ".")


def _unavailable(exc: BinanceError, base_url: str = DEFAULT_BASE_URL) -> DomainError:
    import requests

    cause = exc.__cause__
    unreachable = isinstance(cause, requests.ConnectionError) and not isinstance(cause, requests.Timeout)
    if unreachable and base_url.rstrip("/") != DEFAULT_BASE_URL:
        # An address the user typed (an emulator, a testnet): nothing listens there.
        return InvalidValue("base_url_unreachable", f"Nothing answers at base_url {base_url} (connection "
                            "refused or unknown host): check the address, or leave base_url out for "
                            f"{DEFAULT_BASE_URL}.", field="base_url")
    if unreachable:
        return UpstreamUnavailable("binance_unreachable", "Binance cannot be reached from our servers "
                                   "right now (connection failed); try again in a few minutes.")
    return UpstreamUnavailable(
        "binance_unavailable",
        "Binance could not check the key right now (" + type(exc).__name__ + "); try again in a minute.")
