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
