"""API rows -> unified transactions, for every endpoint of docs/ledger.md.

    result = normalise("spot.my_trades", rows, uid="354937868",
                       context={"symbol": "BNBBTC", "base": "BNB", "quote": "BTC"})
    result.transactions  # Transaction per economic event (or detail record, with no legs)
    result.skipped       # [(row index, reason)]: well-formed rows that are not events
    result.rejected      # [(row index, field, reason)]: malformed rows, reported, never fatal

`rows` are the records of one response (already taken out of the endpoint's envelope, e.g. the
`rows` list, or the `userAssetDribblets` list for dust). `context` carries what the rows do not:
the request's symbol and its base/quote assets (or the exchangeInfo `symbols` map
{symbol: (base, quote)}), and the variant params (transactionType, type, tradeType, accountType,
isIsolated, isolatedSymbol), at its top level or under `params`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from binsync.model import Transaction

from . import (
    auto_invest,
    auto_invest_extra,
    convert,
    convert_transfer,
    crypto_loans,
    dual_investment,
    dust,
    earn,
    fiat,
    futures,
    loans,
    margin,
    mining,
    mining_extra,
    options,
    p2p_pay,
    rebates,
    small_liability,
    spot,
    staking,
    staking_extra,
    sub_account,
    travel_rule,
    wallet,
    yields,
)
from .base import Normaliser, NormaliseResult, Row, RowContext, RowError, Skip

__all__ = ["NON_HISTORY", "REGISTRY", "NormaliseResult", "UnknownEndpoint", "legs_sum", "normalise"]

log = logging.getLogger(__name__)

REGISTRY: dict[str, Normaliser] = {}
for _module in (spot, wallet, dust, fiat, convert, convert_transfer, p2p_pay, margin, futures, options,
                earn, staking, auto_invest, mining, loans, rebates,
                # issue 14: products that had no catalogue entry
                crypto_loans, small_liability, staking_extra, yields, mining_extra, travel_rule,
                dual_investment, auto_invest_extra, sub_account):
    REGISTRY.update(_module.NORMALISERS)

# Account-state and reference endpoints: they describe, they hold no events (docs/ledger.md).
NON_HISTORY: frozenset[str] = frozenset(
    {"spot.exchange_info", "account.spot", "account.api_restrictions", "account.info", "system.time"}
)


class UnknownEndpoint(KeyError):
    """An endpoint name that docs/ledger.md does not list: a programming error, not bad data."""


def normalise(endpoint_name: str, rows: Iterable[Any], *, uid: str,
              context: Mapping[str, Any] | None = None) -> NormaliseResult:
    """Normalise one batch of rows of `endpoint_name`; never raises for a bad row."""
    result = NormaliseResult()
    if endpoint_name in NON_HISTORY or _is_state_endpoint(endpoint_name):
        return result
    normaliser = REGISTRY.get(endpoint_name)
    if normaliser is None:
        raise UnknownEndpoint(endpoint_name)
    ctx = RowContext(uid=str(uid), endpoint=endpoint_name, context=context or {})
    seen: dict[str, int] = {}
    for index, raw in enumerate(rows):
        if not isinstance(raw, Mapping):
            result.rejected.append((index, "row", f"not an object: {type(raw).__name__}"))
            continue
        ctx.raw = raw
        try:
            outcome = normaliser(Row(raw), ctx)
        except RowError as err:
            result.rejected.append((index, err.field, err.reason))
            continue
        except Exception as err:  # a bug or a shape nobody foresaw must not lose the other rows
            log.exception("normaliser %s failed on row %d", endpoint_name, index)
            result.rejected.append((index, "row", f"unexpected {type(err).__name__}: {err}"))
            continue
        if isinstance(outcome, Skip):
            result.skipped.append((index, outcome.reason))
        elif outcome.id in seen:
            # Overlapping pages or windows: the same record twice is stored once.
            first = seen[outcome.id]
            result.skipped.append((index, f"duplicate of row {first} ({outcome.source.native_id})"))
        else:
            seen[outcome.id] = index
            result.transactions.append(outcome)
    return result


def _is_state_endpoint(name: str) -> bool:
    """The catalogue marks account-state/reference endpoints history=False: no events there."""
    from binsync.binance.catalogue import ENDPOINTS  # imported late: the catalogue is data-heavy

    entry = ENDPOINTS.get(name)
    return entry is not None and not entry.history and name not in REGISTRY


def legs_sum(transactions: Iterable[Transaction], *,
             include_external: bool = True) -> dict[tuple[str, str], Decimal]:
    """Net balance change per (asset, wallet): the conservation check of docs/ledger.md.

    Balance reconciliation against Binance passes include_external=False: `external` legs are
    money outside Binance (a card, a P2P counterparty's bank).
    """
    totals: dict[tuple[str, str], Decimal] = {}
    for tx in transactions:
        for item in tx.legs:
            if item.wallet == "external" and not include_external:
                continue
            key = (item.asset, item.wallet)
            totals[key] = totals.get(key, Decimal(0)) + item.amount
    return totals
