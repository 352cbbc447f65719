"""The inbox, one row per conversation, and a conversation's page, its
thread a page at a time with the newest messages last."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from inmail.service import conversations, notices, overview
from inmail.web.deps import MemberId, State
from inmail.web.messages_pages import QUICK_LABELS, QUICK_REPLIES, described
from inmail.web.render import PageRoute, render

router = APIRouter(route_class=PageRoute)

# The newest notices beside the first page of the inbox.
INBOX_NOTIFICATIONS = 5


@router.get("/inbox")
def inbox_page(request: Request, web: State, me: MemberId, cursor: str | None = None) -> Response:
    page = conversations.inbox(web.ctx, me, cursor=cursor)
    notes = []
    if cursor is None:
        notes = described(
            web.ctx, me, notices.notices(web.ctx, me, limit=INBOX_NOTIFICATIONS).items
        )
    return render(
        request,
        "inbox.html",
        rows=page.rows,
        as_of=page.as_of,
        next_cursor=page.next_cursor,
        first_page=cursor is None,
        notifications=notes,
        me=me,
    )


@router.get("/conversations/{other}")
def conversation_page(
    request: Request, web: State, me: MemberId, other: str, cursor: str | None = None
) -> Response:
    page = conversations.thread(web.ctx, me, other, cursor=cursor)
    here = f"/conversations/{other}" + (f"?cursor={cursor}" if cursor else "")
    return render(
        request,
        "conversation.html",
        thread=page.messages,
        earlier_cursor=page.earlier_cursor,
        later_cursor=page.later_cursor,
        newest_page=cursor is None,
        here=here,
        other=other,
        name=overview.member_names(web.ctx, {other})[other],
        me=me,
        quick_replies=QUICK_REPLIES,
        quick_labels=QUICK_LABELS,
    )
