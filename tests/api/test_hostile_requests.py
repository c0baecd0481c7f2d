"""Hostile requests get a 4xx with a reason, never a 500 (issue 17)."""

from __future__ import annotations

from typing import Any

import pytest


def test_a_deeply_nested_body_is_a_400(api: Any) -> None:
    body = "[" * 100_000 + "]" * 100_000
    status, payload = api.call("POST", "/connections", body=body,
                               headers={"Content-Type": "application/json"})
    assert status == 400, payload
    assert payload["error"]["code"] == "invalid_json"


@pytest.mark.parametrize("value", ["9999-01-01T00:00:00Z", "1969-12-31T23:59:59Z", "253402300799000"])
def test_dates_outside_the_supported_range_are_refused_at_the_door(api: Any, value: str) -> None:
    status, payload = api.call("GET", "/transactions", query={"from": value})
    assert status == 400, payload
    assert payload["error"]["code"] == "time_out_of_range" and payload["error"]["field"] == "query.from"


def test_dates_inside_the_range_are_accepted(api: Any) -> None:
    status, payload = api.call("GET", "/transactions", query={"from": "2017-07-14T00:00:00Z",
                                                              "to": "2099-12-31T23:59:59Z"})
    assert status == 200, payload


@pytest.mark.parametrize("path", ["/connections/zz-probe-id", "/transactions/zz-probe-id",
                                  "/uploads/zz-probe-id", "/connections/zz-probe-id/syncs"])
def test_not_found_messages_do_not_echo_the_path_id(api: Any, path: str) -> None:
    status, payload = api.call("GET", path)
    assert status == 404, payload
    assert "zz-probe-id" not in str(payload)


def test_a_run_not_found_does_not_echo_its_id(api: Any) -> None:
    connection = api.register()
    status, payload = api.call("GET", f"/connections/{connection['connection_id']}/syncs/zz-probe-id")
    assert status == 404, payload
    assert "zz-probe-id" not in str(payload)
