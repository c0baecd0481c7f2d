"""Signing (spec §2.3-§2.6): the official HMAC vectors byte for byte, RSA and Ed25519 verified."""

from __future__ import annotations

import base64
from urllib.parse import unquote

import pytest
from binsync.binance.signing import Credentials, encode_params, sign, signed_query
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

API_KEY = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"
SECRET = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"
ORDER = [
    ("side", "BUY"),
    ("type", "LIMIT"),
    ("timeInForce", "GTC"),
    ("quantity", "1"),
    ("price", "0.1"),
    ("recvWindow", "5000"),
    ("timestamp", "1499827319559"),
]
ASCII_PAYLOAD = (
    "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000"
    "&timestamp=1499827319559"
)
NON_ASCII_PAYLOAD = (
    "symbol=%EF%BC%91%EF%BC%92%EF%BC%93%EF%BC%94%EF%BC%95%EF%BC%96&side=BUY&type=LIMIT"
    "&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559"
)

HMAC = Credentials(API_KEY, SECRET)


def test_hmac_ascii_vector():
    assert encode_params([("symbol", "LTCBTC"), *ORDER]) == ASCII_PAYLOAD
    assert sign(HMAC, ASCII_PAYLOAD) == "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71"


def test_hmac_non_ascii_vector_percent_encoded_before_signing():
    assert encode_params([("symbol", "１２３４５６"), *ORDER]) == NON_ASCII_PAYLOAD
    assert sign(HMAC, NON_ASCII_PAYLOAD) == "e1353ec6b14d888f1164ae9af8228a3dbd508bc82eb867db8ab6046442f33ef3"


def test_signed_query_appends_signature_last_over_exact_bytes():
    q = signed_query(HMAC, dict([("symbol", "LTCBTC"), *ORDER]))
    assert q == ASCII_PAYLOAD + "&signature=c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71"


def _pem(key) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


@pytest.fixture(scope="module")
def rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def test_rsa_pkcs1v15_sha256_base64_and_percent_encoded(rsa_key):
    creds = Credentials("k", _pem(rsa_key), key_type="rsa")
    sig = sign(creds, ASCII_PAYLOAD)
    raw = base64.b64decode(sig)
    assert len(raw) == 256
    rsa_key.public_key().verify(raw, ASCII_PAYLOAD.encode(), padding.PKCS1v15(), hashes.SHA256())
    q = signed_query(creds, dict([("symbol", "LTCBTC"), *ORDER]))
    encoded = q.rsplit("&signature=", 1)[1]
    assert not set("+/=") & set(encoded)  # base64 specials are percent-encoded in the URL
    assert unquote(encoded) == sig


def test_ed25519_pure_signature_64_bytes_base64():
    key = ed25519.Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
    creds = Credentials("k", _pem(key), key_type="ed25519")
    sig = sign(creds, NON_ASCII_PAYLOAD)
    assert len(sig) == 88
    key.public_key().verify(base64.b64decode(sig), NON_ASCII_PAYLOAD.encode())
    assert sign(creds, NON_ASCII_PAYLOAD) == sig  # deterministic


def test_key_type_mismatch_is_rejected(rsa_key):
    with pytest.raises(ValueError, match="ed25519"):
        sign(Credentials("k", _pem(rsa_key), key_type="ed25519"), "a=1")
    with pytest.raises(ValueError):
        Credentials("k", "s", key_type="dsa")  # type: ignore[arg-type]


def test_secret_never_in_repr():
    assert SECRET not in repr(HMAC)
