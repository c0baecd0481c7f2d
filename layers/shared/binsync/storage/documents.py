"""Run and connection summaries too large for a DynamoDB item, kept whole in S3.

A heavy account's Finish wrote a reconciliation of 776 KB and a completeness of 197 KB onto the
run item: DynamoDB refused the update (400 KB per item) and the sync FAILED after reading its
whole history. A summary attribute over `INLINE_BYTES` is now written whole to S3
(`documents/<user>/<connection>/<name>-<sha256>.json` in the uploads bucket) and the item keeps a
pointer with the summary's small top-level fields (state, words, counts), so listing views stay
cheap and every reader that needs the whole calls `load`. Keys are content-addressed, so a
retried Finish rewrites the same object. Deleting a connection deletes its prefix, every version.
"""

from __future__ import annotations

import hashlib
import json
import os
from typing import Any

from binsync.storage import clients

INLINE_BYTES = 60_000  # a run item holds several of these, its counts and keys: under 400 KB
SMALL_FIELD_BYTES = 2_000  # top-level fields up to this size stay on the item beside the pointer
PREFIX = "documents/"
POINTER = "s3_document"


def connection_prefix(user_id: str, connection_id: str) -> str:
    return f"{PREFIX}{user_id}/{connection_id}/"


def _text(value: Any) -> str:
    from binsync.storage.writer import _json_default

    return json.dumps(value, default=_json_default, sort_keys=True)


def fit(value: Any, *, user_id: str, connection_id: str, name: str, s3: Any = None) -> Any:
    """`value` itself when it is small, else a pointer to its S3 copy with its small fields."""
    if value is None:
        return None
    text = _text(value)
    if len(text) <= INLINE_BYTES:
        return value
    data = text.encode()
    digest = hashlib.sha256(data).hexdigest()
    key = f"{connection_prefix(user_id, connection_id)}{name}-{digest[:32]}.json"
    (s3 or clients.client("s3")).put_object(Bucket=os.environ["UPLOADS_BUCKET"], Key=key, Body=data,
                                            ContentType="application/json")
    small = ({k: v for k, v in value.items() if len(_text(v)) <= SMALL_FIELD_BYTES}
             if isinstance(value, dict) else {})
    return {**small, POINTER: {"s3_key": key, "bytes": len(data), "sha256": digest}}


def is_offloaded(value: Any) -> bool:
    return isinstance(value, dict) and isinstance(value.get(POINTER), dict)


def load(value: Any, *, s3: Any = None) -> Any:
    """The whole summary: `value` itself, or its S3 copy when `fit` moved it there."""
    if not is_offloaded(value):
        return value
    obj = (s3 or clients.client("s3")).get_object(Bucket=os.environ["UPLOADS_BUCKET"],
                                                   Key=value[POINTER]["s3_key"])
    return json.loads(obj["Body"].read())


def delete_connection_documents(user_id: str, connection_id: str, *, s3: Any = None) -> int:
    """Every version of every document of the connection (the bucket is versioned)."""
    client = s3 or clients.client("s3")
    bucket = os.environ.get("UPLOADS_BUCKET")
    if not bucket:
        return 0
    prefix = connection_prefix(user_id, connection_id)
    pages = client.get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=prefix)
    versions = [{"Key": v["Key"], "VersionId": v["VersionId"]} for page in pages
                for v in [*page.get("Versions", []), *page.get("DeleteMarkers", [])]]
    for start in range(0, len(versions), 1000):
        client.delete_objects(Bucket=bucket, Delete={"Objects": versions[start:start + 1000], "Quiet": True})
    return len(versions)
