"""/transactions: list with filters and a cursor, get one, annotate."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from binsync.api.auth import user_id_from_event
from binsync.api.errors import error_responses
from binsync.api.schemas import patterns
from binsync.api.schemas.transactions import AnnotationPatch, TransactionOut, TransactionPage
from binsync.api.views import transaction_view
from binsync.connections.errors import InvalidInput
from binsync.model import KINDS, WALLETS
from binsync.transactions import annotations, queries

router = APIGatewayRouter()
TAG = ["transactions"]

Kind = Literal[KINDS]  # type: ignore[valid-type]
Wallet = Literal[WALLETS]  # type: ignore[valid-type]
SourceKind = Literal["api", "statement", "manual"]
TxId = Annotated[str, Path(min_length=1, max_length=128)]


def _user() -> str:
    return user_id_from_event(router.current_event)


TIME_PATTERN = patterns.TIME


def to_ms(value: str | None, field: str) -> int | None:
    """Epoch milliseconds from epoch milliseconds or ISO 8601 (UTC when no offset is given)."""
    if value is None:
        return None
    if value.isdigit():
        return _in_range(int(value), field)
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput("invalid_time", f"query.{field}: not a valid date and time",
                           field=f"query.{field}") from None
    if parsed.tzinfo is None:  # naive times are UTC, like every Binance time
        parsed = parsed.replace(tzinfo=UTC)
    return _in_range(int(parsed.timestamp() * 1000), field)


def _in_range(ms: int, field: str) -> int:
    """Refuse a time outside the dates binsync stores (statement.limits: 1970 to 2099)."""
    from binsync.statement.limits import END_SUPPORTED_SEC, FIRST_SUPPORTED_SEC

    if not FIRST_SUPPORTED_SEC * 1000 <= ms <= END_SUPPORTED_SEC * 1000:
        raise InvalidInput("time_out_of_range", f"query.{field}: dates from 1970-01-01 to 2099-12-31 "
                           "are supported", field=f"query.{field}")
    return ms


# Filters shared with the exports.
From = Annotated[str | None, Query(alias="from", pattern=TIME_PATTERN,
                                   description="Inclusive start: epoch milliseconds, or ISO 8601 "
                                   "(e.g. 2024-01-31T00:00:00Z; UTC when no offset)")]
To = Annotated[str | None, Query(alias="to", pattern=TIME_PATTERN,
                                 description="Exclusive end, same formats as `from`")]
KindQ = Annotated[Kind | None, Query(description="Transaction kind")]
AssetQ = Annotated[str | None, Query(pattern=patterns.ASSET, description="Asset on any leg")]
WalletQ = Annotated[Wallet | None, Query(description="Wallet on any leg")]
SourceQ = Annotated[SourceKind | None, Query(description="api | statement | manual")]
ConnectionQ = Annotated[str | None, Query(max_length=64, description="Only the Binance account of this "
                                          "connection")]


def make_filter(from_: str | None, to: str | None, kind: str | None, asset: str | None,
                wallet: str | None, source: str | None, connection_id: str | None) -> queries.TxFilter:
    return queries.TxFilter(from_ms=to_ms(from_, "from"), to_ms=to_ms(to, "to"), kind=kind,
                            asset=asset.upper() if asset else None, wallet=wallet, source=source,
                            connection_id=connection_id)


@router.get("/transactions", tags=TAG, summary="Your transactions, filtered, in pages",
            responses={200: {"description": "One page"}, **error_responses(400, 401, 404, 422)})
def list_transactions(
    from_: From = None, to: To = None, kind: KindQ = None, asset: AssetQ = None, wallet: WalletQ = None,
    source: SourceQ = None, connection_id: ConnectionQ = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: Annotated[str | None, Query(max_length=512,
                                        description="`next_cursor` of the previous page")] = None,
    order: Annotated[Literal["asc", "desc"], Query()] = "asc",
) -> TransactionPage:
    user_id = _user()
    flt = make_filter(from_, to, kind, asset, wallet, source, connection_id)
    page = queries.list_page(user_id, flt, limit=limit, order=order, cursor=cursor)
    anns = queries.annotations_for(user_id, page.items)
    return TransactionPage(items=[transaction_view(tx, anns.get(tx.tx_id)) for tx in page.items],
                           next_cursor=page.next_cursor)


@router.get("/transactions/<transaction_id>", tags=TAG, summary="One transaction with its raw record "
            "and your annotation",
            responses={200: {"description": "The transaction"}, **error_responses(401, 404, 422)})
def get_transaction(transaction_id: TxId) -> TransactionOut:
    user_id = _user()
    tx = queries.get_transaction(user_id, transaction_id)
    return transaction_view(tx, annotations.get_annotation(user_id, tx), with_raw=True)


@router.patch("/transactions/<transaction_id>", tags=TAG, summary="Annotate: label, price overrides, note",
              description="Stored apart from the synced record: survives every resync, and deleting and "
              "re-adding a key of the same Binance account. Present fields replace, null clears, absent "
              "fields are kept.",
              responses={200: {"description": "The annotated transaction"}, **error_responses(401, 404, 422)})
def annotate(transaction_id: TxId, body: AnnotationPatch) -> TransactionOut:
    user_id = _user()
    tx = queries.get_transaction(user_id, transaction_id)
    changes = {name: getattr(body, name) for name in body.model_fields_set}
    if "prices" in changes and changes["prices"] is not None:
        changes["prices"] = [p.model_dump() for p in body.prices or []]
    ann = annotations.annotate(user_id, tx, changes)
    return transaction_view(tx, ann, with_raw=True)
