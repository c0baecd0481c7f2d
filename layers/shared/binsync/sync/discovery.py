"""Which margin pairs and futures symbols a sync asks for, discovered through the API (spec §7.4).

No user-made list: every scope comes from Binance's answers at plan time.

- Cross margin (`margin_cross`): the pairs of `GET /sapi/v1/margin/allPairs` whose base AND
  quote the cross-margin wallet ever held. A margin fill moves both assets of its pair in the
  margin wallet, so a pair with an asset the wallet never held had no fill. "Ever held" is the
  `userAssets` list of `GET /sapi/v1/margin/account`, which lists every asset of the wallet
  (zero balances included; Binance lists every margin asset, a superset), with a non-zero
  balance, borrow or interest counting as well.
- Isolated margin (`margin_isolated`): the pairs of `GET /sapi/v1/margin/isolated/account` (the
  isolated accounts the user created: a pair without one cannot have been traded), plus the
  isolated pairs of earlier runs (`known`), so a pair whose isolated account was closed since
  is still walked. (An isolated account closed before binsync first saw it is not listed by
  any endpoint the spec documents; its history is in the statement.)
- USD-M / COIN-M (`usdm`, `coinm`): every contract of the family's exchangeInfo whatever its
  status (delisted and settling contracts stay listed there), the open positions of the
  family's account, and the symbols the income ledger named in earlier runs (`known`). A
  symbol the income ledger names during this run that was not walked is reported by Finish
  (`unwalked_income_symbols`) and planned by the next run.
- Sub-accounts (`sub_accounts`): the emails `GET /sapi/v1/sub-account/list` lists (every page),
  plus the sub-accounts of earlier runs (`known`), so the transfers with a sub-account deleted
  since are still read. A listed sub-account's `createTime` is the floor of its transfer
  histories (`floors`): no transfer with it can be older. An account that is not a master
  answers that the sub-account function is not enabled: an empty scope (nothing to read),
  neither an error nor a gap.

A read that fails leaves the scope unknown (None): the planner then reports the endpoint as not
planned with the reason, never as complete.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from binsync.binance.catalogue import ENDPOINTS
from binsync.sync import binance_io

log = logging.getLogger(__name__)

CROSS, ISOLATED, USDM, COINM = "margin_cross", "margin_isolated", "usdm", "coinm"
SUB_ACCOUNTS = "sub_accounts"
# The product whose coverage records how a scope was chosen (the others: margin_* -> margin).
SCOPE_PRODUCTS = {USDM: "usdm", COINM: "coinm", SUB_ACCOUNTS: "sub_account"}
FUTURES_SCOPES = {USDM: ("usdm.exchange_info", "usdm.account"),
                  COINM: ("coinm.exchange_info", "coinm.account")}


@dataclass
class Scopes:
    symbols: dict[str, list[str]] = field(default_factory=dict)   # scope -> symbols (sorted)
    notes: dict[str, dict[str, Any]] = field(default_factory=dict)  # scope -> how it was chosen
    failed: dict[str, str] = field(default_factory=dict)          # scope -> why it is unknown
    # scope -> member -> the earliest time it can have records (a sub-account's createTime)
    floors: dict[str, dict[str, int]] = field(default_factory=dict)


def _nonzero(entry: Mapping[str, Any], fields: Iterable[str]) -> bool:
    for name in fields:
        try:
            if Decimal(str(entry.get(name) or 0)) != 0:
                return True
        except (InvalidOperation, ValueError):
            return True  # unreadable: count it as held (walking one more pair costs little)
    return False


def cross_margin_pairs(all_pairs: list[Mapping[str, Any]], margin_account: Mapping[str, Any]) -> list[str]:
    """Pairs whose base and quote the cross-margin wallet ever held (module docstring)."""
    held = {str(a.get("asset")) for a in margin_account.get("userAssets") or [] if a.get("asset")}
    return sorted({str(p["symbol"]) for p in all_pairs
                   if p.get("symbol") and str(p.get("base")) in held and str(p.get("quote")) in held})


def isolated_pairs(isolated_account: Mapping[str, Any], known: Iterable[str] = ()) -> list[str]:
    pairs = {str(a["symbol"]) for a in isolated_account.get("assets") or [] if a.get("symbol")}
    return sorted(pairs | set(known))


def futures_symbols(exchange_info: Mapping[str, Any], account: Mapping[str, Any] | None,
                    known: Iterable[str] = ()) -> list[str]:
    symbols = {str(s["symbol"]) for s in exchange_info.get("symbols") or [] if s.get("symbol")}
    for position in (account or {}).get("positions") or []:
        if position.get("symbol") and _nonzero(position, ("positionAmt", "notional", "initialMargin")):
            symbols.add(str(position["symbol"]))
    return sorted(symbols | set(known))


def _read(client: Any, endpoint: str, params: dict[str, Any] | None = None) -> Any:
    return binance_io.call(client, endpoint, params)


def margin_scopes(client: Any, out: Scopes, known: Mapping[str, list[str]]) -> None:
    try:
        pairs = _read(client, "margin.all_pairs") or []
        account = _read(client, "margin.account") or {}
        cross = cross_margin_pairs(pairs, account)
        out.symbols[CROSS] = cross
        out.notes[CROSS] = {"rule": "all_pairs_with_held_assets", "walked": len(cross), "of": len(pairs)}
    except Exception as exc:
        log.warning("cross-margin pairs could not be discovered: %s", type(exc).__name__)
        out.failed[CROSS] = f"the margin pair list could not be read ({type(exc).__name__})"
    try:
        isolated = isolated_pairs(_read(client, "margin.isolated_account") or {}, known.get(ISOLATED, ()))
        out.symbols[ISOLATED] = isolated
        out.notes[ISOLATED] = {"rule": "isolated_accounts", "walked": len(isolated)}
    except Exception as exc:
        log.warning("isolated pairs could not be discovered: %s", type(exc).__name__)
        out.failed[ISOLATED] = f"the isolated margin account could not be read ({type(exc).__name__})"


def futures_scopes(client: Any, out: Scopes, known: Mapping[str, list[str]]) -> None:
    for scope, (info_ep, account_ep) in FUTURES_SCOPES.items():
        try:
            info = _read(client, info_ep) or {}
        except Exception as exc:
            log.warning("%s symbols could not be discovered: %s", scope, type(exc).__name__)
            out.failed[scope] = f"the {scope} exchangeInfo could not be read ({type(exc).__name__})"
            continue
        try:
            account = _read(client, account_ep) or {}
        except Exception as exc:  # positions only add symbols exchangeInfo already lists
            log.info("%s positions not read: %s", scope, type(exc).__name__)
            account = None
        symbols = futures_symbols(info, account, known.get(scope, ()))
        out.symbols[scope] = symbols
        out.notes[scope] = {"rule": "exchange_info_positions_income", "walked": len(symbols)}


def is_not_master(exc: BaseException) -> bool:
    """The answer of sub-account/list to a key of an account that is not a master (catalogue)."""
    extra = ENDPOINTS["sub_account.list"].extra
    code = getattr(exc, "code", None)
    msg = str(getattr(exc, "msg", "") or "").lower()
    return code in extra["not_master_codes"] or str(extra["not_master_message"]) in msg  # type: ignore[operator]


def sub_account_emails(client: Any, known: Iterable[str] = (),
                       created: dict[str, int] | None = None) -> list[str]:
    """Every sub-account email (and, into `created`, each listed one's createTime)."""
    ep = ENDPOINTS["sub_account.list"]
    size = int(ep.page_size or 200)
    emails: set[str] = set(known)
    for page in range(1, 10_001):  # 200 per page: far above any master's sub-accounts
        body = _read(client, ep.name, {"page": page, "limit": size})
        rows = (body.get("subAccounts") if isinstance(body, Mapping) else None) or []
        for row in rows:
            if not isinstance(row, Mapping) or not row.get("email"):
                continue
            emails.add(str(row["email"]))
            try:
                if created is not None and int(row["createTime"]) > 0:
                    created[str(row["email"])] = int(row["createTime"])
            except (KeyError, TypeError, ValueError):
                pass  # no usable creation time: the sub-account's history is read from the start
        if len(rows) < size:
            break
    return sorted(emails)


def sub_account_scopes(client: Any, out: Scopes, known: Mapping[str, list[str]]) -> None:
    try:
        created: dict[str, int] = {}
        emails = sub_account_emails(client, known.get(SUB_ACCOUNTS, ()), created)
        out.notes[SUB_ACCOUNTS] = {"rule": "sub_account_list", "walked": len(emails)}
        out.floors[SUB_ACCOUNTS] = created
    except Exception as exc:
        if not is_not_master(exc):
            log.warning("sub-accounts could not be listed: %s", type(exc).__name__)
            out.failed[SUB_ACCOUNTS] = f"the sub-account list could not be read ({type(exc).__name__})"
            return
        emails = sorted(set(known.get(SUB_ACCOUNTS, ())))
        out.notes[SUB_ACCOUNTS] = {"rule": "not_a_master_account", "walked": len(emails)}
    out.symbols[SUB_ACCOUNTS] = emails


def discover(client: Any, products: Mapping[str, Any],
             known: Mapping[str, list[str]] | None = None) -> Scopes:
    """Every scope of the products the account has (account/info flags; unknown = try)."""
    known = known or {}
    out = Scopes()
    if products.get("isMarginEnabled") is not False:
        margin_scopes(client, out, known)
    if products.get("isFutureEnabled") is not False:
        futures_scopes(client, out, known)
    sub_account_scopes(client, out, known)
    return out
