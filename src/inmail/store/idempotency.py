"""Stored first answers of idempotent requests, keyed by the caller's token
hash and the client's key."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, select, tuple_, update
from sqlalchemy.exc import IntegrityError

from inmail.store.tables import idempotency_keys

_c = idempotency_keys.c


def _this(scope: str, key: str) -> list[Any]:
    return [_c.token_hash == scope, _c.key == key]


def find(conn: Connection, scope: str, key: str) -> Any:
    return conn.execute(select(idempotency_keys).where(*_this(scope, key))).mappings().first()


def claim(conn: Connection, scope: str, key: str, request_hash: str, now: datetime) -> bool:
    """Take the key for a request (False: another request has it). On
    PostgreSQL a concurrent request with the same key waits here on the
    primary key until the first commits or rolls back."""
    try:
        with conn.begin_nested():
            conn.execute(
                insert(idempotency_keys).values(
                    token_hash=scope,
                    key=key,
                    request_hash=request_hash,
                    status=0,  # replaced by the answer before this commits
                    body="",
                    created_at=now,
                )
            )
    except IntegrityError:
        return False
    return True


def record(conn: Connection, scope: str, key: str, status: int, body: str) -> None:
    conn.execute(
        update(idempotency_keys).where(*_this(scope, key)).values(status=status, body=body)
    )


def prune(conn: Connection, before: datetime, limit: int) -> int:
    """Delete up to ``limit`` keys created before ``before``; returns how many."""
    oldest = (
        select(_c.token_hash, _c.key)
        .where(_c.created_at < before)
        .order_by(_c.created_at)
        .limit(limit)
    )
    keys = conn.execute(oldest).all()
    if keys:
        conn.execute(delete(idempotency_keys).where(tuple_(_c.token_hash, _c.key).in_(keys)))
    return len(keys)
