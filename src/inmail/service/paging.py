"""Limits and opaque cursors for every list."""

from __future__ import annotations

import base64
import binascii

from inmail.domain.errors import ValidationFailed

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


def check_limit(limit: int | None) -> int:
    if limit is None:
        return DEFAULT_LIMIT
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationFailed(f"limit must be between 1 and {MAX_LIMIT}")
    return limit


def encode_cursor(*parts: object) -> str:
    raw = "|".join(str(p) for p in parts).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, count: int) -> list[str]:
    """The ``count`` parts of a cursor made by :func:`encode_cursor`."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise ValidationFailed("cursor is not valid") from exc
    parts = raw.split("|")
    if len(parts) != count:
        raise ValidationFailed("cursor is not valid")
    return parts


def decode_id_cursor(cursor: str | None) -> int | None:
    if cursor is None:
        return None
    (value,) = decode_cursor(cursor, 1)
    if not value.isdigit():
        raise ValidationFailed("cursor is not valid")
    return int(value)
