"""Statement / Waltio uploads: a presigned S3 PUT, then parse_statement fills the report.

The object key is `uploads/<user_id>/<upload_id>/<file_name>`: the user id in the key is how
parse_statement (triggered by the S3 notification) finds the UploadModel record, and nobody can
write under another user's prefix because only this API signs upload URLs. The URL is SigV4 with
`Content-Type` and `Content-Length` signed, so S3 refuses any other type or size.
"""

from __future__ import annotations

import os
import time
import uuid
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config
from pynamodb.exceptions import DoesNotExist

from binsync.connections.errors import InvalidInput, InvalidValue, NotFound
from binsync.connections.lifecycle import get_connection
from binsync.statement import limits
from binsync.storage.models import UploadModel

DEFAULT_MAX_BYTES = limits.MAX_UPLOAD_BYTES  # the parser refuses beyond the same limit
URL_EXPIRES_S = 900


def max_bytes() -> int:
    return limits.max_upload_bytes()


def bucket() -> str:
    name = os.environ.get("UPLOADS_BUCKET")
    if not name:
        raise RuntimeError("UPLOADS_BUCKET is not set")
    return name


def s3_key(user_id: str, upload_id: str, file_name: str) -> str:
    return f"uploads/{user_id}/{upload_id}/{file_name}"


def _s3() -> Any:
    # UPLOADS_PUBLIC_ENDPOINT: where clients reach S3 when it is not AWS (`binsync serve-api`
    # points it at the embedded cloud's moto server). Presigning makes no request.
    endpoint = os.environ.get("UPLOADS_PUBLIC_ENDPOINT") or None
    config = Config(signature_version="s3v4", s3={"addressing_style": "path"} if endpoint else {})
    return boto3.client("s3", endpoint_url=endpoint, config=config)


@dataclass
class Ticket:
    upload: UploadModel
    url: str
    headers: dict[str, str]
    expires_in: int


def create_upload(user_id: str, connection_id: str, file_name: str, file_format: str, size: int,
                  content_type: str, tz: str | None = None) -> Ticket:
    limit = max_bytes()
    if tz is not None:
        from binsync.statement.timezone import ZoneError, parse_zone

        try:
            parse_zone(tz)
        except ZoneError as exc:
            raise InvalidInput("invalid_tz", str(exc), field="tz") from None
    if size > limit:
        raise InvalidValue("file_too_large", f"size must be at most {limit} bytes ({limit // 2**20} MB); "
                           "split the statement into several files (one per year)", field="size")
    if "/" in file_name or "\\" in file_name or file_name.startswith("."):
        raise InvalidInput("invalid_file_name", "file_name must be a plain file name", field="file_name")
    connection = get_connection(user_id, connection_id)
    upload_id = "u-" + uuid.uuid4().hex[:20]
    key = s3_key(user_id, upload_id, file_name)
    upload = UploadModel(user_id, upload_id, connection_id=connection_id, binance_uid=connection.binance_uid,
                         file_format=file_format, file_name=file_name, s3_key=key, status="waiting",
                         created_at=int(time.time() * 1000), time_zone=tz)
    upload.save(condition=UploadModel.upload_id.does_not_exist())
    url = _s3().generate_presigned_url(
        "put_object",
        Params={"Bucket": bucket(), "Key": key, "ContentType": content_type, "ContentLength": size},
        ExpiresIn=URL_EXPIRES_S,
    )
    return Ticket(upload, url, {"Content-Type": content_type, "Content-Length": str(size)}, URL_EXPIRES_S)


# A ticket whose URL expired without a PUT can never be used: it is `expired`, not `waiting`
# for ever. Checked lazily when the upload is read (no scheduler needed); a PUT that S3 accepted
# in time has already moved it to `parsing` (the object's notification), so nothing valid expires.
EXPIRED_AFTER_S = URL_EXPIRES_S + 60  # the URL's life, plus the clock skew S3 tolerates


def expire_if_unused(upload: UploadModel, now_ms: int | None = None) -> UploadModel:
    now_ms = now_ms if now_ms is not None else int(time.time() * 1000)
    if upload.status == "waiting" and now_ms - upload.created_at > EXPIRED_AFTER_S * 1000:
        report = {"error": f"The upload URL expired ({URL_EXPIRES_S // 60} minutes) before the file was "
                  "sent; ask for a new upload (POST /uploads)."}
        try:
            upload.update(actions=[UploadModel.status.set("expired"), UploadModel.report.set(report),
                                   UploadModel.finished_at.set(now_ms)],
                          condition=UploadModel.status == "waiting")
        except Exception:  # the PUT arrived meanwhile: its status wins
            upload.refresh()
    return upload


def get_upload(user_id: str, upload_id: str) -> UploadModel:
    try:
        return expire_if_unused(UploadModel.get(user_id, upload_id))
    except DoesNotExist:
        raise NotFound("upload_not_found", "No such upload.", field="upload_id") from None


def list_uploads(user_id: str) -> list[UploadModel]:
    return sorted((expire_if_unused(u) for u in UploadModel.query(user_id)),
                  key=lambda u: (u.created_at, u.upload_id), reverse=True)
