"""Uploads of a Binance statement or a Waltio file: a presigned PUT, then the parse report."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from binsync.api.schemas import patterns

CONTENT_TYPES = (
    "text/csv",
    "application/zip",
    "application/x-zip-compressed",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
)
FILE_NAME_PATTERN = patterns.FILE_NAME


class UploadCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    connection_id: str = Field(min_length=1, max_length=64,
                               description="The connection (Binance account) the file belongs to.")
    file_name: str = Field(pattern=FILE_NAME_PATTERN, description="A .csv, .zip or .xlsx file name "
                           "(letters, digits, space, . _ - ( ) only).")
    format: Literal["auto", "statement", "waltio"] = "auto"
    size: int = Field(gt=0, strict=True, description="Exact size in bytes, a JSON integer (not a string); "
                      "the upload URL only accepts this size. At most 50 MB (UPLOAD_MAX_BYTES): "
                      "0 and larger sizes answer 422.")
    content_type: Literal[CONTENT_TYPES] = Field("text/csv",  # type: ignore[valid-type]
                                                 description="Content-Type the PUT must send.")
    tz: str | None = Field(None, min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_+:/ -]+$",
                           description="Time zone of the file's times (`+02:00`, `-6`, `Europe/Paris`), "
                           "used when neither the header (`UTC_Time` = UTC) nor the file name "
                           "(`(UTC+5)`, `UTC2`) gives it. A file with local times and no zone ends "
                           "with status `needs_timezone`: nothing is stored; upload it again with tz.")


class UploadTicket(BaseModel):
    upload_id: str
    status: str
    upload_url: str = Field(description="Presigned S3 URL: PUT the file there with `headers`.")
    method: Literal["PUT"] = "PUT"
    headers: dict[str, str]
    expires_in: int = Field(description="Seconds the URL stays valid.")
    max_bytes: int


class UploadOut(BaseModel):
    upload_id: str
    connection_id: str | None = None
    file_name: str
    format: str
    status: str = Field(description="waiting | parsing | done | failed | needs_timezone (the file's times "
                        "are local and no zone is known: upload again with tz) | expired (the upload "
                        "URL expired before the file was sent)")
    created_at: int
    finished_at: int | None = None
    report: dict[str, Any] | None = Field(None, description="Imported, merged as duplicate, rejected "
                                          "(with line numbers and reasons).")


class UploadList(BaseModel):
    items: list[UploadOut]
