"""How the adapters write a time into a request (a query parameter, a header)."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_stamp(at: datetime) -> str:
    """`2026-11-27T16:00:00Z`: the instant in UTC, to the second, its year in four digits
    (strftime's %Y writes year 1 as "1", which no reader takes)."""
    return at.astimezone(UTC).replace(microsecond=0, tzinfo=None).isoformat() + "Z"
