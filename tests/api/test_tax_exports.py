"""GET /exports/koinly.csv and /exports/cointracking.csv: the formats through the API, with the
other exports' filters, the omitted count in a header, and unknown parameters refused."""

from __future__ import annotations

import csv
import io

from binsync.transactions.tax_formats import COINTRACKING_HEADER, KOINLY_HEADER

START = 1_600_000_000_000
HOUR = 3_600_000


def _rows(body: str, header: tuple[str, ...]) -> list[dict[str, str]]:
    table = list(csv.reader(io.StringIO(body)))
    assert tuple(table[0]) == header
    return [dict(zip(header, r, strict=True)) for r in table[1:]]


def _seed(api):
    conn = api.register(uid=555)
    api.finish_runs(conn["connection_id"])
    return api.seed_transactions("user-a", "555", 6, connection_id=conn["connection_id"])


def test_koinly_export_through_the_api(api):
    ids = _seed(api)
    status, headers, body = api.raw("GET", "/exports/koinly.csv", query={"to": START + 3 * HOUR})
    assert status == 200 and headers["Content-Type"].startswith("text/csv")
    assert headers["Content-Disposition"] == 'attachment; filename="koinly.csv"'
    assert headers["X-Binsync-Omitted"] == "0"
    trade, deposit, reward = _rows(body, KOINLY_HEADER)
    assert (trade["Sent Amount"], trade["Sent Currency"], trade["Received Amount"]) == (
        "300.5",
        "USDT",
        "0.01",
    )
    assert (trade["Fee Amount"], trade["Fee Currency"]) == ("0.0001", "BNB")
    assert trade["Date"] == "2020-09-13 12:26:40 UTC"
    assert deposit["Received Amount"] == "1.5" and reward["Label"] == "reward"
    status, _headers, body = api.raw("GET", "/exports/koinly.csv", query={"kind": "deposit"})
    assert status == 200 and len(_rows(body, KOINLY_HEADER)) == 2  # the filters apply
    assert len(ids) == 6


def test_cointracking_export_through_the_api(api):
    ids = _seed(api)
    status, headers, body = api.raw("GET", "/exports/cointracking.csv", query={"to": START + 3 * HOUR})
    assert status == 200 and headers["X-Binsync-Omitted"] == "0"
    trade, deposit, reward = _rows(body, COINTRACKING_HEADER)
    assert (trade["Type"], trade["Buy Amount"], trade["Sell Amount"], trade["Tx-ID"]) == (
        "Trade",
        "0.01",
        "300.5",
        ids[0],
    )
    assert (deposit["Type"], reward["Type"]) == ("Deposit", "Reward / Bonus")


def test_tax_exports_refuse_unknown_parameters(api):
    _seed(api)
    for path in ("/exports/koinly.csv", "/exports/cointracking.csv"):
        status, _headers, body = api.raw("GET", path, query={"kinds": "trade"})
        assert status == 422 and body["error"]["field"] == "query.kinds"


def _store(user: str, uid: str, tx) -> None:
    from binsync.storage.models import TransactionModel, account_key, transaction_sk

    TransactionModel(
        user,
        transaction_sk(tx.time_ms, tx.id),
        tx_id=tx.id,
        account_key=account_key(user, uid),
        binance_uid=uid,
        time_ms=tx.time_ms,
        kind=tx.kind,
        assets=sorted({leg.asset for leg in tx.legs}),
        wallets=sorted({leg.wallet for leg in tx.legs}),
        source_kind=tx.source.kind,
        source_ref=tx.source.ref,
        body=tx.to_dict(),
    ).save()


def test_an_internal_transfer_is_counted_in_the_omitted_header(api):
    from decimal import Decimal

    from binsync.model import Leg, Source, Transaction, transaction_id

    _seed(api)
    transfer = Transaction(
        id=transaction_id("555", "api", "transfer-x"),
        account="555",
        time_ms=START + 30 * 60_000,
        kind="transfer",
        legs=(Leg("USDT", Decimal("-5"), "spot", "out"), Leg("USDT", Decimal("5"), "funding", "in")),
        source=Source("api", "transfer.endpoint"),
        description="spot to funding",
    )
    _store("user-a", "555", transfer)
    for path, header in (
        ("/exports/koinly.csv", KOINLY_HEADER),
        ("/exports/cointracking.csv", COINTRACKING_HEADER),
    ):
        status, headers, body = api.raw("GET", path, query={"to": START + 3 * HOUR})
        assert status == 200
        assert headers["X-Binsync-Omitted"] == "1 (no net balance change (internal transfer): 1)"
        assert len(_rows(body, header)) == 3


def test_rotki_exports_through_the_api(api):
    from binsync.transactions.rotki_format import EVENTS_HEADER, IN_REASON, OUT_REASON, TRADES_HEADER

    ids = _seed(api)
    query = {"to": START + 3 * HOUR}
    status, headers, body = api.raw("GET", "/exports/rotki_trades.csv", query=query)
    assert status == 200 and headers["Content-Disposition"] == 'attachment; filename="rotki_trades.csv"'
    assert headers["X-Binsync-Omitted"] == f"2 ({OUT_REASON}: 2)"
    (trade,) = _rows(body, TRADES_HEADER)
    spent = (trade["Spend Currency"], trade["Spend Amount"], trade["Receive Amount"])
    assert spent == ("USDT", "300.5", "0.01")
    assert (trade["Fee"], trade["Fee Currency"], trade["Timestamp"]) == ("0.0001", "BNB", str(START))
    status, headers, body = api.raw("GET", "/exports/rotki_events.csv", query=query)
    assert status == 200 and headers["X-Binsync-Omitted"] == f"1 ({IN_REASON}: 1)"
    deposit, reward = _rows(body, EVENTS_HEADER)
    assert (deposit["Type"], deposit["Amount"], reward["Type"]) == ("Deposit", "1.5", "Staking")
    assert {deposit["Location"], reward["Location"]} == {"binance"} and len(ids) == 6
    status, _headers, body = api.raw("GET", "/exports/rotki_events.csv", query={"kinds": "trade"})
    assert status == 422 and body["error"]["field"] == "query.kinds"
