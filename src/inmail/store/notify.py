"""Notifications are rows written in the same transaction as their cause."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from inmail.domain.notifications import KINDS
from inmail.store.sql import Query, execute, execute_rows
from inmail.store.tables import notifications

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
) -> None:
    execute(conn, INSERT, notification(member_id, kind, at, message_id=message_id, data=data))


def page(
    conn: Connection, member_id: str, *, before: tuple[datetime, int] | None, limit: int
) -> list[Any]:
    """Up to ``limit`` of the member's notifications, newest first by the time
    each is about, older than ``before`` (at, id)."""
    n = notifications.c
    query = select(notifications).where(n.member_id == member_id)
    if before is not None:
        at, before_id = before
        query = query.where((n.at < at) | ((n.at == at) & (n.id < before_id)))
    return list(conn.execute(query.order_by(n.at.desc(), n.id.desc()).limit(limit)).mappings())
