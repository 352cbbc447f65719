"""The statements of sending and answering messages, and of their due events."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection

from inmail.store.sql import Query, execute, execute_many, first, rows

_MESSAGE_TIMES = ("sent_at", "refund_deadline", "reminder_at", "reminder_due_at", "responded_at")
_MESSAGE_FLAGS = ("credit_charged", "refunded", "hidden_for_sender", "hidden_for_recipient")

# What decides a message's price: are they connected, and has the recipient
# ever written to the sender?
PAIR = Query(
    "SELECT EXISTS (SELECT 1 FROM connections WHERE member_id = :a AND other_id = :b)"
    " AS connected, EXISTS (SELECT 1 FROM messages WHERE sender_id = :b AND recipient_id = :a)"
    " AS wrote_before",
    flags=("connected", "wrote_before"),
)
INSERT = Query(
    "INSERT INTO messages (sender_id, recipient_id, subject, body, kind, charge, quick_reply,"
    " in_reply_to, sent_at, credit_charged, status, refund_deadline, reminder_at,"
    " reminder_due_at, responded_at, refunded, hidden_for_sender, hidden_for_recipient)"
    " VALUES (:sender_id, :recipient_id, :subject, :body, :kind, :charge, :quick_reply,"
    " :in_reply_to, :sent_at, :credit_charged, :status, :refund_deadline, :reminder_at,"
    " :reminder_due_at, :responded_at, :refunded, :hidden_for_sender, :hidden_for_recipient)"
    " RETURNING id"
)
GET = Query("SELECT * FROM messages WHERE id = :id", times=_MESSAGE_TIMES, flags=_MESSAGE_FLAGS)
UNANSWERED = Query(
    "SELECT id, status, refund_deadline FROM messages WHERE sender_id = :sender"
    " AND recipient_id = :recipient AND kind = 'inmail' AND responded_at IS NULL ORDER BY id",
    times=("refund_deadline",),
)
# Each is conditional on the row's state, so a step applied twice changes nothing.
ANSWERED = Query(
    "UPDATE messages SET responded_at = :at, reminder_due_at = NULL, status = :status,"
    " refunded = :refunded WHERE id = :id AND responded_at IS NULL"
)
EXPIRED = Query(
    "UPDATE messages SET status = 'expired'"
    " WHERE id IN {int_ids} AND status = 'awaiting_response'"
)
REMINDED = Query(
    "UPDATE messages SET reminder_due_at = NULL"
    " WHERE id IN {int_ids} AND reminder_due_at IS NOT NULL"
)


def pair(conn: Connection, sender: str, recipient: str) -> tuple[bool, bool]:
    """(connected, the recipient wrote to the sender before)."""
    row = first(conn, PAIR, {"a": sender, "b": recipient})
    assert row is not None
    return row["connected"], row["wrote_before"]


def insert(conn: Connection, message: dict[str, Any]) -> int:
    return int(execute(conn, INSERT, message).fetchone()[0])


def get(conn: Connection, message_id: int) -> dict[str, Any] | None:
    return first(conn, GET, {"id": message_id})


def unanswered(conn: Connection, sender: str, recipient: str) -> list[dict[str, Any]]:
    """The InMails ``sender`` sent ``recipient`` that have no response yet."""
    return rows(conn, UNANSWERED, {"sender": sender, "recipient": recipient})


def mark_answered(conn: Connection, answers: Sequence[dict[str, Any]]) -> int:
    """Each row: id, at, status, refunded. Returns how many were still unanswered."""
    return execute_many(conn, ANSWERED, answers)


def mark_expired(conn: Connection, ids: Sequence[int]) -> None:
    if ids:
        execute(conn, EXPIRED, {"ids": ids})


def mark_reminded(conn: Connection, ids: Sequence[int]) -> None:
    if ids:
        execute(conn, REMINDED, {"ids": ids})
