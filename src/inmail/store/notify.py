"""Notifications are rows written in the same transaction as their cause."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert

from inmail.store.tables import notifications

KINDS = (
    "inmail_received",
    "inmail_reminder",
    "response_received",
    "credit_refunded",
    "inmail_expired",
    "credits_renewed",
    "cap_forfeit_warning",
)


def notify(
    conn: Connection,
    member_id: str,
    kind: str,
    at: datetime,
    *,
    message_id: int | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind {kind!r}")
    conn.execute(
        insert(notifications).values(
            member_id=member_id, kind=kind, at=at, message_id=message_id, data=data or {}
        )
    )
