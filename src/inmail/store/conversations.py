"""Conversations as the pages show them: every message between two members
is one conversation. The inbox lists a member's conversations by their
latest message; a conversation page reads one thread a page at a time; and
each member's read state per conversation says which are unread.

Both lists are keyset paged on message ids (ids only grow, and each message
belongs to one conversation, so a conversation's latest id is a unique,
stable position in the inbox). Only the member's own rows are read, from the
indexes of migration 0005 and the pair index (see docs/benchmarks.md for the
plans on both databases).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from inmail.store.messages import MESSAGE_FLAGS, MESSAGE_TIMES
from inmail.store.sql import Query, execute, rows, scalar

# Each side of the member's conversations grouped by the other member, from
# ix_messages_sender_conversations and ix_messages_recipient_conversations
# alone (a covering scan of the member's own entries, never the table), then
# the two sides joined per other member. The page is cut there, so only its
# own rows are read from messages, members and conversation_reads.
_LATEST = """
WITH threads AS (
  SELECT other_id, max(last_id) AS last_id FROM (
    SELECT recipient_id AS other_id, max(id) AS last_id
      FROM messages WHERE sender_id = :me AND hidden_for_sender = false
      GROUP BY recipient_id
    UNION ALL
    SELECT sender_id, max(id)
      FROM messages WHERE recipient_id = :me AND hidden_for_recipient = false
      GROUP BY sender_id
  ) AS sides
  GROUP BY other_id
),
page AS (
  SELECT * FROM threads {where} ORDER BY last_id DESC LIMIT :limit
)
SELECT t.other_id, o.name AS other_name, coalesce(r.read_through_id, 0) AS read_through_id, m.*
FROM page AS t
JOIN messages AS m ON m.id = t.last_id
JOIN members AS o ON o.id = t.other_id
LEFT JOIN conversation_reads AS r ON r.member_id = :me AND r.other_id = t.other_id
ORDER BY t.last_id DESC
"""
LATEST_FIRST = Query(_LATEST.replace("{where}", ""), times=MESSAGE_TIMES, flags=MESSAGE_FLAGS)
LATEST_BEFORE = Query(
    _LATEST.replace("{where}", "WHERE last_id < :before"),
    times=MESSAGE_TIMES,
    flags=MESSAGE_FLAGS,
)

# One thread, both ways, without what the member deleted: each direction is
# a range of the pair index (sender_id, recipient_id, id) read from one end,
# so a page costs its own rows whatever the thread's length.
_THREAD = """
SELECT * FROM (
  SELECT * FROM messages
  WHERE sender_id = :me AND recipient_id = :other AND hidden_for_sender = false {bound}
  ORDER BY id {order} LIMIT :limit
) AS sent
UNION ALL
SELECT * FROM (
  SELECT * FROM messages
  WHERE sender_id = :other AND recipient_id = :me AND hidden_for_recipient = false {bound}
  ORDER BY id {order} LIMIT :limit
) AS received
ORDER BY id {order}
LIMIT :limit
"""


def _thread(bound: str, order: str) -> Query:
    text = _THREAD.replace("{bound}", bound).replace("{order}", order)
    return Query(text, times=MESSAGE_TIMES, flags=MESSAGE_FLAGS)


THREAD_NEWEST = _thread("", "DESC")
THREAD_BEFORE = _thread("AND id < :before", "DESC")
THREAD_AFTER = _thread("AND id > :after", "ASC")

READ_THROUGH = Query(
    "SELECT read_through_id FROM conversation_reads WHERE member_id = :me AND other_id = :other"
)
# One statement whatever was there before; it never moves back (two tabs may
# mark in either order).
MARK_READ = Query(
    "INSERT INTO conversation_reads (member_id, other_id, read_through_id)"
    " VALUES (:me, :other, :through)"
    " ON CONFLICT (member_id, other_id) DO UPDATE SET read_through_id = excluded.read_through_id"
    " WHERE conversation_reads.read_through_id < excluded.read_through_id"
)


def latest(
    conn: Connection, member_id: str, *, before_id: int | None, limit: int
) -> list[dict[str, Any]]:
    """Up to ``limit`` of the member's conversations, each as its latest
    message the member still sees (the message's columns) with ``other_id``,
    ``other_name`` and ``read_through_id``; newest conversation first, those
    whose latest message is older than ``before_id``."""
    params: dict[str, Any] = {"me": member_id, "limit": limit}
    if before_id is None:
        return rows(conn, LATEST_FIRST, params)
    return rows(conn, LATEST_BEFORE, {**params, "before": before_id})


def thread(
    conn: Connection,
    me: str,
    other: str,
    *,
    before_id: int | None = None,
    after_id: int | None = None,
    limit: int,
) -> list[dict[str, Any]]:
    """Up to ``limit`` messages between the two members that ``me`` still
    sees: the newest ones (older than ``before_id`` when given), newest
    first; or, with ``after_id``, the oldest ones newer than it, oldest
    first."""
    params: dict[str, Any] = {"me": me, "other": other, "limit": limit}
    if after_id is not None:
        return rows(conn, THREAD_AFTER, {**params, "after": after_id})
    if before_id is not None:
        return rows(conn, THREAD_BEFORE, {**params, "before": before_id})
    return rows(conn, THREAD_NEWEST, params)


def read_through(conn: Connection, me: str, other: str) -> int:
    """The highest message id of the conversation ``me`` has read (0 for none)."""
    return int(scalar(conn, READ_THROUGH, {"me": me, "other": other}) or 0)


def mark_read(conn: Connection, me: str, other: str, through_id: int) -> None:
    """``me`` has read the conversation with ``other`` up to ``through_id``."""
    execute(conn, MARK_READ, {"me": me, "other": other, "through": through_id})
