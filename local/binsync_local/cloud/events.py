"""Event shapes AWS sends to the functions, built locally byte-for-byte like the real services.

- API Gateway REST proxy (Lambda proxy integration, Cognito user pool authorizer claims)
- EventBridge Scheduler with a target Input (the Input itself, placeholders substituted)
- "Step Functions Execution Status Change" (EventBridge), built from DescribeExecution
- EventBridge pattern matching, to decide like EventBridge whether a rule fires

S3 ObjectCreated events are built by moto itself when an object is put.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

SCHEDULER_PLACEHOLDERS = (
    "<aws.scheduler.scheduled-time>",
    "<aws.scheduler.execution-id>",
    "<aws.scheduler.attempt-number>",
    "<aws.scheduler.schedule-arn>",
)


def _iso(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def api_gateway_rest_event(
    method: str,
    path: str,
    *,
    body: Any = None,
    user: str | None = "user-a",
    headers: dict[str, str] | None = None,
    query: dict[str, Any] | None = None,
    stage: str = "dev",
    account_id: str = "123456789012",
    api_id: str = "localapi",
    region: str = "us-east-1",
    source_ip: str = "127.0.0.1",
) -> dict[str, Any]:
    """A REST API (v1) Lambda proxy event for the `/{proxy+}` ANY route with Cognito claims.

    `body`: dict/list -> JSON text; str -> as is; bytes -> base64 with isBase64Encoded.
    `query`: values may be lists (multi-value). A `?query` inside `path` is parsed too.
    """
    split = urlsplit(path)
    path = split.path or "/"
    multi_query: dict[str, list[str]] = {}
    for key, value in parse_qsl(split.query, keep_blank_values=True):
        multi_query.setdefault(key, []).append(value)
    for key, value in (query or {}).items():
        values = value if isinstance(value, list | tuple) else [value]
        multi_query.setdefault(key, []).extend(str(v) for v in values)

    hdrs = {
        "Accept": "application/json",
        "Host": f"{api_id}.execute-api.{region}.amazonaws.com",
        "User-Agent": "binsync-local",
        "X-Forwarded-For": source_ip,
        "X-Forwarded-Port": "443",
        "X-Forwarded-Proto": "https",
    }
    if user is not None:
        hdrs["Authorization"] = "Bearer local-id-token"
    is_b64 = False
    if isinstance(body, dict | list):
        body, hdrs["Content-Type"] = json.dumps(body), "application/json"
    elif isinstance(body, bytes | bytearray):
        body, is_b64 = base64.b64encode(body).decode(), True
        hdrs.setdefault("Content-Type", "application/octet-stream")
    hdrs.update(headers or {})

    now = time.time()
    claims = None
    if user is not None:
        claims = {
            "sub": user,
            "email": f"{user}@example.com",
            "email_verified": "true",
            "cognito:username": user,
            "iss": f"https://cognito-idp.{region}.amazonaws.com/{region}_local",
            "aud": "local-client",
            "token_use": "id",
            "auth_time": str(int(now)),
            "iat": str(int(now)),
            "exp": time.strftime("%a %b %d %H:%M:%S UTC %Y", time.gmtime(now + 3600)),
        }
    resource = "/" if path == "/" else "/{proxy+}"
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method.upper(),
        "headers": hdrs,
        "multiValueHeaders": {k: [v] for k, v in hdrs.items()},
        "queryStringParameters": {k: v[-1] for k, v in multi_query.items()} or None,
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": None if path == "/" else {"proxy": path.lstrip("/")},
        "stageVariables": None,
        "requestContext": {
            "resourceId": "local",
            "resourcePath": resource,
            "httpMethod": method.upper(),
            "extendedRequestId": secrets.token_hex(8),
            "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "path": f"/{stage}{path}",
            "accountId": account_id,
            "protocol": "HTTP/1.1",
            "stage": stage,
            "domainPrefix": api_id,
            "requestTimeEpoch": int(now * 1000),
            "requestId": str(uuid.uuid4()),
            "identity": {
                "cognitoIdentityPoolId": None,
                "accountId": None,
                "cognitoIdentityId": None,
                "caller": None,
                "sourceIp": source_ip,
                "principalOrgId": None,
                "accessKey": None,
                "cognitoAuthenticationType": None,
                "cognitoAuthenticationProvider": None,
                "userArn": None,
                "userAgent": hdrs.get("User-Agent"),
                "user": None,
            },
            "authorizer": {"claims": claims} if claims else None,
            "domainName": hdrs["Host"],
            "apiId": api_id,
        },
        "body": body,
        "isBase64Encoded": is_b64,
    }


def api_gateway_response(payload: Any, errored: bool) -> tuple[int, dict[str, str], Any]:
    """What API Gateway returns to the client for a Lambda proxy integration result.

    A function error or a malformed result is a 502 with API Gateway's own body, as on AWS.
    The body comes back parsed when it is JSON, as bytes when base64, else as text.
    """
    bad = (502, {"Content-Type": "application/json"}, {"message": "Internal server error"})
    if errored or not isinstance(payload, dict) or "statusCode" not in payload:
        return bad
    headers = {k: str(v) for k, v in (payload.get("headers") or {}).items()}
    for key, values in (payload.get("multiValueHeaders") or {}).items():
        headers[key] = ",".join(str(v) for v in values)
    raw = payload.get("body")
    body: Any = raw
    if raw is not None and payload.get("isBase64Encoded"):
        body = base64.b64decode(raw)
    elif isinstance(raw, str):
        try:
            body = json.loads(raw)
        except ValueError:
            body = raw
    return int(payload["statusCode"]), headers, body


def scheduler_input(template_input: str, scheduled_time: datetime, *, schedule_arn: str = "",
                    attempt: int = 1, execution_id: str | None = None) -> Any:
    """The payload EventBridge Scheduler delivers for a target with `Input`: that text with its
    context placeholders substituted (scheduled time in UTC, second precision)."""
    values = {
        "<aws.scheduler.scheduled-time>": _iso(scheduled_time),
        "<aws.scheduler.execution-id>": execution_id or secrets.token_hex(16),
        "<aws.scheduler.attempt-number>": str(attempt),
        "<aws.scheduler.schedule-arn>": schedule_arn,
    }
    text = template_input
    for placeholder, value in values.items():
        text = text.replace(placeholder, value)
    return json.loads(text)


def _ms(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return int(value.timestamp() * 1000)
    return int(float(value) * 1000)


def execution_status_change_event(describe: dict[str, Any], *, account_id: str,
                                  region: str) -> dict[str, Any]:
    """The EventBridge "Step Functions Execution Status Change" event for a finished execution,
    from the execution's DescribeExecution response."""
    stop = describe.get("stopDate")
    stop_dt = stop if isinstance(stop, datetime) else datetime.now(UTC)
    detail: dict[str, Any] = {
        "executionArn": describe["executionArn"],
        "stateMachineArn": describe["stateMachineArn"],
        "name": describe.get("name"),
        "status": describe["status"],
        "startDate": _ms(describe.get("startDate")),
        "stopDate": _ms(stop),
        "input": describe.get("input"),
        "output": describe.get("output"),
        "inputDetails": {"included": True},
        "outputDetails": {"included": True} if describe.get("output") is not None else None,
    }
    for key in ("error", "cause"):
        if describe.get(key) is not None:
            detail[key] = describe[key]
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Step Functions Execution Status Change",
        "source": "aws.states",
        "account": account_id,
        "time": _iso(stop_dt),
        "region": region,
        "resources": [describe["executionArn"]],
        "detail": detail,
    }


def pattern_matches(pattern: Any, event: Any) -> bool:
    """EventBridge matching for the exact-value subset the template uses (lists of literals,
    nested objects). Content filters such as prefix or numeric are refused, not guessed."""
    if isinstance(pattern, dict):
        if not isinstance(event, dict):
            return False
        return all(key in event and pattern_matches(value, event[key]) for key, value in pattern.items())
    if isinstance(pattern, list):
        if any(isinstance(p, dict) for p in pattern):
            raise NotImplementedError(f"content filter not supported locally: {pattern}")
        values = event if isinstance(event, list) else [event]
        return any(v in pattern for v in values)
    raise ValueError(f"invalid event pattern leaf: {pattern!r}")
