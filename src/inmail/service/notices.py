"""Notifications as the pages show them: one per thing the member cares
about, and which of them are new since the member last looked.

The API's notification list stays whole (every kind, no read state); this is
the members' view of the same rows."""

from __future__ import annotations

from inmail.domain.notifications import KINDS
from inmail.service.context import Context
from inmail.service.messages import list_notifications
from inmail.service.views import NotificationView, Page
from inmail.store import notify as notify_store

# A response already says how many InMails it refunded (its data names them),
# so the per-InMail credit_refunded notifications would only repeat it: a
# response that refunds two InMails is one notice, "2 credits came back".
FOLDED_INTO_RESPONSE = frozenset({"credit_refunded"})
SHOWN_KINDS = tuple(kind for kind in KINDS if kind not in FOLDED_INTO_RESPONSE)


def notices(
    ctx: Context, member_id: str, *, limit: int | None = None, cursor: str | None = None
) -> Page[NotificationView]:
    """The member's notices, newest first."""
    return list_notifications(ctx, member_id, limit=limit, cursor=cursor, kinds=SHOWN_KINDS)


def seen_through(ctx: Context, member_id: str) -> int:
    """Notices with a higher id than this are unread."""
    with ctx.unit_of_work(write=False) as work:
        return notify_store.seen_through(work.conn, member_id)


def unread_count(ctx: Context, member_id: str) -> int:
    with ctx.unit_of_work(write=False) as work:
        seen = notify_store.seen_through(work.conn, member_id)
        return notify_store.count_after(work.conn, member_id, seen, SHOWN_KINDS)


def latest_id(ctx: Context, member_id: str) -> int:
    """The member's newest notice id: read it before listing, then mark
    through it, so a notice that arrives meanwhile stays unread."""
    with ctx.unit_of_work(write=False) as work:
        return notify_store.latest_id(work.conn, member_id)


def mark_read(ctx: Context, member_id: str, through_id: int) -> None:
    """The member has seen every notice up to ``through_id``."""
    if through_id <= 0:
        return
    with ctx.unit_of_work(accounts=[member_id]) as work:
        notify_store.mark_seen(work.conn, member_id, through_id)
