"""GET/PATCH /transactions and the exports: filters, cursor pages, annotations, CSV formats."""

from __future__ import annotations

import csv
import io

import pytest
from binsync.transactions.export import WALTIO_HEADER

START = 1_600_000_000_000
HOUR = 3_600_000


@pytest.fixture
def seeded(api):
    conn = api.register(uid=555)
    api.finish_runs(conn["connection_id"])
    ids = api.seed_transactions("user-a", "555", 30, connection_id=conn["connection_id"])
    return conn, ids


def _all_pages(api, **query) -> list[str]:
    seen, cursor = [], None
    for _ in range(100):
        q = dict(query, **({"cursor": cursor} if cursor else {}))
        status, page = api.call("GET", "/transactions", query=q)
        assert status == 200, page
        seen += [t["id"] for t in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            return seen
    raise AssertionError("pagination did not end")


def test_cursor_pages_cover_everything_once_in_both_orders(api, seeded):
    _conn, ids = seeded
    assert _all_pages(api, limit=7) == ids
    assert _all_pages(api, limit=7, order="desc") == ids[::-1]
    assert _all_pages(api, limit=30) == ids
    _status, page = api.call("GET", "/transactions", query={"limit": 30})
    assert page["next_cursor"] is None


def test_filters(api, seeded):
    _conn, ids = seeded
    trades = _all_pages(api, kind="trade", limit=4)
    assert trades == ids[0::3]
    assert _all_pages(api, asset="eth") == ids[1::3]  # case-insensitive asset
    assert _all_pages(api, wallet="earn") == ids[2::3]
    window = _all_pages(api, **{"from": START + 5 * HOUR, "to": START + 10 * HOUR})
    assert window == ids[5:10]  # from inclusive, to exclusive
    iso = _all_pages(api, **{"from": "2020-09-13T12:26:40Z", "to": "2020-09-13T17:26:40+00:00"})
    assert iso == ids[0:5]
    assert _all_pages(api, source="statement") == []
    assert _all_pages(api, kind="trade", **{"from": START + 3 * HOUR}, limit=2) == ids[3::3]


def test_connection_filter_reads_that_account_only(api, seeded):
    conn, ids = seeded
    other = api.register(uid=556)
    other_ids = api.seed_transactions("user-a", "556", 3, connection_id=other["connection_id"],
                                      start_ms=START + 1)
    assert _all_pages(api, connection_id=conn["connection_id"]) == ids
    assert _all_pages(api, connection_id=other["connection_id"]) == other_ids
    status, _body = api.call("GET", "/transactions", query={"connection_id": "c-nope"})
    assert status == 404


@pytest.mark.parametrize("cursor", ["garbage", "eyJ2IjoxfQ", "eyJ2IjoxLCJzayI6IngiLCJvIjoiYXNjIn0",
                                    "%%%", "eyJ2IjoxLCJzayI6IjE2MDAwMDAwMDAwMDAjYWJjIiwibyI6ImRlc2MifQ"])
def test_bad_cursors_are_400_naming_the_cursor(api, seeded, cursor):
    status, body = api.call("GET", "/transactions", query={"cursor": cursor})
    assert status == 400
    assert body["error"]["field"] == "cursor"


@pytest.mark.parametrize("sk", ["9999999999999#abc", "4102444800000#abc"])  # year 2286, 2100-01-01
def test_a_cursor_beyond_the_supported_dates_is_400_naming_the_cursor(api, seeded, sk):
    from binsync.transactions.queries import encode_cursor

    status, body = api.call("GET", "/transactions", query={"cursor": encode_cursor(sk, "asc")})
    assert status == 400
    assert body["error"]["code"] == "invalid_cursor" and body["error"]["field"] == "cursor"
    assert "supported dates" in body["error"]["message"]


def test_bad_ranges_and_values(api, seeded):
    status, body = api.call("GET", "/transactions", query={"from": START + HOUR, "to": START})
    assert status == 400 and body["error"]["field"] == "to"
    for query, field in [({"kind": "robbery"}, "query.kind"), ({"limit": 0}, "query.limit"),
                         ({"limit": 501}, "query.limit"), ({"from": "yesterday"}, "query.from"),
                         ({"wallet": "pocket"}, "query.wallet"), ({"asset": "BT C"}, "query.asset")]:
        status, body = api.call("GET", "/transactions", query=query)
        assert status == 422, query
        assert body["error"]["field"] == field


def test_get_one_has_the_raw_record_and_amounts_as_strings(api, seeded):
    _conn, ids = seeded
    status, tx = api.call("GET", f"/transactions/{ids[0]}")
    assert status == 200
    assert tx["source"]["raw"] == {"id": 10**17}  # ids beyond 2^53 stay exact
    assert tx["source"]["native_id"] == str(10**17)
    assert [leg["amount"] for leg in tx["legs"]] == ["0.01", "-300.5", "-0.0001"]
    status, page = api.call("GET", "/transactions", query={"limit": 1})
    assert page["items"][0]["source"]["raw"] is None  # lists stay light
    assert api.call("GET", "/transactions/nope")[0] == 404


def test_by_id_holds_keys_only_and_get_one_still_returns_the_whole_item(api, seeded):
    """by_id is KEYS_ONLY (one write unit per record instead of the item's size): its one reader,
    GET /transactions/{id}, must still answer with everything the item holds."""
    from binsync.storage.models import TransactionModel

    _conn, ids = seeded
    (key,) = list(TransactionModel.by_id.query("user-a", TransactionModel.tx_id == ids[0]))
    assert key.sk and key.tx_id == ids[0] and key.body is None and key.kind is None
    status, tx = api.call("GET", f"/transactions/{ids[0]}")
    assert status == 200 and tx["id"] == ids[0] and tx["kind"]
    assert tx["source"]["raw"] == {"id": 10**17} and len(tx["legs"]) == 3


def test_annotate_patch_semantics(api, seeded):
    _conn, ids = seeded
    tx_id = ids[4]
    status, tx = api.call("PATCH", f"/transactions/{tx_id}", body={"label": "gift", "note": "n1"})
    assert status == 200 and tx["annotation"]["label"] == "gift" and tx["annotation"]["note"] == "n1"
    status, tx = api.call("PATCH", f"/transactions/{tx_id}",
                          body={"prices": [{"asset": "ETH", "price": "1800.5", "currency": "USD"}]})
    assert tx["annotation"]["label"] == "gift"  # absent fields are kept
    assert tx["annotation"]["prices"] == [{"asset": "ETH", "price": "1800.5", "currency": "USD"}]
    status, tx = api.call("PATCH", f"/transactions/{tx_id}", body={"note": None})
    assert tx["annotation"]["note"] is None and tx["annotation"]["label"] == "gift"
    listed = {t["id"]: t for t in api.call("GET", "/transactions", query={"limit": 10})[1]["items"]}
    assert listed[tx_id]["annotation"]["label"] == "gift"
    status, tx = api.call("PATCH", f"/transactions/{tx_id}", body={"label": None, "prices": None})
    assert tx["annotation"] is None

    for body, field in [({"prices": [{"asset": "ETH", "price": 1800.5}]}, "prices.0.price"),
                        ({"prices": [{"asset": "ETH", "price": "-1"}]}, "prices.0.price"),
                        ({"label": "x" * 101}, "label"), ({"colour": "red"}, "colour")]:
        status, answer = api.call("PATCH", f"/transactions/{tx_id}", body=body)
        assert status == 422, body
        assert answer["error"]["field"] == field


def test_annotations_survive_a_resync(api, seeded):
    conn, ids = seeded
    api.call("PATCH", f"/transactions/{ids[2]}", body={"label": "Masternode & Staking"})
    api.seed_transactions("user-a", "555", 30, connection_id=conn["connection_id"])  # the resync rewrites
    assert api.call("GET", f"/transactions/{ids[2]}")[1]["annotation"]["label"] == "Masternode & Staking"


def _csv(body) -> list[list[str]]:
    text = body.decode() if isinstance(body, bytes) else body
    return list(csv.reader(io.StringIO(text)))


def test_transactions_csv_has_one_row_per_leg_with_annotations(api, seeded):
    _conn, ids = seeded
    api.call("PATCH", f"/transactions/{ids[0]}", body={"label": "=HYPERLINK(\"x\")", "note": "hello"})
    status, headers, body = api.raw("GET", "/exports/transactions.csv", query={"to": START + 3 * HOUR})
    assert status == 200
    assert headers["Content-Type"].startswith("text/csv")
    rows = _csv(body)
    assert rows[0][:6] == ["id", "time", "kind", "account", "asset", "amount"]
    assert len(rows) == 1 + 3 + 1 + 1  # trade (3 legs), deposit, reward
    first = dict(zip(rows[0], rows[1], strict=True))
    assert first["amount"] == "0.01" and first["label"] == "'=HYPERLINK(\"x\")" and first["note"] == "hello"


def test_waltio_export_uses_the_18_columns(api, seeded):
    _conn, ids = seeded
    api.call("PATCH", f"/transactions/{ids[2]}", body={"label": "Airdrop"})
    status, _headers, body = api.raw("GET", "/exports/waltio.csv", query={"to": START + 3 * HOUR})
    assert status == 200
    rows = _csv(body)
    assert tuple(rows[0]) == WALTIO_HEADER
    trade, deposit, reward = (dict(zip(WALTIO_HEADER, r, strict=True)) for r in rows[1:])
    assert trade["Type"] == "Échange"
    assert (trade["Montant reçu"], trade["Monnaie ou jeton reçu"]) == ("0.01", "BTC")
    assert (trade["Montant envoyé"], trade["Monnaie ou jeton envoyé"]) == ("300.5", "USDT")
    assert (trade["Frais"], trade["Monnaie ou jeton des frais"]) == ("0.0001", "BNB")
    assert trade["Date"] == "13/09/2020 12:26:40" and trade["Fuseau horaire"] == "GMT"
    assert trade["ID Externe"] == ids[0]  # what the Waltio reader de-duplicates on
    assert deposit["Type"] == "Dépôt" and deposit["Montant reçu"] == "1.5"
    assert reward["Label"] == "Airdrop"  # the user's label is a valid deposit label: it wins


def test_waltio_header_is_the_statement_packages():
    from binsync.statement.waltio import WALTIO_HEADER as STATEMENT_HEADER

    assert tuple(STATEMENT_HEADER) == WALTIO_HEADER and len(WALTIO_HEADER) == 18
