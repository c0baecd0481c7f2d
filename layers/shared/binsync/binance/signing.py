"""Request signing (spec §2.3-§2.7): HMAC-SHA256 hex, RSA PKCS#1 v1.5 SHA-256 and Ed25519 base64.

The payload is the exact query string sent (already percent-encoded), concatenated with the body
(empty for GET). `signed_query()` builds that string and appends `signature` last, which is
always accepted (spec §2.3). RSA/Ed25519 signatures are base64 and must be percent-encoded in the
URL (`+`, `/`, `=`), HMAC hex needs no encoding.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal
from urllib.parse import quote, urlencode

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

KeyType = Literal["hmac", "rsa", "ed25519"]


@dataclass(frozen=True)
class Credentials:
    """An API key and its secret. For rsa/ed25519 `secret` is the PEM (PKCS#8) private key."""

    api_key: str
    secret: str = field(repr=False)
    key_type: KeyType = "hmac"
    passphrase: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.key_type not in ("hmac", "rsa", "ed25519"):
            raise ValueError(f"key_type must be hmac, rsa or ed25519, not {self.key_type!r}")
        if not self.api_key or not self.secret:
            raise ValueError("api_key and secret are required")

    @cached_property
    def _private_key(self) -> Any:
        pwd = self.passphrase.encode() if self.passphrase else None
        key = serialization.load_pem_private_key(self.secret.encode(), password=pwd)
        expected = rsa.RSAPrivateKey if self.key_type == "rsa" else ed25519.Ed25519PrivateKey
        if not isinstance(key, expected):
            raise ValueError(f"the private key is not a {self.key_type} key")
        return key


def sign(credentials: Credentials, payload: str) -> str:
    """Signature of `payload` (query string + body, already percent-encoded) as Binance expects it.

    HMAC: lowercase hex. RSA/Ed25519: base64 (NOT percent-encoded; `signed_query` encodes it).
    """
    data = payload.encode("utf-8")
    if credentials.key_type == "hmac":
        return hmac.new(credentials.secret.encode("utf-8"), data, hashlib.sha256).hexdigest()
    key = credentials._private_key
    if credentials.key_type == "rsa":
        raw = key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    else:
        raw = key.sign(data)
    return base64.b64encode(raw).decode("ascii")


def encode_params(params: Mapping[str, Any] | Iterable[tuple[str, Any]]) -> str:
    """`k=v&k=v` with non-ASCII percent-encoded (spec §2.3). None values are dropped, order kept."""
    items = params.items() if isinstance(params, Mapping) else params
    pairs = [(k, _fmt(v)) for k, v in items if v is not None]
    return urlencode(pairs, quote_via=quote, safe="")


def _fmt(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        # Binance array parameters are JSON arrays without spaces: ["A","B"].
        return "[" + ",".join(f'"{v}"' for v in value) + "]"
    return str(value)


def signed_query(credentials: Credentials, params: Mapping[str, Any], body: str = "") -> str:
    """The query string to send: `params` then `&signature=...` over exactly those bytes (+ body)."""
    query = encode_params(params)
    signature = sign(credentials, query + body)
    encoded = quote(signature, safe="")
    return f"{query}&signature={encoded}" if query else f"signature={encoded}"
