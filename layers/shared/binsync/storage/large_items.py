"""Transactions whose stored body would not fit a DynamoDB item (400 KB; issue 17 item 2).

A second of 3,000 fills keeps 9,000 statement rows as provenance, a raw API record may carry a
450 KB field: the body is then written whole to S3 (`bodies/<user>/<transaction id>.json` in the
uploads bucket) and the item keeps everything that is money or a query key (id, time, kind, every
leg, description, source kind/ref/native id) with `meta.full_body` pointing at the object (key,
bytes, sha256). Nothing is truncated. The S3 key is deterministic and the slim body a function
of the full one, so a retried page rewrites the same object and finds the item unchanged.

A body whose legs alone exceed the limit (a dust conversion of tens of thousands of coins)
raises `ItemTooLarge`: it names the transaction and is never retried as transient.
"""

from __future__ import annotations

import hashlib
import json
import os
from typing import Any

from binsync.model import Transaction
from binsync.storage import clients

# The item also holds keys, assets, wallets and merged_from: leave them room under 400 KB.
MAX_BODY_BYTES = 300_000
PREFIX = "bodies/"


class ItemTooLarge(Exception):
    """A transaction's money alone does not fit one item; the task fails with this name."""


def body_key(user_id: str, tx_id: str) -> str:
    return f"{PREFIX}{user_id}/{tx_id}.json"


def fit(tx: Transaction, body: str, user_id: str, *, s3: Any = None) -> str:
    """The body to store in the item: `body` itself, or its slim form once the whole is in S3."""
    if len(body) <= MAX_BODY_BYTES:
        return body
    from binsync.storage.writer import _json_default

    data = body.encode()
    key = body_key(user_id, tx.id)
    (s3 or clients.client("s3")).put_object(Bucket=os.environ["UPLOADS_BUCKET"], Key=key, Body=data,
                                            ContentType="application/json")
    slim = tx.to_dict()
    slim["source"]["raw"] = None
    slim["meta"] = {"full_body": {"s3_key": key, "bytes": len(data),
                                  "sha256": hashlib.sha256(data).hexdigest()}}
    text = json.dumps(slim, default=_json_default)
    if len(text) > MAX_BODY_BYTES:
        raise ItemTooLarge(f"transaction {tx.id} at {tx.time_ms} has {len(tx.legs)} legs: "
                           f"{len(text)} bytes without its raw records, over the {MAX_BODY_BYTES} stored")
    return text


def full_body(body: dict[str, Any], *, s3: Any = None) -> dict[str, Any]:
    """The whole body of a stored one (read back from S3 when it was moved there)."""
    pointer = (body.get("meta") or {}).get("full_body")
    if not pointer:
        return body
    obj = (s3 or clients.client("s3")).get_object(Bucket=os.environ["UPLOADS_BUCKET"], Key=pointer["s3_key"])
    return json.loads(obj["Body"].read())


def delete_full_bodies(bodies: list[dict[str, Any]], *, s3: Any = None) -> int:
    """Remove the S3 copies these stored bodies point to, every version (the bucket is
    versioned: a plain delete would only hide them). Returns the number of objects removed."""
    keys = [pointer["s3_key"] for body in bodies
            if isinstance(body, dict) and (pointer := (body.get("meta") or {}).get("full_body"))]
    if not keys:
        return 0
    client = s3 or clients.client("s3")
    bucket = os.environ["UPLOADS_BUCKET"]
    for key in keys:
        pages = client.get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=key)
        versions = [{"Key": v["Key"], "VersionId": v["VersionId"]} for page in pages
                    for v in [*page.get("Versions", []), *page.get("DeleteMarkers", [])] if v["Key"] == key]
        for start in range(0, len(versions), 1000):
            batch = versions[start:start + 1000]
            client.delete_objects(Bucket=bucket, Delete={"Objects": batch, "Quiet": True})
    return len(keys)
