"""Deployed, a worker reads a user's secret through a session assumed for that user only
(issue 17 item 5). moto enforces no IAM: this checks the session is requested with the right
role and tag and is the one used; tests/template checks what that role's policy allows."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from binsync.binance.signing import Credentials
from binsync.connections import secrets, tenant_scope


def test_scoping_is_off_when_no_tenant_role_is_configured(cloud: Any) -> None:
    assert cloud.env["TENANT_ROLE_ARN"] == ""  # the local cloud blanks the template's value
    assert tenant_scope.tenant_session("user-a") is None


def test_with_a_tenant_role_each_user_secret_is_read_through_a_session_tagged_with_that_user(
        cloud: Any, monkeypatch: Any) -> None:
    role = boto3.client("iam").create_role(RoleName="binsync-tenant", AssumeRolePolicyDocument="{}")
    monkeypatch.setenv("TENANT_ROLE_ARN", role["Role"]["Arn"])
    monkeypatch.setattr(secrets, "_tenant_providers", {})
    asked: list[dict[str, Any]] = []
    real_client = boto3.client
    real_assume = real_client("sts").assume_role

    class RecordingSts:
        def assume_role(self, **kwargs: Any) -> Any:
            asked.append(kwargs)
            return real_assume(**kwargs)

    def client(service: str, *args: Any, **kwargs: Any) -> Any:
        return RecordingSts() if service == "sts" else real_client(service, *args, **kwargs)

    monkeypatch.setattr(tenant_scope.boto3, "client", client)
    name_a = secrets.store_credentials("user-a", "c1", Credentials("key-a", "secret-a"))
    name_b = secrets.store_credentials("user-b", "c2", Credentials("key-b", "secret-b"))
    assert secrets.load_credentials(name_a).api_key == "key-a"
    assert secrets.load_credentials(name_b).api_key == "key-b"
    assert secrets.load_credentials(name_a, force_fetch=True).api_key == "key-a"  # session reused
    assert [(a["RoleArn"], a["Tags"]) for a in asked] == [
        (role["Role"]["Arn"], [{"Key": "user", "Value": "user-a"}]),
        (role["Role"]["Arn"], [{"Key": "user", "Value": "user-b"}]),
    ]
    assert {a["RoleSessionName"] for a in asked} == {"tenant-user-a", "tenant-user-b"}


def test_a_secret_name_without_a_user_segment_is_refused() -> None:
    with pytest.raises(ValueError, match="users/<user>/"):
        tenant_scope.user_of_secret("binsync/dev/connections/c1")


# ------------------------------------------------------------ the transactions table, per tenant
USER_A = "user-a"
T0 = 1_780_000_000_000


def _deposit(uid: str = "777") -> list[Any]:
    from binsync.normalise import normalise

    return normalise("wallet.deposits", [{"id": "d-1", "amount": "0.5", "coin": "BTC", "network": "BTC",
                                          "status": 1, "address": "a", "txId": "t-1",
                                          "insertTime": T0, "completeTime": T0}],
                     uid=uid).transactions


@pytest.fixture
def signed_requests(monkeypatch: Any) -> list[tuple[str, str]]:
    """(access key, table name) of every DynamoDB request signed while the test runs."""
    import json

    from botocore.auth import SigV4Auth

    seen: list[tuple[str, str]] = []
    real_add_auth = SigV4Auth.add_auth

    def add_auth(self: Any, request: Any) -> None:
        if self._service_name == "dynamodb" and request.body:
            body = json.loads(request.body)
            tables = ([body["TableName"]] if "TableName" in body else list(body.get("RequestItems", {}))
                      + [next(iter(op.values()))["TableName"] for op in body.get("TransactItems", [])])
            seen.extend((self.credentials.access_key, table) for table in tables)
        real_add_auth(self, request)

    monkeypatch.setattr(SigV4Auth, "add_auth", add_auth)
    return seen


@pytest.fixture
def tenant_role(cloud: Any, monkeypatch: Any) -> str:
    role = boto3.client("iam").create_role(RoleName="binsync-tenant-t", AssumeRolePolicyDocument="{}")
    monkeypatch.setenv("TENANT_ROLE_ARN", role["Role"]["Arn"])
    monkeypatch.setattr(tenant_scope, "_sessions", {})
    return role["Role"]["Arn"]


def test_inside_a_tenant_scope_every_transactions_request_carries_the_tenant_credentials(
        cloud: Any, tenant_role: str, signed_requests: list[tuple[str, str]]) -> None:
    from binsync.storage import tenant_tables
    from binsync.storage.models import TransactionModel
    from binsync.storage.writer import write_transactions

    table = TransactionModel.Meta.table_name
    own_key = boto3.Session().get_credentials().access_key
    with tenant_tables.scoped_to(USER_A):
        tenant_key = tenant_scope.cached_tenant_session(USER_A).get_credentials().access_key
        assert write_transactions(_deposit(), user_id=USER_A).new == 1  # BatchGet + BatchWrite
        assert len(list(TransactionModel.query(USER_A))) == 1  # the pynamodb model
        assert len(list(TransactionModel.by_account.query(f"{USER_A}#777"))) == 1
    used = [key for key, name in signed_requests if name == table]
    assert len(used) >= 4 and set(used) == {tenant_key} and tenant_key != own_key
    # Outside the scope the model is back on the function's own credentials.
    signed_requests.clear()
    assert len(list(TransactionModel.query(USER_A))) == 1
    assert {key for key, name in signed_requests if name == table} == {own_key}


def test_a_user_id_that_would_be_a_pattern_in_the_tenant_policy_gets_no_session(tenant_role: str) -> None:
    for user_id in ("*", "user-a#777", "a?b", "users/x", ""):
        with pytest.raises(ValueError, match="letters, digits"):
            tenant_scope.tenant_session(user_id)


@pytest.mark.parametrize("function, entry", [("plan_sync", "plan_run"), ("fetch_window", "run_batch"),
                                             ("finish_sync", "finish_run")])
def test_each_sync_worker_handler_runs_its_step_inside_the_users_tenant_scope(
        cloud: Any, tenant_role: str, monkeypatch: Any, function: str, entry: str) -> None:
    import importlib.util
    from pathlib import Path

    from binsync.storage.models import TransactionModel

    path = Path(__file__).resolve().parents[2] / "functions" / function / "app.py"
    spec = importlib.util.spec_from_file_location(f"tenant_check_{function}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    seen: list[str | None] = []

    def step(*_: Any, **__: Any) -> dict[str, Any]:
        seen.append(TransactionModel.Meta.aws_session_token)
        return {"task_count": 0, "distributed": False, "outcome": "succeeded"}

    monkeypatch.setattr(module, entry, step)
    event = {"user_id": USER_A, "connection_id": "c1", "run_id": "r1", "task_ids": ["t1"]}

    class Context:
        function_name, memory_limit_in_mb, invoked_function_arn, aws_request_id = "f", 128, "arn", "id"

        @staticmethod
        def get_remaining_time_in_millis() -> int:
            return 300_000

    module.lambda_handler(event, Context())
    token = tenant_scope.cached_tenant_session(USER_A).get_credentials().token
    assert seen == [token] and TransactionModel.Meta.aws_session_token is None
