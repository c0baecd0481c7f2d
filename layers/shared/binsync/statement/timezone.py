"""Which time zone a statement's times are in, and why (spec/binance-statement.md §11).

Binance's 2021-era exports head the time column `UTC_Time`: UTC. Newer exports head it `Time`
(or a translation: `Durée`, `Tiempo`, `Czas`...) and write the account's display zone, which
appears only in the file name: `...(UTC+5)...`, `...(UTC--6)...` (a negative offset with its sign
doubled, sic) or `...UTC2...`. An explicit zone given with the upload (`tz` on POST /uploads,
`--tz` on the CLI) is the last resort, for API clients that lose the file name.

Order (issue 16): header, then file name, then the explicit zone. A file whose times are local
and whose zone none of the three gives is not guessed: `resolve_zone` returns a zone with
`offset is None` and the caller refuses the file with a request for the zone.

Zones are fixed offsets (`+02:00`, `UTC-6`, `5`, `-3:30`) or IANA names (`Europe/Paris`), the
latter converted per time with the daylight-saving rule of that date.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# Header names (normalised) that state UTC themselves.
UTC_HEADERS = frozenset({
    "utc_time", "utc time", "date(utc)", "date (utc)", "date(utc+0)", "heure utc", "heure (utc)",
    "date utc", "czas utc", "tiempo utc", "utc",
})

_SIGNED = r"(?P<sign>[+\-\u2212]{0,2})(?P<hours>\d{1,2})(?::?(?P<minutes>[0-5]\d))?"
_FILE_ZONE = re.compile(r"UTC\s*" + _SIGNED + r"(?!\d)", re.IGNORECASE)
_OFFSET = re.compile(r"^(?:UTC|GMT)?\s*" + _SIGNED + "$", re.IGNORECASE)


class ZoneError(ValueError):
    """An explicit zone that is neither an offset nor an IANA name."""


@dataclass(frozen=True)
class Zone:
    """offset: seconds east of UTC (fixed zone), or None when unknown; name: IANA zone if any."""

    offset: int | None
    source: str  # "header" | "file_name" | "request" | "unknown"
    reason: str
    name: str | None = None

    @property
    def known(self) -> bool:
        return self.offset is not None or self.name is not None

    def label(self) -> str:
        if self.name:
            return self.name
        if self.offset is None:
            return "unknown"
        sign = "-" if self.offset < 0 else "+"
        minutes = abs(self.offset) // 60
        return f"UTC{sign}{minutes // 60:02d}:{minutes % 60:02d}"

    def to_dict(self) -> dict[str, str | int | None]:
        return {"zone": self.label(), "offset_seconds": self.offset, "source": self.source,
                "reason": self.reason}


def _offset(sign: str, hours: str, minutes: str | None) -> int | None:
    h, m = int(hours), int(minutes or 0)
    if h > 14:
        return None
    value = h * 3600 + m * 60
    return -value if sign and sign[0] in "-\u2212" else value


def zone_from_file_name(file_name: str | None) -> int | None:
    """Offset in seconds named by a Binance export's file name, or None."""
    if not file_name:
        return None
    base = file_name.replace("\\", "/").rsplit("/", 1)[-1]
    for match in _FILE_ZONE.finditer(base):
        # `UTC_Time` or a word like `UTC` glued to nothing numeric does not match; a date right
        # after `UTC` (`UTC2025...`) is not a zone: hours are at most 2 digits and not followed
        # by another digit.
        offset = _offset(match["sign"], match["hours"], match["minutes"])
        if offset is not None:
            return offset
    return None


def parse_zone(text: str) -> Zone:
    """An explicit zone (request or CLI): offset text or IANA name. Raises ZoneError."""
    value = text.strip()
    match = _OFFSET.match(value)
    if match:
        offset = _offset(match["sign"], match["hours"], match["minutes"])
        if offset is None:
            raise ZoneError(f"tz {text!r}: offsets range from -14:00 to +14:00")
        return Zone(offset, "request", f"tz {value!r} given with the request")
    if value.upper() in ("UTC", "GMT", "Z"):
        return Zone(0, "request", f"tz {value!r} given with the request")
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ZoneError(f"tz {text!r} is neither an offset like +02:00 nor an IANA zone like "
                        "Europe/Paris") from None
    return Zone(None, "request", f"tz {value!r} given with the request", name=value)


def resolve_zone(time_header: str, file_name: str | None, explicit: str | None) -> Zone:
    """The zone of a statement's times: header, then file name, then the explicit zone."""
    header = " ".join(time_header.strip().split()).lower()
    if header in UTC_HEADERS:
        return Zone(0, "header", f"the time column is headed {time_header.strip()!r}")
    from_name = zone_from_file_name(file_name)
    if from_name is not None:
        return Zone(from_name, "file_name", f"the file name {file_name!r} names the zone")
    if explicit:
        return parse_zone(explicit)
    return Zone(None, "unknown", f"the time column is headed {time_header.strip()!r} (local time) and "
                "neither the file name nor the request gives the zone")


@lru_cache(maxsize=64)
def _zoneinfo(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def local_to_utc(naive_epoch: int, zone: Zone, _cache: dict[tuple[str, int], int] = {}) -> int:  # noqa: B006
    """UTC epoch seconds of a wall-clock time (epoch seconds as if it were UTC) in `zone`."""
    if zone.name is None:
        return naive_epoch - (zone.offset or 0)
    hour = naive_epoch // 3600
    key = (zone.name, hour)
    offset = _cache.get(key)
    if offset is None:
        wall = datetime(1970, 1, 1) + timedelta(seconds=hour * 3600)
        delta = wall.replace(tzinfo=_zoneinfo(zone.name)).utcoffset()
        offset = int(delta.total_seconds()) if delta is not None else 0
        if len(_cache) > 100_000:
            _cache.clear()
        _cache[key] = offset
    return naive_epoch - offset


def utc_text(sec: int) -> str:
    return datetime.fromtimestamp(sec, tz=UTC).strftime("%Y-%m-%d %H:%M:%S")
