"""Every error mapping of spec §4 / §1 to the exception class the state machine matches on."""

from __future__ import annotations

import pytest
from binsync.binance import errors as E
from binsync.binance.catalogue import endpoint

READ = endpoint("spot.my_trades")
FUTURES = endpoint("usdm.income")
SAPI = endpoint("wallet.deposits")


@pytest.mark.parametrize(
    ("status", "body", "ep", "cls"),
    [
        (400, {"code": -2014, "msg": "API-key format invalid."}, READ, E.CredentialsInvalid),
        (
            401,
            {"code": -2015, "msg": "Invalid API-key, IP, or permissions for action."},
            READ,
            E.CredentialsInvalid,
        ),
        (
            400,
            {"code": -2015, "msg": "Invalid API-key, IP, or permissions for action."},
            SAPI,
            E.CredentialsInvalid,
        ),
        (
            401,
            {"code": -2015, "msg": "Invalid API-key, IP, or permissions for action."},
            FUTURES,
            E.PermissionMissing,
        ),
        (400, {"code": -1022, "msg": "Signature for this request is not valid."}, READ, E.CredentialsInvalid),
        (401, None, READ, E.CredentialsInvalid),
        (
            400,
            {"code": -1002, "msg": "You are not authorized to execute this request."},
            SAPI,
            E.PermissionMissing,
        ),
        (
            400,
            {"code": -1099, "msg": "Not found, unauthenticated, or unauthorized."},
            FUTURES,
            E.PermissionMissing,
        ),
        (429, {"code": -1003, "msg": "Too much request weight used"}, READ, E.RateLimited),
        (
            418,
            {"code": -1003, "msg": "Way too much request weight used; IP banned until 1700000120000."},
            READ,
            E.IpBanned,
        ),
        (
            400,
            {"code": -1021, "msg": "Timestamp for this request is outside of the recvWindow."},
            READ,
            E.ClockSkew,
        ),
        (400, {"code": -1121, "msg": "Invalid symbol."}, READ, E.InvalidRequest),
        (
            400,
            {"code": -1127, "msg": "More than 24 hours between startTime and endTime."},
            READ,
            E.InvalidRequest,
        ),
        (400, {"code": -1128, "msg": "Combination of optional parameters invalid."}, READ, E.InvalidRequest),
        (400, {"code": -1102, "msg": "Mandatory parameter 'symbol' was not sent."}, READ, E.InvalidRequest),
        (400, {"code": -1130, "msg": "Invalid data sent for a parameter."}, READ, E.InvalidRequest),
        (400, {"code": -1023, "msg": "Start time is greater than end time."}, FUTURES, E.InvalidRequest),
        (400, {"code": -2026, "msg": "Order was canceled or expired"}, READ, E.InvalidRequest),
        (500, {"code": -1000, "msg": "An unknown error occurred"}, READ, E.TransientError),
        (
            400,
            {"code": -1001, "msg": "Internal error; unable to process your request."},
            READ,
            E.TransientError,
        ),
        (
            408,
            {"code": -1007, "msg": "Timeout waiting for response from backend server."},
            READ,
            E.TransientError,
        ),
        (503, {"code": -1008, "msg": "Server is currently overloaded"}, READ, E.TransientError),
        (502, "<html>Bad gateway</html>", READ, E.TransientError),
        (504, None, READ, E.TransientError),
        (403, "<html>WAF</html>", READ, E.RateLimited),
    ],
)
def test_mapping(status, body, ep, cls):
    err = E.classify(status, body, ep, {})
    assert type(err) is cls
    assert isinstance(err, E.BinanceError)
    assert err.http_status == status
    assert err.endpoint == ep.name
    assert err.user_message  # every error says what to do
    if isinstance(body, dict):
        assert err.code == body["code"]


def test_retryable_classes_are_exactly_the_transient_ones():
    assert {
        c.__name__ for c in (E.RateLimited, E.IpBanned, E.ClockSkew, E.TransientError) if c.retryable
    } == {"RateLimited", "IpBanned", "ClockSkew", "TransientError"}
    assert not any(c.retryable for c in (E.CredentialsInvalid, E.PermissionMissing, E.InvalidRequest))


def test_429_carries_retry_after_and_bucket():
    err = E.classify(429, {"code": -1003, "msg": "x"}, READ, {"Retry-After": "7"})
    assert err.retry_after == 7.0
    assert err.bucket == "X-MBX-USED-WEIGHT-1M"
    assert err.to_dict()["retry_after"] == 7.0


def test_418_retry_after_from_header_or_banned_until_message():
    err = E.classify(
        418, {"code": -1003, "msg": "IP banned until 1700000120000."}, READ, {"retry-after": "120"}
    )
    assert err.retry_after == 120.0
    err = E.classify(
        418,
        {"code": -1003, "msg": "Way too much request weight used; IP banned until 1700000120000."},
        READ,
        {},
        now_ms=1_700_000_000_000,
        ip="127.0.0.3",
    )
    assert err.retry_after == 120.0
    assert err.ip == "127.0.0.3"


def test_invalid_symbol_names_the_symbol():
    err = E.classify(400, {"code": -1121, "msg": "Invalid symbol."}, READ, {}, params={"symbol": "USDCBTC"})
    assert err.symbol == "USDCBTC"
    assert "USDCBTC" in err.user_message


def test_minus_2015_on_options_is_a_missing_permission_but_on_margin_a_dead_key():
    options = endpoint("options.bill")
    err = E.classify(
        401, {"code": -2015, "msg": "Invalid API-key, IP, or permissions for action."}, options, {}
    )
    assert isinstance(err, E.PermissionMissing) and "Options" in err.user_message
    margin = endpoint("margin.my_trades")
    err = E.classify(
        401, {"code": -2015, "msg": "Invalid API-key, IP, or permissions for action."}, margin, {}
    )
    assert isinstance(err, E.CredentialsInvalid)


def test_permission_hint_names_the_product():
    err = E.classify(
        401, {"code": -2015, "msg": "Invalid API-key, IP, or permissions for action."}, FUTURES, {}
    )
    assert "Futures" in err.user_message


def test_string_codes_and_non_json_bodies_do_not_crash():
    err = E.classify(400, {"code": "000001", "message": "failed", "success": False}, SAPI, {})
    assert isinstance(err, E.InvalidRequest)
    assert err.msg == "failed"
    err = E.classify(400, b"\xff\xfe garbage", SAPI, None)
    assert isinstance(err, E.InvalidRequest)
