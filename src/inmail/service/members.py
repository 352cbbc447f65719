"""Members and their 1st-degree connections."""

from __future__ import annotations

import re

from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from inmail.domain.errors import Conflict, NotFound, ValidationFailed
from inmail.service.accounts import lock_member, lock_members
from inmail.service.context import Context
from inmail.service.paging import check_limit, decode_cursor, encode_cursor
from inmail.service.views import MemberView, Page
from inmail.store.tables import connections, members

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
        if lock_members(work, [member_id]):
            raise taken
        try:
            # Two creations of one new id at once both find no row to lock;
            # the second insert then fails on the primary key.
            with work.conn.begin_nested():
                work.conn.execute(
                    insert(members).values(
                        id=member_id,
                        name=name,
                        inmail_opt_out=inmail_opt_out,
                        open_profile=open_profile,
                        created_at=work.now,
                        balance=0,
                    )
                )
        except IntegrityError as exc:
            raise taken from exc
        return MemberView.of(lock_member(work, member_id))


def get_member(ctx: Context, member_id: str) -> MemberView:
    with ctx.unit_of_work(write=False) as work:
        row = work.conn.execute(select(members).where(members.c.id == member_id)).mappings().first()
    if row is None:
        raise NotFound(f"no member {member_id!r}")
    return MemberView.of(row)


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
        lock_member(work, member_id)
        if changes:
            work.conn.execute(update(members).where(members.c.id == member_id).values(**changes))
        return MemberView.of(lock_member(work, member_id))


def _check_pair(ctx_ids: dict[str, object], a: str, b: str) -> None:
    for member_id in (a, b):
        if member_id not in ctx_ids:
            raise NotFound(f"no member {member_id!r}")
    if a == b:
        raise ValidationFailed("a member cannot connect to themselves")


def connect(ctx: Context, a: str, b: str) -> None:
    """Make a and b 1st-degree connections (mutual; connecting twice is fine)."""
    with ctx.unit_of_work() as work:
        _check_pair(lock_members(work, [a, b]), a, b)
        exists = work.conn.execute(
            select(connections.c.member_id).where(
                connections.c.member_id == a, connections.c.other_id == b
            )
        ).first()
        if exists is None:
            work.conn.execute(
                insert(connections),
                [
                    {"member_id": a, "other_id": b, "created_at": work.now},
                    {"member_id": b, "other_id": a, "created_at": work.now},
                ],
            )


def disconnect(ctx: Context, a: str, b: str) -> None:
    with ctx.unit_of_work() as work:
        _check_pair(lock_members(work, [a, b]), a, b)
        work.conn.execute(
            delete(connections).where(
                ((connections.c.member_id == a) & (connections.c.other_id == b))
                | ((connections.c.member_id == b) & (connections.c.other_id == a))
            )
        )


def list_connections(ctx: Context, member_id: str) -> list[str]:
    with ctx.unit_of_work(write=False) as work:
        if work.conn.execute(select(members.c.id).where(members.c.id == member_id)).first() is None:
            raise NotFound(f"no member {member_id!r}")
        return list(
            work.conn.execute(
                select(connections.c.other_id)
                .where(connections.c.member_id == member_id)
                .order_by(connections.c.other_id)
            ).scalars()
        )


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
    query = select(members).order_by(members.c.id)
    if q is not None:
        if not 1 <= len(q) <= QUERY_MAX:
            raise ValidationFailed(f"q must be 1 to {QUERY_MAX} characters")
        q = q.lower()
        name = func.lower(members.c.name)
        query = query.where(
            or_(
                func.lower(members.c.id).startswith(q, autoescape=True),
                name.startswith(q, autoescape=True),
                name.contains(" " + q, autoescape=True),
            )
        )
    if cursor is not None:
        (after,) = decode_cursor(cursor, 1)
        query = query.where(members.c.id > after)
    with ctx.unit_of_work(write=False) as work:
        rows = work.conn.execute(query.limit(limit + 1)).mappings().all()
    items = [MemberView.of(row) for row in rows[:limit]]
    return Page(items, encode_cursor(items[-1].id) if len(rows) > limit else None)
