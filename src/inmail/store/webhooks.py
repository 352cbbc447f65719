"""Webhook endpoints, the event outbox, deliveries and their attempts.

Events and their deliveries are written in the transaction of their cause.
A worker claims due deliveries (``SKIP LOCKED`` on PostgreSQL, so workers
never take the same row) by setting a wall-clock lease, sends outside any
transaction, and records the attempt only while it still holds the lease.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update

from inmail.store.sql import Query, execute_rows, rows
from inmail.store.tables import (
    webhook_attempts,
    webhook_deliveries,
    webhook_endpoints,
    webhook_events,
)

E, D, A, V = webhook_endpoints.c, webhook_deliveries.c, webhook_attempts.c, webhook_events.c

INSERT_EVENTS = Query(
    "INSERT INTO webhook_events (id, type, member_id, at, body)"
    " SELECT id, type, member_id, at, body FROM"
    " {rows:id text, type text, member_id text, at timestamp, body text}"
)
INSERT_DELIVERIES = Query(
    "INSERT INTO webhook_deliveries (endpoint_id, event_id, status, attempts, next_attempt_at,"
    " created_at) SELECT endpoint_id, event_id, 'pending', 0, at, at FROM"
    " {rows:endpoint_id text, event_id text, at timestamp}"
)


# Endpoints ------------------------------------------------------------------


# Read by every unit of work that makes an event (each send): on the
# driver's cursor, like the other hot statements.
LISTENING = Query(
    "SELECT id, events FROM webhook_endpoints WHERE enabled ORDER BY id", documents=["events"]
)


def listening(conn: Connection) -> list[tuple[str, list[str] | None]]:
    """(id, event filter) of every enabled endpoint."""
    return [(row["id"], row["events"]) for row in rows(conn, LISTENING)]


def add_endpoint(conn: Connection, row: dict[str, Any]) -> None:
    conn.execute(insert(webhook_endpoints).values(**row))


def endpoint(conn: Connection, endpoint_id: str) -> dict[str, Any] | None:
    found = conn.execute(select(webhook_endpoints).where(E.id == endpoint_id)).mappings().first()
    return dict(found) if found else None


def endpoints(conn: Connection) -> list[dict[str, Any]]:
    query = select(webhook_endpoints).order_by(E.created_at, E.id)
    return [dict(row) for row in conn.execute(query).mappings()]


def change_endpoint(conn: Connection, endpoint_id: str, values: dict[str, Any]) -> None:
    conn.execute(update(webhook_endpoints).where(E.id == endpoint_id).values(**values))


def remove_endpoint(conn: Connection, endpoint_id: str) -> None:
    """The endpoint, its deliveries (pending ones are dropped) and their attempts."""
    ids = select(D.id).where(D.endpoint_id == endpoint_id).scalar_subquery()
    conn.execute(delete(webhook_attempts).where(A.delivery_id.in_(ids)))
    conn.execute(delete(webhook_deliveries).where(D.endpoint_id == endpoint_id))
    conn.execute(delete(webhook_endpoints).where(E.id == endpoint_id))


# The outbox -----------------------------------------------------------------


def add_events(
    conn: Connection, events: Sequence[dict[str, Any]], deliveries: Sequence[dict[str, Any]]
) -> None:
    """Events (id, type, member_id, at, body) and their deliveries
    (endpoint_id, event_id, at: the service time they are first due)."""
    execute_rows(conn, INSERT_EVENTS, events)
    execute_rows(conn, INSERT_DELIVERIES, deliveries)


# Claiming and recording -----------------------------------------------------


def _due_and_free(now: datetime, wall_now: datetime) -> tuple[Any, ...]:
    """Pending, due by the service clock, and held by no worker (or by one
    whose lease ran out)."""
    return (
        D.status == "pending",
        D.next_attempt_at <= now,
        (D.lease_until.is_(None)) | (D.lease_until < wall_now),
    )


def due(conn: Connection, now: datetime, wall_now: datetime, limit: int) -> list[dict[str, Any]]:
    """Deliveries due and free, oldest first: candidates, not yet claimed."""
    query = (
        select(D.id, D.endpoint_id)
        .where(*_due_and_free(now, wall_now))
        .order_by(D.next_attempt_at, D.id)
        .limit(limit)
    )
    return [dict(row) for row in conn.execute(query).mappings()]


def claim(
    conn: Connection, ids: Sequence[int], now: datetime, wall_now: datetime, lease_until: datetime
) -> list[dict[str, Any]]:
    """Take the deliveries among ``ids`` that are still due and free, until
    ``lease_until``; returns them with what sending needs."""
    if not ids:
        return []
    free = (
        select(D.id)
        .where(D.id.in_(ids), *_due_and_free(now, wall_now))
        .order_by(D.id)
        .with_for_update(skip_locked=True)
    )
    taken = [row.id for row in conn.execute(free)]
    if not taken:
        return []
    conn.execute(update(webhook_deliveries).where(D.id.in_(taken)).values(lease_until=lease_until))
    query = (
        select(
            D.id,
            D.endpoint_id,
            D.event_id,
            D.attempts,
            D.lease_until,
            E.url,
            E.secret_sealed,
            V.body,
        )
        .join(webhook_endpoints, E.id == D.endpoint_id)
        .join(webhook_events, V.id == D.event_id)
        .where(D.id.in_(taken))
        .order_by(D.id)
    )
    return [dict(row) for row in conn.execute(query).mappings()]


def record(
    conn: Connection,
    delivery_id: int,
    lease_until: datetime,
    attempt: dict[str, Any],
    outcome: dict[str, Any],
) -> bool:
    """Write one attempt and the delivery's state after it, if this worker
    still holds the delivery (its lease unchanged); False when it does not
    (the lease ran out and another worker took it, or it was deleted)."""
    changed = conn.execute(
        update(webhook_deliveries)
        .where(D.id == delivery_id, D.lease_until == lease_until)
        .values(attempts=D.attempts + 1, lease_until=None, **outcome)
    ).rowcount
    if not changed:
        return False
    conn.execute(insert(webhook_attempts).values(delivery_id=delivery_id, **attempt))
    return True


# Reading --------------------------------------------------------------------


def deliveries_page(
    conn: Connection,
    endpoint_id: str,
    *,
    status: str | None,
    before_id: int | None,
    limit: int,
) -> list[dict[str, Any]]:
    """Newest first."""
    query = (
        select(webhook_deliveries, V.type)
        .join(webhook_events, V.id == D.event_id)
        .where(D.endpoint_id == endpoint_id)
    )
    if status is not None:
        query = query.where(D.status == status)
    if before_id is not None:
        query = query.where(D.id < before_id)
    query = query.order_by(D.id.desc()).limit(limit)
    return [dict(row) for row in conn.execute(query).mappings()]


def recent_deliveries(conn: Connection, limit: int) -> list[dict[str, Any]]:
    """The newest deliveries of every endpoint, for the admin page."""
    query = (
        select(webhook_deliveries, V.type, E.url)
        .join(webhook_events, V.id == D.event_id)
        .join(webhook_endpoints, E.id == D.endpoint_id)
        .order_by(D.id.desc())
        .limit(limit)
    )
    return [dict(row) for row in conn.execute(query).mappings()]


def delivery(conn: Connection, endpoint_id: str, delivery_id: int) -> dict[str, Any] | None:
    query = (
        select(webhook_deliveries, V.type)
        .join(webhook_events, V.id == D.event_id)
        .where(D.endpoint_id == endpoint_id, D.id == delivery_id)
    )
    found = conn.execute(query).mappings().first()
    return dict(found) if found else None


def attempts(conn: Connection, delivery_id: int) -> list[dict[str, Any]]:
    query = select(webhook_attempts).where(A.delivery_id == delivery_id).order_by(A.id)
    return [dict(row) for row in conn.execute(query).mappings()]


def event_body(conn: Connection, event_id: str) -> str | None:
    return conn.execute(select(V.body).where(V.id == event_id)).scalar()  # type: ignore[no-any-return]


def retry_now(conn: Connection, delivery_id: int, now: datetime) -> None:
    """One more attempt, due now (a failed delivery gets exactly one more)."""
    conn.execute(
        update(webhook_deliveries)
        .where(D.id == delivery_id)
        .values(status="pending", next_attempt_at=now)
    )


def counts_by_status(conn: Connection) -> dict[str, int]:
    query = select(D.status, func.count()).group_by(D.status)
    return {status: int(count) for status, count in conn.execute(query)}


def oldest_pending_at(conn: Connection) -> datetime | None:
    """When the oldest delivery still pending was made (service time)."""
    query = select(func.min(D.created_at)).where(D.status == "pending")
    return conn.execute(query).scalar()  # type: ignore[no-any-return]
