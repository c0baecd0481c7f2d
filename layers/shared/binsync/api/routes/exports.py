"""/exports: the user's transactions as CSV (one row per leg) and in Waltio's, Koinly's,
CoinTracking's and rotki's (generic trades / events) import formats."""

from __future__ import annotations

from collections.abc import Iterator

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from binsync.api.auth import user_id_from_event
from binsync.api.errors import error_responses
from binsync.api.routes.transactions import (
    AssetQ,
    ConnectionQ,
    From,
    KindQ,
    SourceQ,
    To,
    WalletQ,
    make_filter,
)
from binsync.connections.errors import DomainError
from binsync.model import Transaction
from binsync.transactions import export, queries
from binsync.transactions.rotki_format import rotki_events_csv, rotki_trades_csv
from binsync.transactions.tax_formats import cointracking_csv, koinly_csv

router = APIGatewayRouter()
TAG = ["exports"]
# API Gateway / Lambda answer at most 6 MB; leave room for headers.
MAX_EXPORT_BYTES = 5_500_000
CHUNK = 100

CSV_RESPONSE = {"description": "CSV (UTF-8, comma-separated, CRLF)",
                "content": {"text/csv": {"schema": {"type": "string"}}}}


class TooLarge(DomainError):
    pass


def _user() -> str:
    return user_id_from_event(router.current_event)


def _annotated(user_id: str, flt: queries.TxFilter) -> Iterator[export.Annotated]:
    from binsync.transactions.annotations import annotation_view

    chunk = []
    for tx in queries.iterate(user_id, flt, page_size=500):
        if tx.user_id != user_id:
            continue
        chunk.append(tx)
        if len(chunk) == CHUNK:
            yield from _with_annotations(user_id, chunk, annotation_view)
            chunk = []
    if chunk:
        yield from _with_annotations(user_id, chunk, annotation_view)


def _with_annotations(user_id, chunk, annotation_view):
    anns = queries.annotations_for(user_id, chunk)
    for tx in chunk:
        yield export.Annotated(Transaction.from_dict(tx.body), annotation_view(anns.get(tx.tx_id)))


def _csv(body: str, file_name: str, omitted: export.Omitted | None = None) -> Response[str]:
    if len(body.encode("utf-8")) > MAX_EXPORT_BYTES:
        raise TooLarge("export_too_large", "This export is larger than one answer can carry; export it in "
                       "several parts with `from` and `to`.", field="from")
    headers = {"Content-Disposition": f'attachment; filename="{file_name}"'}
    if omitted is not None:  # what the format cannot carry, said rather than dropped silently
        headers["X-Binsync-Omitted"] = omitted.header()
    return Response(status_code=200, content_type="text/csv; charset=utf-8", body=body, headers=headers)


@router.get("/exports/transactions.csv", tags=TAG, summary="Transactions as CSV, one row per leg",
            description="One row per leg; a transaction without legs is one row with `detail_of` naming "
            "where its money moved. The same columns as `binsync sync --out FILE.csv`.",
            responses={200: CSV_RESPONSE, **error_responses(401, 404, 413, 422)})
def export_transactions(from_: From = None, to: To = None, kind: KindQ = None, asset: AssetQ = None,
                        wallet: WalletQ = None, source: SourceQ = None,
                        connection_id: ConnectionQ = None) -> Response[str]:
    user_id = _user()
    flt = make_filter(from_, to, kind, asset, wallet, source, connection_id)
    return _csv(export.transactions_csv(_annotated(user_id, flt)), "transactions.csv")


@router.get("/exports/waltio.csv", tags=TAG, summary="Transactions in Waltio's import format (18 columns)",
            description="Waltio rows are balance changes: a transaction without one (the detail of a "
            "record that carries the money, e.g. a futures fill) has no row. The `X-Binsync-Omitted` "
            "header counts them with the reason; transactions.csv lists them with `detail_of`.",
            responses={200: CSV_RESPONSE, **error_responses(401, 404, 413, 422)})
def export_waltio(from_: From = None, to: To = None, kind: KindQ = None, asset: AssetQ = None,
                  wallet: WalletQ = None, source: SourceQ = None,
                  connection_id: ConnectionQ = None) -> Response[str]:
    user_id = _user()
    flt = make_filter(from_, to, kind, asset, wallet, source, connection_id)
    omitted = export.Omitted()
    body = export.waltio_csv(_annotated(user_id, flt), omitted)
    return _csv(body, "waltio.csv", omitted)


_ONE_ROW = ("One row per transaction carries one received, one sent and one fee asset, netted "
            "across Binance wallets; a transaction it cannot express (several assets, fees in two "
            "assets, no net balance change) has no row and is counted with its reason in the "
            "`X-Binsync-Omitted` header.")


@router.get("/exports/koinly.csv", tags=TAG,
            summary="Transactions in Koinly's universal CSV format (12 columns)",
            description=_ONE_ROW, responses={200: CSV_RESPONSE, **error_responses(401, 404, 413, 422)})
def export_koinly(from_: From = None, to: To = None, kind: KindQ = None, asset: AssetQ = None,
                  wallet: WalletQ = None, source: SourceQ = None,
                  connection_id: ConnectionQ = None) -> Response[str]:
    flt = make_filter(from_, to, kind, asset, wallet, source, connection_id)
    omitted = export.Omitted()
    return _csv(koinly_csv(_annotated(_user(), flt), omitted), "koinly.csv", omitted)


@router.get("/exports/cointracking.csv", tags=TAG,
            summary="Transactions in CoinTracking's CSV import format (12 columns)",
            description=_ONE_ROW, responses={200: CSV_RESPONSE, **error_responses(401, 404, 413, 422)})
def export_cointracking(from_: From = None, to: To = None, kind: KindQ = None, asset: AssetQ = None,
                        wallet: WalletQ = None, source: SourceQ = None,
                        connection_id: ConnectionQ = None) -> Response[str]:
    flt = make_filter(from_, to, kind, asset, wallet, source, connection_id)
    omitted = export.Omitted()
    return _csv(cointracking_csv(_annotated(_user(), flt), omitted), "cointracking.csv", omitted)


_ROTKI = ("rotki's generic import comes in two files: trades (a received and a sent asset) and "
          "events (Deposit, Withdrawal, Income, Loss, Spend, Staking); Timestamp in milliseconds, "
          "Location `binance`. Each file counts in `X-Binsync-Omitted` what it leaves out and why, "
          "including the transactions that are in the other file.")


@router.get("/exports/rotki_trades.csv", tags=TAG,
            summary="Trades in rotki's generic trades import format (9 columns)",
            description=_ROTKI, responses={200: CSV_RESPONSE, **error_responses(401, 404, 413, 422)})
def export_rotki_trades(from_: From = None, to: To = None, kind: KindQ = None, asset: AssetQ = None,
                        wallet: WalletQ = None, source: SourceQ = None,
                        connection_id: ConnectionQ = None) -> Response[str]:
    flt = make_filter(from_, to, kind, asset, wallet, source, connection_id)
    omitted = export.Omitted()
    return _csv(rotki_trades_csv(_annotated(_user(), flt), omitted), "rotki_trades.csv", omitted)


@router.get("/exports/rotki_events.csv", tags=TAG,
            summary="Other transactions in rotki's generic events import format (8 columns)",
            description=_ROTKI, responses={200: CSV_RESPONSE, **error_responses(401, 404, 413, 422)})
def export_rotki_events(from_: From = None, to: To = None, kind: KindQ = None, asset: AssetQ = None,
                        wallet: WalletQ = None, source: SourceQ = None,
                        connection_id: ConnectionQ = None) -> Response[str]:
    flt = make_filter(from_, to, kind, asset, wallet, source, connection_id)
    omitted = export.Omitted()
    return _csv(rotki_events_csv(_annotated(_user(), flt), omitted), "rotki_events.csv", omitted)
