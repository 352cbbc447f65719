"""Conversations for the pages: the inbox as one row per conversation with
its latest message and whether it is unread, and one conversation's thread
a page at a time, which marks it read.

The API's inbox and sent lists stay lists of messages (service.messages);
this is the members' view of the same rows. A message a member deleted is
left out of both, for that member only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from inmail.domain.errors import ValidationFailed
from inmail.service.accounts import open_accounts
from inmail.service.context import Context
from inmail.service.paging import check_limit, decode_cursor, decode_id_cursor, encode_cursor
from inmail.service.views import MessageView
from inmail.store import conversations as conversation_store

INBOX_PAGE = 20
THREAD_PAGE = 20


def is_unread(latest: MessageView, member_id: str, read_through_id: int) -> bool:
    """A conversation is unread while it holds a message to the member newer
    than what they last read. A member who wrote the latest message has read
    everything before it, so only a latest message to them can be unread."""
    return latest.recipient == member_id and latest.id > read_through_id


@dataclass(frozen=True)
class ConversationRow:
    other: str
    name: str
    latest: MessageView  # whoever sent it
    unread: bool


@dataclass(frozen=True)
class InboxPage:
    rows: list[ConversationRow]  # newest conversation first
    next_cursor: str | None
    as_of: datetime


def inbox(
    ctx: Context, member_id: str, *, limit: int = INBOX_PAGE, cursor: str | None = None
) -> InboxPage:
    """The member's conversations, the one with the newest message first."""
    limit = check_limit(limit)
    before = decode_id_cursor(cursor)
    with ctx.reading(member_id) as work:
        found = conversation_store.latest(work.conn, member_id, before_id=before, limit=limit + 1)
        rows = [_row(r, member_id, work.now) for r in found[:limit]]
        now = work.now
    more = len(found) > limit
    return InboxPage(rows, encode_cursor(rows[-1].latest.id) if more else None, now)


def _row(found: dict[str, Any], member_id: str, now: datetime) -> ConversationRow:
    latest = MessageView.of(found, now)
    return ConversationRow(
        other=found["other_id"],
        name=found["other_name"],
        latest=latest,
        unread=is_unread(latest, member_id, found["read_through_id"]),
    )


@dataclass(frozen=True)
class ThreadPage:
    messages: list[MessageView]  # oldest first
    earlier_cursor: str | None  # the page of older messages, if any
    later_cursor: str | None  # the page of newer messages; None on the newest page


def thread(
    ctx: Context, me: str, other: str, *, cursor: str | None = None, limit: int = THREAD_PAGE
) -> ThreadPage:
    """A page of the conversation between ``me`` and ``other``, oldest first:
    the newest messages without a cursor. Showing the newest page marks the
    conversation read through its newest message (not through one that
    arrives meanwhile)."""
    limit = check_limit(limit)
    direction, position = _decode_thread_cursor(cursor)
    with ctx.unit_of_work() as work:
        open_accounts(work, [other, me])  # settled, so statuses are current
        if direction == "after":
            found = conversation_store.thread(
                work.conn, me, other, after_id=position, limit=limit + 1
            )
            later = len(found) > limit
            page = found[:limit]
            # Reached from an earlier page, so older messages exist.
            earlier = bool(page)
        else:
            found = conversation_store.thread(
                work.conn, me, other, before_id=position, limit=limit + 1
            )
            earlier = len(found) > limit
            page = found[:limit][::-1]
            later = direction == "before" and bool(page)
        messages = [MessageView.of(r, work.now) for r in page]
        if messages and not later:
            conversation_store.mark_read(work.conn, me, other, messages[-1].id)
    return ThreadPage(
        messages,
        encode_cursor("before", messages[0].id) if earlier else None,
        encode_cursor("after", messages[-1].id) if later else None,
    )


def _decode_thread_cursor(cursor: str | None) -> tuple[str | None, int | None]:
    if cursor is None:
        return None, None
    direction, position = decode_cursor(cursor, 2)
    if direction not in ("before", "after") or not position.isdigit():
        raise ValidationFailed("cursor is not valid")
    return direction, int(position)
