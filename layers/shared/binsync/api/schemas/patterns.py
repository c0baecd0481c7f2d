"""Every pattern a request field must match, with what it asks for in words.

A 422 names the rule in words (`api_key must be 8 to 256 printable characters, no spaces`) and
never quotes the regular expression; `binsync.api.errors` looks the words up here.
"""

from __future__ import annotations

PATTERN_WORDS: dict[str, str] = {}


def pattern(regex: str, words: str) -> str:
    """Register `regex` with the words a 422 shows for it; returns the regex for `Field(pattern=)`."""
    PATTERN_WORDS[regex] = words
    return regex


API_KEY = pattern(r"^[\x21-\x7e]{8,256}$", "8 to 256 printable characters, without spaces")
# `+` is allowed: Binance names the account's time zone in the file name, `...(UTC+5)...`
FILE_NAME = pattern(r"^[A-Za-z0-9][A-Za-z0-9 ._()+-]{0,150}\.(csv|CSV|zip|ZIP|xlsx|XLSX)$",
                    "a file name ending in .csv, .zip or .xlsx, starting with a letter or digit, made of "
                    "letters, digits, spaces and . _ - + ( ) (at most 155 characters)")
DECIMAL = pattern(r"^\d{1,30}(\.\d{1,30})?$",
                  "a positive decimal number written with a dot, such as 27350.5 (no sign, no exponent)")
ASSET = pattern(r"^[A-Za-z0-9]{1,20}$", "an asset symbol of 1 to 20 letters or digits, such as BTC")
CURRENCY = pattern(r"^[A-Z]{3,5}$", "a currency code of 3 to 5 capital letters, such as EUR")
TIME = pattern(r"^(\d{1,15}|\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?)?"
               r"(Z|[+-]\d{2}(:?\d{2})?)?)$",
               "epoch milliseconds (1706659200000) or an ISO 8601 date and time (2024-01-31 or "
               "2024-01-31T00:00:00Z)")
