"""Weekly resync slots: each connection owns one hour of the week (issue 19 item 3).

A slot is an hour of the ISO week in UTC, 0 = Monday 00:00-01:00, 167 = Sunday 23:00-24:00.
It is a hash of the connection id, so it is fixed at registration, the same every week, and
known without a read; it is kept on the connection item (`resync_slot`) only so that the
`by_resync_slot` index can list one slot's connections. The hourly schedule reads the slot of
its own hour: 100,000 connections are ~600 an hour instead of 100,000 at once.

UTC, not the users' time zone: a zone with summer time has a 23-hour and a 25-hour day, which
would skip one slot's connections and start another slot twice in those weeks.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

SLOTS_PER_WEEK = 7 * 24
# Distinct from the offset hash of resync.start_delay_seconds: the same digest modulo 168 and
# 3600 (gcd 24) would tie a connection's minute in the hour to its slot.
_SALT = b"binsync-resync-slot:"


def slot_of(connection_id: str) -> int:
    digest = hashlib.sha256(_SALT + connection_id.encode()).digest()
    return int.from_bytes(digest[:8], "big") % SLOTS_PER_WEEK


def hour_of(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def slot_at(moment: datetime) -> int:
    """The slot whose hour contains `moment`."""
    utc = moment.astimezone(UTC)
    return utc.weekday() * 24 + utc.hour


def week_start(moment: datetime) -> datetime:
    """Monday 00:00 UTC of the ISO week containing `moment`."""
    utc = hour_of(moment)
    return utc.replace(hour=0) - timedelta(days=utc.weekday())


def iso_week(moment: datetime) -> str:
    """`2026-W48`: the week a resync belongs to (ISO years start on a Monday too)."""
    year, week, _ = moment.astimezone(UTC).isocalendar()
    return f"{year}-W{week:02d}"


def slot_time(moment: datetime, slot: int) -> datetime:
    """The start of `slot` in the week containing `moment`."""
    return week_start(moment) + timedelta(hours=slot)
