"""The caller's identity: only the authorizer's claims, never the request.

On AWS, API Gateway's Cognito authorizer verifies the JWT and passes its claims in
`requestContext.authorizer.claims`; `sub` is the user id. Locally, `binsync serve-api` maps a
bearer token to a user and injects the same claims; nothing else can set them.
"""

from __future__ import annotations

import re
from typing import Any

from binsync.connections.errors import DomainError

# Used in DynamoDB keys ("<user>#<uid>") and Secrets Manager names: no '#', no '/'.
USER_ID_RE = re.compile(r"^[A-Za-z0-9_.@+=-]{1,128}$")


class Unauthorized(DomainError):
    """No (usable) identity in the authorizer's claims."""


def user_id_from_event(event: Any) -> str:
    """`event` is Powertools' APIGatewayProxyEvent."""
    authorizer = event.request_context.authorizer
    claims = (authorizer.claims if authorizer is not None else None) or {}
    sub = claims.get("sub") if isinstance(claims, dict) else None
    if not isinstance(sub, str) or not USER_ID_RE.match(sub):
        raise Unauthorized("unauthorized", "Sign in: this request carries no valid identity.")
    return sub
