"""Read models for the web pages: the admin's member roster, member names for
display, and the InMails whose credit can still come back.

Each one settles the accounts it shows first, so a page never shows a balance
or a status that a due event has already changed."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from inmail.service.accounts import Account, lock, settle
from inmail.service.context import Context
from inmail.service.paging import check_limit, decode_cursor, encode_cursor
from inmail.service.views import LedgerEntryView, MessageView, Page
from inmail.store import ledger
from inmail.store import members as member_store
from inmail.store import messages as message_store


@dataclass(frozen=True)
class MemberSummary:
    id: str
    name: str
    balance: int
    plan: str | None
    status: str | None
    next_renewal_at: datetime | None
    open_profile: bool
    inmail_opt_out: bool


def _summary(account: Account) -> MemberSummary:
    sub = account.subscription
    return MemberSummary(
        id=account.id,
        name=account.name,
        balance=account.balance,
        plan=sub.plan if sub else None,
        status=sub.status.value if sub else None,
        next_renewal_at=sub.next_renewal_at if sub else None,
        open_profile=account.open_profile,
        inmail_opt_out=account.inmail_opt_out,
    )


def natural_key(member_id: str) -> tuple[tuple[tuple[int, int | str], ...], str]:
    """Digits compare as numbers, so user2 comes before user10 (people read a
    roster that way; plain string order would not). The id itself breaks
    ties (a01 and a1), so every id has its own place for the cursor."""
    parts = tuple(
        (0, int(part)) if part.isdigit() else (1, part)
        for part in re.split(r"(\d+)", member_id)
        if part
    )
    return parts, member_id


def list_members(
    ctx: Context, *, limit: int | None = None, cursor: str | None = None
) -> Page[MemberSummary]:
    """Every member with plan and balance, in natural order of their ids.

    Natural order has no portable SQL form, so the ids (only the ids) are
    sorted here; an operator's roster is read a page at a time by a person."""
    limit = check_limit(limit)
    after = natural_key(decode_cursor(cursor, 1)[0]) if cursor else None
    with ctx.unit_of_work() as work:
        ordered = sorted(member_store.all_ids(work.conn), key=natural_key)
        ids = [i for i in ordered if after is None or natural_key(i) > after][: limit + 1]
        shown = ids[:limit]
        settled = settle(work, list(lock(work, shown).values()))
        items = [_summary(settled[member_id]) for member_id in shown if member_id in settled]
    return Page(items, encode_cursor(shown[-1]) if len(ids) > limit else None)


def member_names(ctx: Context, ids: set[str]) -> dict[str, str]:
    """Display names by member id (an unknown id maps to itself)."""
    with ctx.unit_of_work(write=False) as work:
        found = member_store.names(work.conn, ids)
    return {member_id: found.get(member_id, member_id) for member_id in ids}


def awaiting_inmails(ctx: Context, member_id: str, *, limit: int = 200) -> list[MessageView]:
    """The member's paid InMails whose credit can still come back, soonest
    deadline first (the same set ``awaiting_response`` counts)."""
    with ctx.reading(member_id) as work:
        rows = message_store.awaiting_paid(work.conn, member_id, check_limit(limit))
        return [MessageView.of(r, work.now) for r in rows]


@dataclass(frozen=True)
class HistoryContext:
    """What the history rows of one ledger page need beyond the entries: the
    member each InMail went to, and the InMails that expired in the period
    the page covers (an expiry moves no credit, so it has no entry)."""

    others: dict[int, str]
    expired: list[MessageView]


def history_context(
    ctx: Context,
    member_id: str,
    entries: list[LedgerEntryView],
    *,
    cursor_id: int | None,
    last_page: bool,
) -> HistoryContext:
    """A page covers from its oldest entry (or the beginning, on the last
    page) up to the entry just before it (or now, on the first page), so
    every expiry shows on exactly one page."""
    with ctx.unit_of_work(write=False) as work:
        ids = [e.message_id for e in entries if e.message_id is not None]
        others = message_store.others(work.conn, member_id, ids) if ids else {}
        until = ledger.entry_at(work.conn, member_id, cursor_id) if cursor_id else None
        since = None if last_page or not entries else entries[-1].at
        rows = message_store.expired_paid(work.conn, member_id, since, until, HISTORY_EXPIRED_MAX)
        return HistoryContext(others, [MessageView.of(r, work.now) for r in rows])


# A bound on one page's expiries, like every other list.
HISTORY_EXPIRED_MAX = 200
