"""binsync.connections.redaction: known secrets and secret-bearing fields never reach a log line."""

from __future__ import annotations

import json
import logging

from binsync.connections import redaction


def test_known_values_are_replaced_and_api_keys_masked_to_a_hint():
    redaction.remember_key("AKIA-like-api-key-0123456789abcd", "s3cr3t-value-0123456789")
    text = redaction.redact("key AKIA-like-api-key-0123456789abcd secret s3cr3t-value-0123456789")
    assert "s3cr3t-value" not in text and "***redacted***" in text
    assert "AKIA-like" not in text and "****abcd" in text


def test_secret_fields_are_redacted_even_when_the_value_was_never_seen():
    inner = json.dumps({"api_key": "k", "secret": "never-seen-before-1", "key_type": "hmac"})
    boto_body = repr({"body": json.dumps({"SecretString": inner}).encode()})
    for text in (json.dumps({"SecretString": inner}), boto_body,
                 "{'secret': 'never-seen-before-1'}", '{"api_secret": "never-seen-before-1"}'):
        assert "never-seen-before-1" not in redaction.redact(text), text


def test_pem_keys_are_redacted_line_by_line_and_escaped():
    pem = ("-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIPrivateKeyMaterialLine1\n"
           "-----END PRIVATE KEY-----\n")
    redaction.remember(pem)
    assert "PrivateKeyMaterial" not in redaction.redact(json.dumps({"k": pem}))
    assert "PrivateKeyMaterial" not in redaction.redact("line: MC4CAQAwBQYDK2VwBCIEIPrivateKeyMaterialLine1")


def test_every_logger_goes_through_the_record_factory(caplog):
    redaction.install()
    redaction.remember("another-secret-value-42")
    caplog.set_level(logging.DEBUG)
    logging.getLogger("botocore.endpoint").debug("params: %s", {"SecretString": "another-secret-value-42"})
    logging.getLogger("some.lib").info("value %s here", "another-secret-value-42")
    assert "another-secret-value-42" not in caplog.text
    assert all("another-secret-value-42" not in r.getMessage() for r in caplog.records)
    assert caplog.text.count("***redacted***") == 2


def test_innocent_text_is_untouched():
    assert redaction.redact("a plain message about secrets in general") == \
        "a plain message about secrets in general"
