"""POST /connections: every refused key gets its own message; good keys are stored safely."""

from __future__ import annotations

import pytest
from binsync.connections import registration

REFUSALS = [
    ({"enableReading": False}, "cannot_read", "Enable Reading"),
    ({"ipRestrict": True}, "ip_restricted", "Unrestricted"),
    ({"enableSpotAndMarginTrading": True}, "trading_enabled", "Enable Spot & Margin Trading"),
    ({"enableWithdrawals": True}, "withdrawals_enabled", "Enable Withdrawals"),
    ({"enableInternalTransfer": True}, "internal_transfer_enabled", "Enable Internal Transfer"),
    ({"permitsUniversalTransfer": True}, "universal_transfer_enabled", "Permits Universal Transfer"),
    ({"enableMargin": True}, "margin_loan_enabled", "Margin Loan"),
]


@pytest.mark.parametrize(("restrictions", "code", "hint"), REFUSALS, ids=[r[1] for r in REFUSALS])
def test_each_refused_permission_has_its_own_message(api, restrictions, code, hint):
    api_key, secret = api.fake.add_key(**restrictions)
    status, body = api.call("POST", "/connections", body={"api_key": api_key, "api_secret": secret})
    assert status == 422
    assert body["error"]["code"] == "key_refused"
    assert [d["code"] for d in body["error"]["details"]] == [code]
    assert hint in body["error"]["details"][0]["message"]
    assert "API Management" in body["error"]["message"]
    assert api.call("GET", "/connections")[1]["items"] == []  # nothing stored


def test_all_failed_checks_are_reported_at_once(api):
    api_key, secret = api.fake.add_key(enableReading=False, ipRestrict=True, enableWithdrawals=True,
                                       enableSpotAndMarginTrading=True)
    status, body = api.call("POST", "/connections", body={"api_key": api_key, "api_secret": secret})
    assert status == 422
    assert {d["code"] for d in body["error"]["details"]} == {
        "cannot_read", "ip_restricted", "withdrawals_enabled", "trading_enabled"}


def test_invalid_secret_and_unknown_key(api):
    api_key, _secret = api.fake.add_key()
    status, body = api.call("POST", "/connections", body={"api_key": api_key, "api_secret": "x" * 64})
    assert status == 422
    assert body["error"]["details"][0]["code"] == "invalid_secret"
    assert body["error"]["field"] == "api_secret"
    assert "secret does not belong" in body["error"]["message"]

    status, body = api.call("POST", "/connections", body={"api_key": "K" * 64, "api_secret": "x" * 64})
    assert status == 422
    assert body["error"]["details"][0]["code"] == "unknown_key"
    assert body["error"]["field"] == "api_key"


def test_futures_not_readable_is_a_warning_not_a_refusal(api):
    api_key, secret = api.fake.add_key(enableFutures=False)
    status, body = api.call("POST", "/connections", body={"api_key": api_key, "api_secret": secret})
    assert status == 201
    assert body["status"] == "active"
    assert any("Futures" in w for w in body["warnings"])


def test_no_futures_warning_when_the_account_has_no_futures(api):
    api_key, secret = api.fake.add_key(enableFutures=False)
    api.fake.keys[api_key].info["isFutureEnabled"] = False
    status, body = api.call("POST", "/connections", body={"api_key": api_key, "api_secret": secret})
    assert status == 201
    assert body["warnings"] == []


def test_registered_connection_hides_key_and_secret_and_starts_a_sync(api):
    api_key, secret = api.fake.add_key(uid=12345)
    status, body = api.call("POST", "/connections", body={"api_key": api_key, "api_secret": secret,
                                                          "label": "main", "sync_mode": "full"})
    assert status == 201
    assert body["binance_uid"] == "12345"
    assert body["api_key_hint"] == api_key[-4:]
    assert body["key_type"] == "hmac" and body["label"] == "main"
    assert body["permissions"]["enableReading"] is True
    assert body["current_run"]["status"] == "planning" and body["current_run"]["mode"] == "full"
    text = str(body)
    assert api_key not in text and secret not in text
    assert api.sync_starts == [("user-a", body["connection_id"], "full", "api")]
    # The secret is in Secrets Manager under the user's path, nowhere in DynamoDB.
    from binsync.connections.secrets import load_credentials
    from binsync.storage.models import ConnectionModel

    conn = ConnectionModel.get("user-a", body["connection_id"])
    assert "/users/user-a/connections/" in conn.secret_name
    assert load_credentials(conn.secret_name).secret == secret
    assert secret not in str(conn.attribute_values)


def test_start_sync_false_starts_nothing(api):
    body = api.register(start_sync=False)
    assert body["current_run"] is None
    assert api.sync_starts == []


def test_two_keys_of_one_account_are_one_account_and_a_duplicate_is_refused(api):
    first = api.register(uid=777)
    second = api.register(uid=777)
    assert second["same_account_as"] == [first["connection_id"]]
    status, listed = api.call("GET", "/connections")
    by_id = {c["connection_id"]: c for c in listed["items"]}
    assert by_id[first["connection_id"]]["same_account_as"] == [second["connection_id"]]

    status, body = api.call("POST", "/connections", body={"api_key": first["_api_key"],
                                                          "api_secret": first["_secret"]})
    assert status == 409
    assert body["error"]["code"] == "key_already_connected"
    assert first["connection_id"] in body["error"]["message"]


def test_base_url_is_restricted_unless_allowed(api, monkeypatch):
    api_key, secret = api.fake.add_key()
    monkeypatch.delenv(registration.ALLOW_ENV, raising=False)
    for url in ("http://169.254.169.254", "https://evil.example", "https://api.binance.com/x",
                "file:///etc/passwd", "https://user:pw@api.binance.com"):
        status, body = api.call("POST", "/connections", body={"api_key": api_key, "api_secret": secret,
                                                              "base_url": url})
        assert status == 400, (url, body)
        assert body["error"]["field"] == "base_url"
    assert api.fake.calls == []  # no request left for a refused host

    monkeypatch.setenv(registration.ALLOW_ENV, "http://127.0.0.1:*")
    status, body = api.call("POST", "/connections", body={"api_key": api_key, "api_secret": secret,
                                                          "base_url": "http://127.0.0.1:8123"})
    assert status == 201, body
    assert body["base_url"] == "http://127.0.0.1:8123"


def test_binance_down_is_a_503_not_a_500(api):
    api_key, secret = api.fake.add_key()
    api.fake.keys[api_key].down = True
    status, body = api.call("POST", "/connections", body={"api_key": api_key, "api_secret": secret})
    assert status == 503
    assert body["error"]["code"] == "binance_unavailable"


def test_bad_private_key_for_rsa_is_a_field_error(api):
    api_key, _ = api.fake.add_key()
    status, body = api.call("POST", "/connections", body={"api_key": api_key, "api_secret": "not a pem key",
                                                          "key_type": "rsa"})
    assert status == 400
    assert body["error"]["field"] == "api_secret"
    assert "PEM" in body["error"]["message"]


@pytest.mark.parametrize(("body", "field"), [
    ({"api_secret": "s" * 64}, "api_key"),
    ({"api_key": "k" * 64}, "api_secret"),
    ({"api_key": "k" * 64, "api_secret": "s" * 64, "key_type": "dsa"}, "key_type"),
    ({"api_key": "k" * 64, "api_secret": "s" * 64, "sync_mode": "weekly"}, "sync_mode"),
    ({"api_key": "k" * 64, "api_secret": "s" * 64, "unknown": 1}, "unknown"),
    ({"api_key": "short", "api_secret": "s" * 64}, "api_key"),
    ({"api_key": "k" * 64, "api_secret": "s" * 64, "label": "x" * 101}, "label"),
])
def test_invalid_bodies_name_the_field(api, body, field):
    status, answer = api.call("POST", "/connections", body=body)
    assert status == 422
    assert answer["error"]["field"] == field
    assert field in answer["error"]["message"]
    assert "s" * 64 not in str(answer)  # input is never echoed


def test_options_trading_off_is_no_warning_because_the_sync_reads_options(api):
    """'Enable Vanilla Options' is a trading permission: the run plans and reads the options
    history without it, so registration must not say the sync continues without options."""
    from binsync.binance.catalogue import ENDPOINTS
    from binsync.sync.planner import gate

    api_key, secret = api.fake.add_key(enableVanillaOptions=False)
    api.fake.keys[api_key].info["isOptionsEnabled"] = True
    status, body = api.call("POST", "/connections", body={"api_key": api_key, "api_secret": secret})
    assert status == 201
    assert not [w for w in body["warnings"] if "Options" in w]
    restrictions = api.fake.keys[api_key].restrictions
    assert [gate(ep, restrictions, {"isOptionsEnabled": True}) for ep in ENDPOINTS.values()
            if ep.product == "options" and ep.history] == [None, None, None]
