"""Notifications are rows written in the same transaction as their cause."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from inmail.domain.notifications import KINDS
from inmail.store.sql import Query, execute, execute_rows
from inmail.store.tables import notification_reads, notifications

INSERT = Query(
    "INSERT INTO notifications (member_id, kind, at, message_id, data)"
    " VALUES (:member_id, :kind, :at, :message_id, :data)"
)
INSERT_ROWS = Query(
    "INSERT INTO notifications (member_id, kind, at, message_id, data)"
    " SELECT member_id, kind, at, message_id, data FROM"
    " {rows:member_id text, kind text, at timestamp, message_id bigint, data json}"
)


def notification(
    member_id: str,
    kind: str,
    at: datetime,
    *,
    message_id: int | None = None,
    data: dict[str, Any] | None = None,
) -> dict[str, Any]:
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind {kind!r}")
    return {
        "member_id": member_id,
        "kind": kind,
        "at": at,
        "message_id": message_id,
        "data": data or {},
    }


def append(conn: Connection, notifications: Sequence[dict[str, Any]]) -> None:
    """Write notifications made with :func:`notification`, in order, with one
    statement."""
    execute_rows(conn, INSERT_ROWS, notifications)


def notify(
    conn: Connection,
    member_id: str,
    kind: str,
    at: datetime,
    *,
    message_id: int | None = None,
    data: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Write one notification; returns it as :func:`notification` makes it."""
    row = notification(member_id, kind, at, message_id=message_id, data=data)
    execute(conn, INSERT, row)
    return row


def page(
    conn: Connection,
    member_id: str,
    *,
    before: tuple[datetime, int] | None,
    limit: int,
    kinds: Sequence[str] | None = None,
) -> list[Any]:
    """Up to ``limit`` of the member's notifications (of ``kinds``, when
    given), newest first by the time each is about, older than ``before``
    (at, id)."""
    n = notifications.c
    query = select(notifications).where(n.member_id == member_id)
    if kinds is not None:
        query = query.where(n.kind.in_(kinds))
    if before is not None:
        at, before_id = before
        query = query.where((n.at < at) | ((n.at == at) & (n.id < before_id)))
    return list(conn.execute(query.order_by(n.at.desc(), n.id.desc()).limit(limit)).mappings())


def seen_through(conn: Connection, member_id: str) -> int:
    """The highest notification id the member has seen (0 for none)."""
    r = notification_reads.c
    found = conn.execute(select(r.seen_through_id).where(r.member_id == member_id)).scalar()
    return int(found or 0)


def latest_id(conn: Connection, member_id: str) -> int:
    n = notifications.c
    found = conn.execute(select(func.max(n.id)).where(n.member_id == member_id)).scalar()
    return int(found or 0)


def mark_seen(conn: Connection, member_id: str, through_id: int) -> None:
    """Remember that the member has seen everything up to ``through_id``; it
    never moves back (two tabs may mark in either order). The caller holds
    the member's row lock, so two marks never both insert."""
    r = notification_reads.c
    current = conn.execute(select(r.seen_through_id).where(r.member_id == member_id)).scalar()
    if current is None:
        conn.execute(
            insert(notification_reads).values(member_id=member_id, seen_through_id=through_id)
        )
    elif current < through_id:
        conn.execute(
            update(notification_reads)
            .where(r.member_id == member_id)
            .values(seen_through_id=through_id)
        )


def count_after(conn: Connection, member_id: str, after_id: int, kinds: Sequence[str]) -> int:
    """How many of the member's notifications of these kinds have an id above ``after_id``."""
    n = notifications.c
    query = select(func.count()).where(n.member_id == member_id, n.id > after_id, n.kind.in_(kinds))
    return int(conn.execute(query).scalar() or 0)
