"""/me: who the API thinks you are (handy to check a token locally)."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.router import APIGatewayRouter
from pydantic import BaseModel

from binsync.api.auth import user_id_from_event
from binsync.api.errors import error_responses

router = APIGatewayRouter()


class Me(BaseModel):
    user_id: str


@router.get("/me", tags=["identity"], summary="The caller's user id (from the authorizer's claims)",
            responses={200: {"description": "You"}, **error_responses(401)})
def me() -> Me:
    return Me(user_id=user_id_from_event(router.current_event))
