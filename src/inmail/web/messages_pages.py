"""Sent, grouped by conversation; replies, quick replies, deleting;
notifications. The inbox and a conversation's page are in
conversations_pages."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from inmail.domain.errors import InmailError, ValidationFailed
from inmail.domain.messages import QuickReply
from inmail.service import messages, notices, overview
from inmail.service.context import Context
from inmail.service.views import MessageView, NotificationView
from inmail.web import text
from inmail.web.deps import MemberId, NotAllowed, State
from inmail.web.render import PageRoute, flash, render, see_other

router = APIRouter(route_class=PageRoute)

QUICK_REPLIES = [
    (QuickReply.INTERESTED, "Interested"),
    (QuickReply.MAYBE_LATER, "Maybe later"),
    (QuickReply.NOT_INTERESTED, "Not interested"),
]
QUICK_LABELS = {q.value: label for q, label in QUICK_REPLIES}


@dataclass
class Conversation:
    other: str
    name: str
    messages: list[MessageView] = field(default_factory=list)


def group(items: list[MessageView], me: str, names: dict[str, str]) -> list[Conversation]:
    """Conversations by the other member, the most recent first; each one's
    messages in the order they were written."""
    by_other: dict[str, Conversation] = {}
    for m in items:  # newest first
        other = m.sender if m.recipient == me else m.recipient
        conv = by_other.setdefault(other, Conversation(other, names.get(other, other)))
        conv.messages.insert(0, m)
    return list(by_other.values())


@router.get("/sent")
def sent_page(request: Request, web: State, me: MemberId, cursor: str | None = None) -> Response:
    page = messages.sent(web.ctx, me, limit=50, cursor=cursor)
    names = overview.member_names(web.ctx, {m.recipient for m in page.items})
    return render(
        request,
        "messages.html",
        conversations=group(page.items, me, names),
        next_cursor=page.next_cursor,
        first_page=cursor is None,
        quick_replies=QUICK_REPLIES,
        quick_labels=QUICK_LABELS,
        me=me,
    )


@dataclass
class Notice:
    view: NotificationView
    line: str
    other: str | None  # the other member of its conversation, to link to
    unread: bool = False


def described(
    ctx: Context, me: str, items: list[NotificationView], seen_through: int | None = None
) -> list[Notice]:
    """Each notification in words, with its conversation; unread when its id
    is above ``seen_through`` (None: no read state shown)."""
    partners: dict[int, str] = {}
    for n in items:
        if n.message_id is not None and n.message_id not in partners:
            m = messages.get_message(ctx, n.message_id)
            partners[n.message_id] = m.sender if m.recipient == me else m.recipient
    ids = set(partners.values()) | {str(n.data.get("from")) for n in items if n.data.get("from")}
    names = overview.member_names(ctx, ids)
    return [
        Notice(
            n,
            text.notification_text(n, names, partners.get(n.message_id or -1)),
            partners.get(n.message_id or -1),
            seen_through is not None and n.id > seen_through,
        )
        for n in items
    ]


@router.get("/notifications")
def notifications_page(
    request: Request, web: State, me: MemberId, cursor: str | None = None
) -> Response:
    # Read before marking, so the page shows what was new; mark through the
    # newest id read before the list, so one arriving meanwhile stays unread.
    seen = notices.seen_through(web.ctx, me)
    latest = notices.latest_id(web.ctx, me)
    page = notices.notices(web.ctx, me, limit=50, cursor=cursor)
    described_notes = described(web.ctx, me, page.items, seen)
    notices.mark_read(web.ctx, me, latest)
    return render(
        request,
        "notifications.html",
        notifications=described_notes,
        next_cursor=page.next_cursor,
        first_page=cursor is None,
    )


@router.post("/messages/{message_id}/reply")
def reply(
    request: Request,
    web: State,
    me: MemberId,
    message_id: int,
    body: Annotated[str, Form()] = "",
    quick_reply: Annotated[str, Form()] = "",
) -> Response:
    sender, recipient = messages.message_parties(web.ctx, message_id)
    if recipient != me:
        raise NotAllowed("Only the member a message was sent to can answer it.")
    name = overview.member_names(web.ctx, {sender})[sender]
    if quick_reply:
        try:
            choice = QuickReply(quick_reply)
        except ValueError as exc:
            raise ValidationFailed("that quick reply does not exist") from exc
        messages.reply(web.ctx, message_id, quick_reply=choice)
        flash(request, f"You answered {name}: {QUICK_LABELS[choice.value]}.")
    else:
        try:
            messages.reply(web.ctx, message_id, body=body.strip())
        except InmailError as exc:
            flash(request, f"Your reply was not sent: {text.friendly(exc)}", "error")
            return see_other(f"/conversations/{sender}")
        flash(request, f"Reply sent to {name}.")
    # The conversation's newest page, where the answer now is the last message.
    return see_other(f"/conversations/{sender}")


@router.post("/messages/{message_id}/delete")
def delete(
    request: Request,
    web: State,
    me: MemberId,
    message_id: int,
    back: Annotated[str, Form()] = "/inbox",
) -> Response:
    messages.delete_message(web.ctx, message_id, me)
    flash(request, "Message deleted from your list. Deleting never changes a refund.")
    # Back to the page it was deleted from (a conversation's page keeps its
    # cursor), and never off this site.
    ok = back in ("/inbox", "/sent") or (
        back.startswith("/conversations/")
        and "/" not in back[len("/conversations/") :]
        and "\\" not in back
    )
    return see_other(back if ok else "/inbox")
