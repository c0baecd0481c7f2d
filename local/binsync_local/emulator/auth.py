"""Request signing checks (spec §2): HMAC-SHA256 hex, RSA PKCS#1 v1.5 / Ed25519 base64.

The payload is exactly the query string followed by the body, as sent, minus the `signature`
parameter (spec §2.3). HMAC signatures compare case-insensitively; RSA/Ed25519 signatures are
URL-decoded, then base64-decoded, then verified against the key's public key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from functools import lru_cache
from urllib.parse import unquote_to_bytes

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

from .account import ApiKey


def split_signature(query: str, body: str) -> tuple[bytes, str | None]:
    """(payload the client signed, signature value) from the raw query string and body."""
    sig = None
    parts = []
    for part in query.split("&") if query else []:
        if part.startswith("signature="):
            sig = part[len("signature=") :]
        else:
            parts.append(part)
    body_parts = []
    for part in body.split("&") if body else []:
        if part.startswith("signature=") and sig is None:
            sig = part[len("signature=") :]
        else:
            body_parts.append(part)
    return ("&".join(parts) + "&".join(body_parts)).encode(), sig


@lru_cache(maxsize=64)
def _public_key(pem: str):
    return serialization.load_pem_public_key(pem.encode())


def verify(key: ApiKey, payload: bytes, signature: str) -> bool:
    if key.kind == "hmac":
        expected = hmac.new(key.secret.encode(), payload, hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, signature.lower())
    try:
        raw = base64.b64decode(unquote_to_bytes(signature), validate=True)
    except (binascii.Error, ValueError):
        return False
    pub = _public_key(key.public_key_pem or "")
    try:
        if isinstance(pub, rsa.RSAPublicKey):
            pub.verify(raw, payload, padding.PKCS1v15(), hashes.SHA256())
        elif isinstance(pub, ed25519.Ed25519PublicKey):
            pub.verify(raw, payload)
        else:
            return False
    except InvalidSignature:
        return False
    return True
