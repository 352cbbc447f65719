"""How times are written everywhere they leave the engine (RFC 3339, UTC,
``Z``), and the microsecond the forecast counts in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

MICROSECOND = timedelta(microseconds=1)


def rfc3339(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().removesuffix("+00:00") + "Z"


def micros_between(start: datetime, end: datetime) -> int:
    """Whole microseconds from ``start`` to ``end`` (the forecast's time unit)."""
    return (end - start) // MICROSECOND
