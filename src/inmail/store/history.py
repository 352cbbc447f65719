"""What the forecast reads of a member's InMails: the recent ones, and those
whose credit can still come back. Only paid InMails: the forecast is about
credits, and an InMail to an open profile costs none."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, func, select

from inmail.store.tables import messages

# A bound on the rows one forecast reads (500 sends a week for 90 days is
# under 6,500).
ROWS_MAX = 10_000


def _paid(member_id: str):  # type: ignore[no-untyped-def]
    m = messages.c
    return (m.sender_id == member_id, m.kind == "inmail", m.credit_charged.is_(True))


def recent_counts(conn: Connection, member_id: str, since: datetime) -> tuple[int, int]:
    """Paid InMails sent after ``since``, and how many of them were answered in
    time (their credit came back)."""
    m = messages.c
    row = conn.execute(
        select(func.count(), func.count().filter(m.refunded.is_(True))).where(
            *_paid(member_id), m.sent_at > since
        )
    ).one()
    return int(row[0]), int(row[1])


def recent_answers(
    conn: Connection, member_id: str, since: datetime
) -> list[tuple[datetime, datetime]]:
    """(sent_at, responded_at) of the paid InMails sent after ``since`` that were
    answered in time."""
    m = messages.c
    query = (
        select(m.sent_at, m.responded_at)
        .where(*_paid(member_id), m.sent_at > since, m.refunded.is_(True))
        .order_by(m.sent_at.desc())
        .limit(ROWS_MAX)
    )
    return [(sent, answered) for sent, answered in conn.execute(query)]


def awaiting_sent_at(conn: Connection, member_id: str) -> list[datetime]:
    """When each paid InMail still awaiting a response was sent, oldest first."""
    m = messages.c
    query = (
        select(m.sent_at)
        .where(*_paid(member_id), m.status == "awaiting_response")
        .order_by(m.sent_at, m.id)
        .limit(ROWS_MAX)
    )
    return list(conn.execute(query).scalars())
