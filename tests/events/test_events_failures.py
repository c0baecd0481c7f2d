"""Disable-on-error (binsync.events.failures and functions/on_sync_failed) on moto."""

from __future__ import annotations

import json

import pytest
from binsync.events import failures
from binsync.events.failures import FailedExecution, classify, handle_failure
from events_support import FakeContext, load_handler, make_connection, make_run

ARN = "arn:aws:states:us-east-1:123456789012:execution:binsync-sync:"
T0 = 1_763_000_000_000  # 2025-11-13


def _facts(run_id: str, *, error: str | None, status: str = "FAILED", cause: str | None = None,
           stop_ms: int | None = None, connection_id: str = "c1") -> FailedExecution:
    return FailedExecution(
        execution_arn=ARN + f"sync-{run_id}", status=status, error=error, cause=cause,
        input={"user_id": "user-a", "connection_id": connection_id, "run_id": run_id},
        stop_ms=stop_ms if stop_ms is not None else int(run_id.split("-")[0]) + 60_000,
    )


def _conn():
    from binsync.storage.models import ConnectionModel

    return ConnectionModel.get("user-a", "c1")


def _run(run_id: str):
    from binsync.storage.models import RunModel

    return RunModel.get("c1", run_id)


@pytest.mark.parametrize(("status", "error", "category"), [
    ("FAILED", "CredentialsInvalid", "credentials"),
    ("FAILED", "PermissionMissing", "permissions"),
    ("FAILED", "RateLimited", "transient"),
    ("FAILED", "TransientError", "transient"),
    ("FAILED", "Lambda.ServiceException", "transient"),
    ("FAILED", "States.Timeout", "transient"),
    ("TIMED_OUT", None, "transient"),
    ("FAILED", "KeyError", "transient"),
    ("ABORTED", None, "aborted"),
    ("FAILED", "ItemTooLarge", "permanent"),
])
def test_only_credentials_and_permissions_disable(status, error, category):
    assert classify(status, error).category == category
    assert (category in failures.DISABLING) == (error in ("CredentialsInvalid", "PermissionMissing"))


def test_cause_inside_the_lambda_error_envelope_is_read():
    inner = {"connection_id": "c1", "user_id": "user-a", "run_id": "r", "type": "CredentialsInvalid"}
    envelope = json.dumps({"errorType": "CredentialsInvalid", "errorMessage": json.dumps(inner),
                           "stackTrace": []})
    assert failures.cause_details(envelope)["run_id"] == "r"
    assert failures.cause_details("not json") == {}


def test_revoked_key_disables_with_a_reason_the_user_can_act_on(aws):
    make_connection("user-a", "c1")
    run_id = f"{T0:013d}-aaaa0001"
    make_run("c1", run_id)
    outcome = handle_failure(_facts(run_id, error="CredentialsInvalid"))
    assert outcome.action == "disabled"
    conn = _conn()
    assert conn.status == "disabled"
    assert conn.status_changed_at == T0 + 60_000  # the execution's stop time, not "now"
    reason = conn.status_reason
    assert "rejected this connection's API key" in reason
    assert "API Management" in reason
    assert "/connections/c1/revalidate" in reason and "/connections/c1/keys" in reason
    assert "2025-11-13" in reason
    run = _run(run_id)
    assert run.status == "failed"
    assert run.error["type"] == "CredentialsInvalid"
    assert run.error["category"] == "credentials"
    assert run.error["user_message"] == reason
    assert run.finished_at == T0 + 60_000


def test_permission_loss_says_how_to_fix_the_key(aws):
    make_connection("user-a", "c1")
    run_id = f"{T0:013d}-aaaa0002"
    make_run("c1", run_id)
    cause = json.dumps({"connection_id": "c1", "user_id": "user-a", "run_id": run_id,
                        "type": "PermissionMissing",
                        "msg": "Invalid API-key, IP, or permissions for action."})
    handle_failure(_facts(run_id, error="PermissionMissing", cause=cause))
    conn = _conn()
    assert conn.status == "disabled"
    assert "Enable Reading" in conn.status_reason and "IP access" in conn.status_reason
    assert "Invalid API-key, IP, or permissions for action." in conn.status_reason


def test_same_event_twice_changes_nothing_more(aws):
    make_connection("user-a", "c1")
    run_id = f"{T0:013d}-aaaa0003"
    make_run("c1", run_id)
    facts = _facts(run_id, error="CredentialsInvalid")
    handle_failure(facts)
    first_conn, first_run = _conn().attribute_values, _run(run_id).attribute_values
    again = handle_failure(facts)
    assert again.action == "already_disabled"
    assert _conn().attribute_values == first_conn
    assert _run(run_id).attribute_values == first_run


def test_late_redelivery_after_revalidation_does_not_disable_again(aws):
    run_id = f"{T0:013d}-aaaa0004"
    # The user fixed the key and revalidated after this execution ended.
    make_connection("user-a", "c1", status_changed_at=T0 + 3_600_000)
    make_run("c1", run_id)
    outcome = handle_failure(_facts(run_id, error="CredentialsInvalid"))
    assert outcome.action == "stale"
    assert _conn().status == "active"


def test_transient_failures_are_counted_warned_and_never_disable(aws):
    make_connection("user-a", "c1", warnings=["Futures are not enabled on this key."])
    outcomes = []
    for i, error in enumerate(["RateLimited", "TransientError", "States.Timeout"]):
        run_id = f"{T0 + i * 604_800_000:013d}-bbbb000{i}"
        make_run("c1", run_id)
        outcomes.append(handle_failure(_facts(run_id, error=error)))
        conn = _conn()
        assert conn.status == "active"
        assert conn.consecutive_transient_failures == i + 1
    assert [o.action for o in outcomes] == ["counted"] * 3
    assert outcomes[0].warning is None and outcomes[1].warning is None
    warning = outcomes[2].warning
    assert warning and "last 3 syncs" in warning and "ran out of time" in warning
    assert _conn().warnings == ["Futures are not enabled on this key.", warning]
    # Redelivered: still 3, still one warning.
    handle_failure(_facts(run_id, error="States.Timeout"))
    assert _conn().consecutive_transient_failures == 3
    assert len(_conn().warnings) == 2
    assert _run(run_id).error["category"] == "transient"
    assert "The key is fine" in _run(run_id).error["user_message"]

    # A successful sync clears the counter and the warning, not the registration warning.
    failures.reset_transient_failures("user-a", "c1")
    assert _conn().consecutive_transient_failures == 0
    assert _conn().warnings == ["Futures are not enabled on this key."]


def test_a_success_in_between_restarts_the_count(aws):
    make_connection("user-a", "c1")
    make_run("c1", f"{T0:013d}-cccc0001", status="failed", error={"type": "RateLimited"})
    make_run("c1", f"{T0 + 1000:013d}-cccc0002", status="succeeded")
    run_id = f"{T0 + 2000:013d}-cccc0003"
    make_run("c1", run_id)
    assert handle_failure(_facts(run_id, error="TransientError")).consecutive_transient_failures == 1


def test_aborted_and_map_children_are_not_failures_of_the_key(aws):
    make_connection("user-a", "c1")
    run_id = f"{T0:013d}-dddd0001"
    make_run("c1", run_id)
    assert handle_failure(_facts(run_id, error=None, status="ABORTED")).action == "aborted"
    child = FailedExecution(execution_arn=ARN.rstrip(":") + "/maprun1:child-1", status="FAILED",
                            error="CredentialsInvalid", input={"user_id": "user-a", "connection_id": "c1"})
    assert handle_failure(child).action == "ignored"
    conn = _conn()
    assert conn.status == "active" and conn.consecutive_transient_failures == 0


def test_failure_of_a_deleted_connection_is_recorded_without_error(aws):
    run_id = f"{T0:013d}-eeee0001"
    make_run("c1", run_id)
    outcome = handle_failure(_facts(run_id, error="CredentialsInvalid"))
    assert outcome.action == "ignored"
    assert _run(run_id).status == "failed"


@pytest.mark.parametrize(("event", "field"), [
    ({}, "detail-type"),
    ({"detail-type": "Step Functions Execution Status Change"}, "detail"),
    ({"detail-type": "Step Functions Execution Status Change", "detail": {"status": "FAILED"}},
     "detail.executionArn"),
])
def test_malformed_events_name_the_missing_field(event, field):
    with pytest.raises(ValueError, match=field.replace(".", r"\.")):
        failures.parse_status_change(event)


def _status_change_event(described):
    try:
        from binsync_local.cloud.events import execution_status_change_event
    except ImportError:  # pragma: no cover - the local cloud is the foundation helper's
        pytest.skip("binsync_local.cloud.events not available")
    return execution_status_change_event(described, account_id="123456789012", region="us-east-1")


def test_handler_reads_the_failed_execution_and_disables(aws):
    make_connection("user-a", "c1")
    run_id = f"{T0:013d}-ffff0001"
    make_run("c1", run_id)
    cause = json.dumps({"connection_id": "c1", "user_id": "user-a", "run_id": run_id,
                        "type": "CredentialsInvalid", "user_message": "Binance rejected the API key"})
    described = aws.run_to_end({"user_id": "user-a", "connection_id": "c1", "run_id": run_id,
                                "fail_with": "CredentialsInvalid", "cause": cause})
    assert described["status"] == "FAILED"
    event = _status_change_event(described)
    event["detail"].pop("input")  # the handler must not depend on the event's (truncatable) copy
    handler = load_handler("on_sync_failed")
    result = handler.lambda_handler(event, FakeContext())
    assert result["action"] == "disabled" and result["category"] == "credentials"
    assert _conn().status == "disabled"
    assert handler.lambda_handler(event, FakeContext())["action"] == "already_disabled"


def test_handler_survives_a_foreign_event(aws):
    handler = load_handler("on_sync_failed")
    result = handler.lambda_handler({"detail-type": "Scheduled Event", "detail": {}}, FakeContext())
    assert result["action"] == "ignored" and "detail-type" in result["error"]


@pytest.mark.parametrize(("cause", "says"), [
    ({"code": -1022}, "secret stored here no longer matches"),
    ({"code": -2014}, "no longer recognises the key"),
    ({"code": -2015}, "does not say which"),
    ({"message": "CredentialsInvalid endpoint=spot.my_trades http=401 code=-2015 "
                 "msg='Invalid API-key, IP, or permissions for action.'"}, "does not say which"),
    ({}, "does not say which"),
])
def test_the_reason_follows_binance_code_and_keeps_the_sync_details(aws, cause, says):
    make_connection("user-a", "c1")
    run_id = f"{T0:013d}-abab0001"
    make_run("c1", run_id, error={"type": "CredentialsInvalid", "endpoint": "spot.my_trades", **cause})
    handle_failure(_facts(run_id, error="CredentialsInvalid", cause=json.dumps(cause)))
    assert says in _conn().status_reason
    if "message" in cause:
        assert 'Binance said: "Invalid API-key, IP, or permissions for action."' in _conn().status_reason
    error = _run(run_id).error
    assert error["endpoint"] == "spot.my_trades"  # the sync's own details are kept
    assert error["category"] == "credentials"


def test_the_sample_failure_event_disables_its_connection(aws):
    """events/sfn_execution_failed.json (the foundation's real-shape sample): no run id in its
    input and a plain-text cause in the Lambda envelope; it still disables with a reason."""
    from events_support import ROOT

    event = json.loads((ROOT / "events" / "sfn_execution_failed.json").read_text())
    facts = failures.parse_status_change(event)
    detail = event["detail"]
    assert (facts.status, facts.error, facts.stop_ms) == ("FAILED", "CredentialsInvalid", detail["stopDate"])
    user_id = json.loads(detail["input"])["user_id"]
    make_connection(user_id, "c-01HZX3K9")
    outcome = handle_failure(facts)
    assert (outcome.action, outcome.run_id) == ("disabled", None)
    from binsync.storage.models import ConnectionModel

    conn = ConnectionModel.get(user_id, "c-01HZX3K9")
    assert conn.status == "disabled" and conn.status_changed_at == detail["stopDate"]
    assert "2026-01-05 at 09:15 UTC" in conn.status_reason


def test_a_record_too_large_to_store_is_permanent_named_and_never_counted(aws):
    """Issue 17 item 2: the same transaction fails every sync, so it is not "transient"."""
    make_connection("user-a", "c1")
    make_run("c1", f"{T0:013d}-eeee0001", status="failed", error={"type": "RateLimited",
                                                                  "category": "transient"})
    run_id = f"{T0 + 1000:013d}-eeee0002"
    named = "A record of this account is too large for binsync to store (transaction tx-9 ...)."
    make_run("c1", run_id, error={"type": "ItemTooLarge", "message": "transaction tx-9 at 1 ...",
                                  "user_message": named})
    for _ in range(2):  # redelivered: the same
        outcome = handle_failure(_facts(run_id, error="ItemTooLarge"))
        assert (outcome.action, outcome.category) == ("permanent", "permanent")
        assert outcome.consecutive_transient_failures is None
    conn = _conn()
    assert conn.status == "active" and not conn.warnings
    assert failures.count_transient_failures("c1")[0] == 1  # only the RateLimited run before it
    run = _run(run_id)
    assert run.error["category"] == "permanent" and run.error["type"] == "ItemTooLarge"
    assert run.error["user_message"] == named  # the finish step's message naming the record
    # A later transient failure counts from the earlier one, skipping the permanent one.
    later = f"{T0 + 2000:013d}-eeee0003"
    make_run("c1", later)
    assert handle_failure(_facts(later, error="TransientError")).consecutive_transient_failures == 2
