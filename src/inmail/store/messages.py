"""The statements of sending and answering messages, and of their due events."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select, update

from inmail.store.sql import Query, execute, execute_many, first, rows
from inmail.store.tables import messages

# The columns of a whole message row that come back as times and as booleans.
MESSAGE_TIMES = ("sent_at", "refund_deadline", "reminder_at", "reminder_due_at", "responded_at")
MESSAGE_FLAGS = ("credit_charged", "refunded", "hidden_for_sender", "hidden_for_recipient")

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
GET = Query("SELECT * FROM messages WHERE id = :id", times=MESSAGE_TIMES, flags=MESSAGE_FLAGS)
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
# Settling accounts in one transaction may expire InMails (as their sender)
# and send reminders (as their recipient): another transaction settling the
# other ends may touch the same rows, so both take them in id order first.
LOCK = Query("SELECT id FROM messages WHERE id IN {int_ids} ORDER BY id {lock}")
EXPIRED = Query(
    "UPDATE messages SET status = 'expired' WHERE id IN {int_ids} AND status = 'awaiting_response'"
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


def mark_due(conn: Connection, *, expired: Sequence[int], reminded: Sequence[int]) -> None:
    """Expire InMails and mark their reminders sent, the rows locked in id
    order first (on PostgreSQL), so two settling transactions never deadlock."""
    if not expired and not reminded:
        return
    if conn.dialect.name != "sqlite":
        execute(conn, LOCK, {"ids": sorted({*expired, *reminded})})
    if expired:
        execute(conn, EXPIRED, {"ids": expired})
    if reminded:
        execute(conn, REMINDED, {"ids": reminded})


def hide(conn: Connection, message_id: int, *, for_sender: bool) -> None:
    column = messages.c.hidden_for_sender if for_sender else messages.c.hidden_for_recipient
    conn.execute(update(messages).where(messages.c.id == message_id).values({column: True}))


def box_page(
    conn: Connection, member_id: str, *, inbox: bool, before_id: int | None, limit: int
) -> list[Any]:
    """Up to ``limit`` of the member's inbox (or sent) messages, newest first,
    older than ``before_id``, without those they deleted."""
    m = messages.c
    owner, hidden = (
        (m.recipient_id, m.hidden_for_recipient) if inbox else (m.sender_id, m.hidden_for_sender)
    )
    query = select(messages).where(owner == member_id, hidden.is_(False))
    if before_id is not None:
        query = query.where(m.id < before_id)
    return list(conn.execute(query.order_by(m.id.desc()).limit(limit)).mappings())


def inmail_counts(conn: Connection, member_id: str) -> tuple[int, int, int]:
    """InMails sent, responded (inside their window), and paid ones whose
    credit can still come back."""
    m = messages.c
    row = conn.execute(
        select(
            func.count(),
            func.count().filter(m.status == "responded"),
            func.count().filter(m.status == "awaiting_response", m.credit_charged.is_(True)),
        ).where(m.sender_id == member_id, m.kind == "inmail")
    ).one()
    return int(row[0]), int(row[1]), int(row[2])


def awaiting_paid(conn: Connection, member_id: str, limit: int) -> list[Any]:
    """The member's paid InMails still awaiting, soonest deadline first."""
    m = messages.c
    query = (
        select(messages)
        .where(
            m.sender_id == member_id,
            m.kind == "inmail",
            m.status == "awaiting_response",
            m.credit_charged.is_(True),
        )
        .order_by(m.refund_deadline, m.id)
        .limit(limit)
    )
    return list(conn.execute(query).mappings())


def others(conn: Connection, member_id: str, ids: Sequence[int]) -> dict[int, str]:
    """For each of these messages, the member on its other side."""
    m = messages.c
    rows = conn.execute(select(m.id, m.sender_id, m.recipient_id).where(m.id.in_(ids))).all()
    return {mid: (r if s == member_id else s) for mid, s, r in rows}


def expired_paid(
    conn: Connection, member_id: str, since: datetime | None, until: datetime | None, limit: int
) -> list[Any]:
    """The member's paid InMails whose deadline passed without a timely
    answer, with the deadline in [since, until), latest deadline first."""
    m = messages.c
    query = select(messages).where(
        m.sender_id == member_id,
        m.kind == "inmail",
        m.status == "expired",
        m.credit_charged.is_(True),
    )
    if since is not None:
        query = query.where(m.refund_deadline >= since)
    if until is not None:
        query = query.where(m.refund_deadline < until)
    return list(conn.execute(query.order_by(m.refund_deadline.desc()).limit(limit)).mappings())
