"""Validation messages are written for people (issue 18): no regular expression, no pydantic
jargon, one status per field, and no silently ignored query parameter or foreign cursor."""

from __future__ import annotations

import pytest
from binsync.connections import registration

REAL_FETCHER = registration.default_fetcher  # the api fixture replaces it with a fake Binance
REGEX_MARKS = ("^", "$", "\\x", "[A-", "{1,")


def assert_plain(body: dict) -> None:
    text = " ".join([body["error"]["message"], *(d["message"] for d in body["error"]["details"])])
    assert not any(mark in text for mark in REGEX_MARKS), text
    assert "after validation" not in text and "items" not in text, text


BAD_FIELDS = [
    ("POST", "/connections", {"api_key": "short", "api_secret": "x" * 64}, "api_key", "printable"),
    ("POST", "/connections", {"api_key": "K" * 64, "api_secret": "x"}, "api_secret", "at least 8 characters"),
    ("POST", "/uploads", {"connection_id": "c", "file_name": "a.exe", "size": 5}, "file_name", ".csv"),
]


@pytest.mark.parametrize("method,path,body,field,words", BAD_FIELDS, ids=[b[3] for b in BAD_FIELDS])
def test_422_says_what_the_field_needs_in_words(api, method, path, body, field, words):
    status, answer = api.call(method, path, body=body)
    assert status == 422, answer
    assert answer["error"]["field"] == field
    assert words in answer["error"]["message"]
    assert_plain(answer)


def test_query_and_price_patterns_in_words(api):
    status, answer = api.call("GET", "/transactions", query={"from": "yesterday"})
    assert status == 422 and answer["error"]["field"] == "query.from"
    assert "epoch milliseconds" in answer["error"]["message"]
    assert_plain(answer)
    tx_id = api.seed_transactions("user-a", "354937868", 1)[0]
    status, answer = api.call("PATCH", f"/transactions/{tx_id}",
                              body={"prices": [{"asset": "BTC", "price": "-1", "currency": "euro"}]})
    assert status == 422
    assert {d["field"] for d in answer["error"]["details"]} == {"prices.0.price", "prices.0.currency"}
    assert_plain(answer)


def test_upload_size_zero_too_large_and_a_string_are_all_422(api):
    connection = api.register()
    base = {"connection_id": connection["connection_id"], "file_name": "statement.csv"}
    for size in (0, 60 * 2**20, "12", 12.0):
        status, answer = api.call("POST", "/uploads", body={**base, "size": size})
        assert status == 422, (size, answer)
        assert answer["error"]["field"] == "size"
    assert "50 MB" in api.call("POST", "/uploads", body={**base, "size": 60 * 2**20})[1]["error"]["message"]


def test_a_parameter_given_twice_is_named(api):
    status, answer = api.call("GET", "/transactions", query={"limit": ["1", "2"]})
    assert status == 422
    assert answer["error"]["field"] == "query.limit"
    assert "more than once" in answer["error"]["message"]


def test_an_unknown_query_parameter_is_refused_not_ignored(api):
    api.seed_transactions("user-a", "354937868", 3)
    status, answer = api.call("GET", "/transactions", query={"kinds": "trade"})
    assert status == 422
    assert answer["error"]["code"] == "unknown_parameter"
    assert answer["error"]["field"] == "query.kinds"
    assert "kind" in answer["error"]["message"]  # names what the route accepts
    assert api.call("GET", "/connections", query={"x": "1"})[0] == 422
    assert api.call("GET", "/transactions", query={"kind": "trade"})[0] == 200


def test_a_cursor_only_continues_its_own_filters(api):
    api.seed_transactions("user-a", "354937868", 6)
    status, page = api.call("GET", "/transactions", query={"kind": "trade", "limit": "1"})
    assert status == 200 and page["next_cursor"]
    cursor = page["next_cursor"]
    assert api.call("GET", "/transactions", query={"kind": "trade", "limit": "1", "cursor": cursor})[0] == 200
    status, answer = api.call("GET", "/transactions", query={"kind": "deposit", "cursor": cursor})
    assert status == 400
    assert answer["error"]["code"] == "cursor_filter_mismatch"


def test_an_unreachable_base_url_names_the_address(api, monkeypatch):
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    monkeypatch.setenv("BINSYNC_ALLOW_BASE_URLS", url)
    monkeypatch.setattr("binsync.connections.registration.default_fetcher", REAL_FETCHER)
    status, answer = api.call("POST", "/connections", body={"api_key": "K" * 64, "api_secret": "s" * 64,
                                                            "base_url": url})
    assert status == 422, answer
    assert answer["error"]["code"] == "base_url_unreachable"
    assert answer["error"]["field"] == "base_url"
    assert url in answer["error"]["message"]


def test_a_price_for_an_asset_not_in_the_transaction_is_refused(api):
    tx_id = api.seed_transactions("user-a", "354937868", 1)[0]  # a BTC/USDT trade, BNB fee
    status, answer = api.call("PATCH", f"/transactions/{tx_id}",
                              body={"prices": [{"asset": "ETH", "price": "2000"}]})
    assert status == 422, answer
    assert answer["error"]["field"] == "prices.0.asset" and "BTC" in answer["error"]["message"]
    status, answer = api.call("PATCH", f"/transactions/{tx_id}",
                              body={"prices": [{"asset": "BTC", "price": "27350.5"}]})
    assert status == 200, answer
