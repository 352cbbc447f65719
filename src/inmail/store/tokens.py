"""Member tokens, kept only as hashes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, insert, select

from inmail.store.tables import members, tokens


def member_exists(conn: Connection, member_id: str) -> bool:
    return conn.execute(select(members.c.id).where(members.c.id == member_id)).first() is not None


def add(conn: Connection, token_hash: str, member_id: str, now: datetime) -> None:
    conn.execute(insert(tokens).values(token_hash=token_hash, member_id=member_id, created_at=now))


def member_of(conn: Connection, token_hash: str) -> str | None:
    found = conn.execute(select(tokens.c.member_id).where(tokens.c.token_hash == token_hash))
    return found.scalar()  # type: ignore[no-any-return]
