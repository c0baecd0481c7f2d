"""Keep API secrets out of every log line (DESIGN.md §7).

The code never logs a secret on purpose; this is the safety net for what libraries log (e.g.
botocore at DEBUG prints request parameters, including a CreateSecret's SecretString). Secrets
seen by this process are remembered (bounded, most recent first) and replaced wherever they
appear in a log record: through a LogRecord factory (every logger, every handler, including
pytest's caplog) and in Powertools' JSON formatter (which also serialises `extra` fields).
API keys are masked to their last 4 characters.
"""

from __future__ import annotations

import logging
import re
import threading
from collections import OrderedDict
from typing import Any

from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

MAX_REMEMBERED = 512
MIN_LENGTH = 6  # shorter values would mask innocent text; real secrets are far longer

_lock = threading.Lock()
_values: OrderedDict[str, str] = OrderedDict()
_installed = False

# Secret-bearing JSON/repr fields whose value is not known in advance (e.g. a GetSecretValue
# response logged by botocore at DEBUG before the caller sees it): `"secret": "..."`, in plain,
# escaped (`\"secret\": \"...\"`) or repr (`'secret': '...'`) quoting.
_FIELD_RE = re.compile(
    r"""(?P<pre>(?P<q>\\*["'])(?:SecretString|api_secret|secret|SecretBinary)(?P=q)\s*:\s*(?P=q))"""
    r"""(?P<val>.*?)(?P=q)""")


def remember(value: str | None, replacement: str = "***redacted***") -> None:
    if not value or len(value) < MIN_LENGTH:
        return
    with _lock:
        _values[value] = replacement
        _values.move_to_end(value, last=False)
        while len(_values) > MAX_REMEMBERED:
            _values.popitem()
    # A PEM key also appears with escaped newlines in JSON dumps.
    if "\n" in value:
        remember(value.replace("\n", "\\n"), replacement)
        for line in value.splitlines():
            if len(line) >= 16 and not line.startswith("-----"):
                remember(line, replacement)


def remember_key(api_key: str | None, secret: str | None) -> None:
    if api_key:
        remember(api_key, "****" + api_key[-4:])
    remember(secret)


def redact(text: str) -> str:
    if not text:
        return text
    if _values:
        with _lock:
            items = list(_values.items())
        for value, replacement in items:
            if value in text:
                text = text.replace(value, replacement)
    if "ecret" in text:
        text = _FIELD_RE.sub(lambda m: m.group("pre") + "***redacted***" + m.group("q"), text)
    return text


def _contains_secret(text: str) -> bool:
    if "ecret" in text and _FIELD_RE.search(text):
        return True
    with _lock:
        return any(value in text for value in _values)


def install() -> None:
    """Wrap the process-wide LogRecord factory once (idempotent)."""
    global _installed
    with _lock:
        if _installed:
            return
        _installed = True
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a broken format string is the caller's bug, not ours
            return record
        if _contains_secret(message):
            record.msg, record.args = redact(message), None
        return record

    logging.setLogRecordFactory(factory)


class RedactingFormatter(LambdaPowertoolsFormatter):
    """Powertools' JSON formatter, with every serialised line passed through `redact`."""

    def serialize(self, log: dict[str, Any]) -> str:
        return redact(super().serialize(log))
