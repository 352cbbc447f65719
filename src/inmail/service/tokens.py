"""Member tokens: random, shown once, stored only as a SHA-256 hash."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import insert, select

from inmail.domain.errors import NotFound
from inmail.service.context import Context
from inmail.store.tables import members, tokens

TOKEN_BYTES = 32


def hash_token(token: str) -> str:
    # A token has 256 random bits, so a plain hash is as strong as a slow one
    # and keeps every request's lookup cheap.
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(ctx: Context, member_id: str) -> str:
    """A new token that acts as ``member_id``; only its hash is kept."""
    token = "im_" + secrets.token_urlsafe(TOKEN_BYTES)
    with ctx.unit_of_work() as work:
        if work.conn.execute(select(members.c.id).where(members.c.id == member_id)).first() is None:
            raise NotFound(f"no member {member_id!r}")
        work.conn.execute(
            insert(tokens).values(
                token_hash=hash_token(token), member_id=member_id, created_at=work.now
            )
        )
    return token


def member_for_token(ctx: Context, token: str) -> str | None:
    """The member a token acts as, or None. The lookup is by hash, so the
    token itself is never compared byte by byte."""
    with ctx.unit_of_work(write=False) as work:
        return work.conn.execute(
            select(tokens.c.member_id).where(tokens.c.token_hash == hash_token(token))
        ).scalar()
