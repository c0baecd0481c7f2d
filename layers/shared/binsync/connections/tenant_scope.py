"""A per-invocation session scoped to one user: the AWS "token vending machine" pattern.

Sync workers serve every user, so their own role reads no secret. When `TENANT_ROLE_ARN` is set
(template.yaml sets it for every deployed function), a worker assumes that role with the session
tag `user=<user id>`; the role's policy lets the session read only
`<prefix>/users/${aws:PrincipalTag/user}/*` and only items whose partition key is that user
(`dynamodb:LeadingKeys`). The local cloud blanks the variable: moto enforces no IAM, so the
assume-role step would prove nothing there (the policies are checked in tests/template).
"""

from __future__ import annotations

import os
import re

import boto3

SESSION_SECONDS = 900  # the shortest STS allows; one worker invocation lasts at most 300 s
_USER_IN_SECRET_NAME = re.compile(r"/users/([^/]+)/")


def tenant_role_arn() -> str:
    return os.environ.get("TENANT_ROLE_ARN", "")


def user_of_secret(name: str) -> str:
    """The user segment of `<prefix>/users/<user>/connections/<id>`."""
    match = _USER_IN_SECRET_NAME.search(name)
    if not match:
        raise ValueError(f"secret name {name!r} has no users/<user>/ segment")
    return match.group(1)


def tenant_session(user_id: str) -> boto3.Session | None:
    """A boto3 session limited to `user_id`, or None when tenant scoping is off (locally)."""
    role = tenant_role_arn()
    if not role:
        return None
    answer = boto3.client("sts").assume_role(
        RoleArn=role, RoleSessionName=f"tenant-{user_id}"[:64], DurationSeconds=SESSION_SECONDS,
        Tags=[{"Key": "user", "Value": user_id}])
    creds = answer["Credentials"]
    return boto3.Session(aws_access_key_id=creds["AccessKeyId"],
                         aws_secret_access_key=creds["SecretAccessKey"],
                         aws_session_token=creds["SessionToken"])
