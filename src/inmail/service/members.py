"""Members and their 1st-degree connections."""

from __future__ import annotations

import re

from inmail.domain.errors import Conflict, NotFound, ValidationFailed
from inmail.service.accounts import lock
from inmail.service.context import Context, Work
from inmail.service.paging import check_limit, decode_cursor, encode_cursor
from inmail.service.views import MemberView, Page
from inmail.store import members as store

MEMBER_ID = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")
NAME_MAX = 200


def _check_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > NAME_MAX:
        raise ValidationFailed(f"name must be 1 to {NAME_MAX} characters")
    return name


def create_member(
    ctx: Context,
    member_id: str,
    name: str,
    *,
    inmail_opt_out: bool = False,
    open_profile: bool = False,
) -> MemberView:
    if not MEMBER_ID.fullmatch(member_id):
        raise ValidationFailed(f"id must match {MEMBER_ID.pattern}")
    name = _check_name(name)
    with ctx.unit_of_work() as work:
        taken = Conflict(f"member id {member_id!r} is taken")
        if lock(work, [member_id]):
            raise taken
        added = store.insert_member(
            work.conn,
            member_id,
            name,
            inmail_opt_out=inmail_opt_out,
            open_profile=open_profile,
            now=work.now,
        )
        if not added:
            raise taken
        return _member(work, member_id)


def _member(work: Work, member_id: str) -> MemberView:
    row = store.get(work.conn, member_id)
    if row is None:
        raise NotFound(f"no member {member_id!r}")
    return MemberView.of(row)


def get_member(ctx: Context, member_id: str) -> MemberView:
    with ctx.unit_of_work(write=False) as work:
        return _member(work, member_id)


def update_member(
    ctx: Context,
    member_id: str,
    *,
    name: str | None = None,
    inmail_opt_out: bool | None = None,
    open_profile: bool | None = None,
) -> MemberView:
    changes: dict[str, object] = {}
    if name is not None:
        changes["name"] = _check_name(name)
    if inmail_opt_out is not None:
        changes["inmail_opt_out"] = inmail_opt_out
    if open_profile is not None:
        changes["open_profile"] = open_profile
    with ctx.unit_of_work() as work:
        if not lock(work, [member_id]):
            raise NotFound(f"no member {member_id!r}")
        if changes:
            store.change(work.conn, member_id, changes)
        return _member(work, member_id)


def _check_pair(ctx_ids: dict[str, object], a: str, b: str) -> None:
    for member_id in (a, b):
        if member_id not in ctx_ids:
            raise NotFound(f"no member {member_id!r}")
    if a == b:
        raise ValidationFailed("a member cannot connect to themselves")


def connect(ctx: Context, a: str, b: str) -> None:
    """Make a and b 1st-degree connections (mutual; connecting twice is fine)."""
    with ctx.unit_of_work() as work:
        _check_pair(lock(work, [a, b]), a, b)
        if not store.connected(work.conn, a, b):
            store.connect(work.conn, a, b, work.now)


def disconnect(ctx: Context, a: str, b: str) -> None:
    with ctx.unit_of_work() as work:
        _check_pair(lock(work, [a, b]), a, b)
        store.disconnect(work.conn, a, b)


def list_connections(ctx: Context, member_id: str) -> list[str]:
    with ctx.unit_of_work(write=False) as work:
        _member(work, member_id)
        return store.connections_of(work.conn, member_id)


QUERY_MAX = 64


def directory(
    ctx: Context, *, q: str | None = None, limit: int | None = None, cursor: str | None = None
) -> Page[MemberView]:
    """The member directory, by id, so members can find whom to write to.

    ``q`` matches the start of the id or of any word of the name (words
    split on spaces), case-insensitively. A plain read: it shows no balances,
    so it settles nothing. Case is folded by the database's ``lower()``, which
    on SQLite folds ASCII letters only.
    """
    limit = check_limit(limit)
    if q is not None and not 1 <= len(q) <= QUERY_MAX:
        raise ValidationFailed(f"q must be 1 to {QUERY_MAX} characters")
    after = decode_cursor(cursor, 1)[0] if cursor is not None else None
    with ctx.unit_of_work(write=False) as work:
        rows = store.directory_page(work.conn, q and q.lower(), after, limit + 1)
    items = [MemberView.of(row) for row in rows[:limit]]
    return Page(items, encode_cursor(items[-1].id) if len(rows) > limit else None)
