"""/uploads: a presigned PUT for a statement or Waltio file, and the parse report."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from binsync.api.auth import user_id_from_event
from binsync.api.errors import error_responses
from binsync.api.schemas.uploads import UploadCreate, UploadList, UploadOut, UploadTicket
from binsync.api.views import upload_view
from binsync.transactions import erasure, uploads

router = APIGatewayRouter()
TAG = ["uploads"]


def _user() -> str:
    return user_id_from_event(router.current_event)


@router.post("/uploads", status_code=201, tags=TAG, summary="Get a presigned URL to upload a file",
             description="PUT the file to `upload_url` with exactly `headers` (type and size are part of "
             "the signature). The file is then parsed; read the report with GET /uploads/{id}.",
             responses={201: {"description": "Upload URL"}, **error_responses(400, 401, 404, 422)})
def create_upload(body: UploadCreate) -> UploadTicket:
    ticket = uploads.create_upload(_user(), body.connection_id, body.file_name, body.format, body.size,
                                   body.content_type, tz=body.tz)
    return UploadTicket(upload_id=ticket.upload.upload_id, status=ticket.upload.status, upload_url=ticket.url,
                        headers=ticket.headers, expires_in=ticket.expires_in, max_bytes=uploads.max_bytes())


@router.get("/uploads", tags=TAG, summary="Your uploads, newest first",
            responses={200: {"description": "Uploads"}, **error_responses(401)})
def list_uploads() -> UploadList:
    return UploadList(items=[upload_view(u) for u in uploads.list_uploads(_user())])


@router.get("/uploads/<upload_id>", tags=TAG, summary="An upload and its parse report",
            responses={200: {"description": "The upload"}, **error_responses(401, 404, 422)})
def get_upload(upload_id: Annotated[str, Path(min_length=1, max_length=64)]) -> UploadOut:
    return upload_view(uploads.get_upload(_user(), upload_id))


@router.delete("/uploads/<upload_id>", tags=TAG, summary="Delete an upload: its file and report, and "
               "on request the account's statement-sourced transactions",
               description="Statement rows are identified by content, not by upload (the same file twice "
               "stores the same items), so `erase_transactions=true` erases every statement-sourced "
               "transaction of the upload's Binance account; API records stay.",
               responses={200: {"description": "What was deleted"}, **error_responses(401, 404, 422)})
def delete_upload(upload_id: Annotated[str, Path(min_length=1, max_length=64)],
                  erase_transactions: Annotated[bool, Query(description="Also erase the account's "
                                                           "statement-sourced transactions")] = False,
                  ) -> dict[str, Any]:
    return erasure.delete_upload(_user(), upload_id, erase_transactions=erase_transactions)
