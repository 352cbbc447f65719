"""Member tokens: random, shown once, stored only as a SHA-256 hash."""

from __future__ import annotations

import hashlib
import secrets

from inmail.domain.errors import NotFound
from inmail.service.context import Context
from inmail.store import tokens as store

TOKEN_BYTES = 32


def hash_token(token: str) -> str:
    # A token has 256 random bits, so a plain hash is as strong as a slow one
    # and keeps every request's lookup cheap.
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(ctx: Context, member_id: str) -> str:
    """A new token that acts as ``member_id``; only its hash is kept."""
    token = "im_" + secrets.token_urlsafe(TOKEN_BYTES)
    with ctx.unit_of_work() as work:
        if not store.member_exists(work.conn, member_id):
            raise NotFound(f"no member {member_id!r}")
        store.add(work.conn, hash_token(token), member_id, work.now)
    return token


def member_for_token(ctx: Context, token: str) -> str | None:
    """The member a token acts as, or None. The lookup is by hash, so the
    token itself is never compared byte by byte."""
    with ctx.unit_of_work(write=False) as work:
        return store.member_of(work.conn, hash_token(token))
