"""The lists' cursors as the API shows them.

Every string that matches a cursor's pattern is a position in its list, so
the OpenAPI document states the format exactly and the server takes all that
it allows (the engine's own cursors are base64 text that only it can read,
so the API translates). Clients should still treat them as opaque: pass back
the `next_cursor` of the previous page.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import Query

from inmail.api.plain_errors import explain_pattern
from inmail.service.members import MEMBER_ID
from inmail.service.paging import decode_cursor, decode_id_cursor, encode_cursor

BIGGEST_ID = 2**63 - 1  # a 64-bit id column; a larger position means "the end"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)
_NOT_OURS = "is not a cursor of this list: pass back the next_cursor of the previous page"

# Before this id (ledger, inbox, sent: newest first).
ID_PATTERN = explain_pattern(r"^[0-9]{1,19}$", _NOT_OURS)
# Before this (time in microseconds since 1970, id) (notifications: newest first).
TIME_ID_PATTERN = explain_pattern(r"^-?[0-9]{1,18}\.[0-9]{1,19}$", _NOT_OURS)
# After this member id (the directory: by id).
MEMBER_PATTERN = MEMBER_ID.pattern

_DESCRIPTION = "The `next_cursor` of the previous page; omit for the first page."


def _query(pattern: str) -> object:
    return Query(description=_DESCRIPTION, pattern=pattern)


IdCursor = Annotated[str | None, _query(ID_PATTERN)]
TimeIdCursor = Annotated[str | None, _query(TIME_ID_PATTERN)]
MemberCursor = Annotated[str | None, _query(MEMBER_PATTERN)]


def id_in(cursor: str | None) -> str | None:
    return None if cursor is None else encode_cursor(min(int(cursor), BIGGEST_ID))


def id_out(cursor: str | None) -> str | None:
    return None if cursor is None else str(decode_id_cursor(cursor))


def _time(micros: int) -> datetime:
    try:
        return EPOCH + micros * MICROSECOND
    except OverflowError:  # past year 9999 or before year 1: the end of the list
        return datetime.max.replace(tzinfo=UTC) if micros > 0 else datetime.min.replace(tzinfo=UTC)


def time_id_in(cursor: str | None) -> str | None:
    if cursor is None:
        return None
    micros, before_id = cursor.split(".")
    return encode_cursor(_time(int(micros)).isoformat(), min(int(before_id), BIGGEST_ID))


def time_id_out(cursor: str | None) -> str | None:
    if cursor is None:
        return None
    at, before_id = decode_cursor(cursor, 2)
    return f"{(datetime.fromisoformat(at) - EPOCH) // MICROSECOND}.{before_id}"


def member_in(cursor: str | None) -> str | None:
    return None if cursor is None else encode_cursor(cursor)


def member_out(cursor: str | None) -> str | None:
    return None if cursor is None else decode_cursor(cursor, 1)[0]
