"""A per-invocation session scoped to one user: the AWS "token vending machine" pattern.

Sync workers serve every user, so their own role reads no secret. When `TENANT_ROLE_ARN` is set
(template.yaml sets it for every deployed function), a worker assumes that role with the session
tag `user=<user id>`; the role's policy lets the session read only
`<prefix>/users/${aws:PrincipalTag/user}/*` and only items whose partition key is that user
(`dynamodb:LeadingKeys`). The local cloud blanks the variable: moto enforces no IAM, so the
assume-role step would prove nothing there (the policies are checked in tests/template).

Two readers use the session: secret reads (binsync.connections.secrets) and every read and write
of the transactions table (binsync.storage.tenant_tables), so a worker holds no grant of its own
on either.
"""

from __future__ import annotations

import os
import re
import threading
import time

import boto3

SESSION_SECONDS = 900  # the shortest STS allows; one worker invocation lasts at most 300 s
RENEW_BEFORE_S = 120  # a cached session is renewed this long before its credentials expire
_USER_IN_SECRET_NAME = re.compile(r"/users/([^/]+)/")
# The tag's value becomes a pattern in the role's policy (LeadingKeys `StringLike`), so it may
# hold no wildcard (* ?), no "#" (it ends the user id in account keys) and no "/" (secret paths).
_TAGGABLE_USER_ID = re.compile(r"[A-Za-z0-9_.:@=+-]{1,128}")


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
    if not _TAGGABLE_USER_ID.fullmatch(user_id):
        raise ValueError("a user id for a tenant session holds only letters, digits and _.:@=+-")
    answer = boto3.client("sts").assume_role(
        RoleArn=role, RoleSessionName=f"tenant-{user_id}"[:64], DurationSeconds=SESSION_SECONDS,
        Tags=[{"Key": "user", "Value": user_id}])
    creds = answer["Credentials"]
    return boto3.Session(aws_access_key_id=creds["AccessKeyId"],
                         aws_secret_access_key=creds["SecretAccessKey"],
                         aws_session_token=creds["SessionToken"])


_sessions: dict[str, tuple[boto3.Session, float]] = {}
_sessions_lock = threading.Lock()


def cached_tenant_session(user_id: str) -> boto3.Session | None:
    """`tenant_session`, reused by this execution environment until shortly before it expires."""
    if not tenant_role_arn():
        return None
    with _sessions_lock:
        cached = _sessions.get(user_id)
        if cached and cached[1] > time.time():
            return cached[0]
        session = tenant_session(user_id)
        assert session is not None
        _sessions[user_id] = (session, time.time() + SESSION_SECONDS - RENEW_BEFORE_S)
        return session
