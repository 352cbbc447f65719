"""Member rows, their connections, and the directory."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from inmail.store.tables import connections, members

_c = members.c


def insert_member(
    conn: Connection,
    member_id: str,
    name: str,
    *,
    inmail_opt_out: bool,
    open_profile: bool,
    now: datetime,
) -> bool:
    """Add a member; False when the id is taken (also by a creation racing
    this one: both find no row to lock, the second insert fails on the key)."""
    try:
        with conn.begin_nested():
            conn.execute(
                insert(members).values(
                    id=member_id,
                    name=name,
                    inmail_opt_out=inmail_opt_out,
                    open_profile=open_profile,
                    created_at=now,
                    balance=0,
                )
            )
    except IntegrityError:
        return False
    return True


def get(conn: Connection, member_id: str) -> Any:
    return conn.execute(select(members).where(_c.id == member_id)).mappings().first()


def change(conn: Connection, member_id: str, changes: dict[str, object]) -> None:
    conn.execute(update(members).where(_c.id == member_id).values(**changes))


def connected(conn: Connection, a: str, b: str) -> bool:
    c = connections.c
    found = conn.execute(select(c.member_id).where(c.member_id == a, c.other_id == b))
    return found.first() is not None


def connect(conn: Connection, a: str, b: str, now: datetime) -> None:
    """Both directions, so "is b a connection of a" is one key lookup."""
    conn.execute(
        insert(connections),
        [
            {"member_id": a, "other_id": b, "created_at": now},
            {"member_id": b, "other_id": a, "created_at": now},
        ],
    )


def disconnect(conn: Connection, a: str, b: str) -> None:
    c = connections.c
    conn.execute(
        delete(connections).where(
            ((c.member_id == a) & (c.other_id == b)) | ((c.member_id == b) & (c.other_id == a))
        )
    )


def connections_of(conn: Connection, member_id: str) -> list[str]:
    c = connections.c
    query = select(c.other_id).where(c.member_id == member_id).order_by(c.other_id)
    return list(conn.execute(query).scalars())


def directory_page(conn: Connection, q: str | None, after: str | None, limit: int) -> list[Any]:
    """Members by id after ``after``; ``q`` (lower case) matches the start of
    the id or of any word of the name (words split on spaces). Case is folded
    by the database's ``lower()``, which on SQLite folds ASCII letters only."""
    query = select(members).order_by(_c.id)
    if q is not None:
        name = func.lower(_c.name)
        query = query.where(
            or_(
                func.lower(_c.id).startswith(q, autoescape=True),
                name.startswith(q, autoescape=True),
                name.contains(" " + q, autoescape=True),
            )
        )
    if after is not None:
        query = query.where(_c.id > after)
    return list(conn.execute(query.limit(limit)).mappings())


def all_ids(conn: Connection) -> list[str]:
    return list(conn.execute(select(_c.id)).scalars())


def names(conn: Connection, ids: set[str]) -> dict[str, str]:
    rows = conn.execute(select(_c.id, _c.name).where(_c.id.in_(ids))).all()
    return {member_id: name for member_id, name in rows}
