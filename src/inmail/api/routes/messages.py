"""Sending, replying, reading and hiding messages; inbox, sent and
notifications."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from inmail.api import cursors
from inmail.api.auth import (
    PartyOrAdmin,
    RecipientOrAdmin,
    SelfOrAdmin,
    SenderOrAdmin,
    SenderOrRecipient,
)
from inmail.api.cursors import IdCursor, TimeIdCursor
from inmail.api.deps import DEFAULT_LIMIT, CtxDep, Limit
from inmail.api.idempotency import Idempotency, run_idempotent
from inmail.api.openapi import post_problems, problems
from inmail.api.schemas import (
    MessageOut,
    MessagePage,
    NotificationOut,
    NotificationPage,
    ReplyIn,
)
from inmail.domain.messages import QuickReply
from inmail.service import messages

router = APIRouter(tags=["messages"])

SEND_403 = (
    "`forbidden` (not this token's member), `recipient-opted-out` or `no-active-subscription`."
)


@router.post(
    "/v1/messages",
    status_code=status.HTTP_201_CREATED,
    response_model=MessageOut,
    responses=post_problems(
        401, 402, 403, 404, 413, 422, s403=SEND_403, s404="`not-found`: no such member."
    ),
)
def send_message(message: SenderOrAdmin, idem: Idempotency, ctx: CtxDep) -> Response:
    """Who: the sender (`from`), admin. An InMail when `to` is not a
    connection and has never written to `from`; it costs 1 credit unless `to`
    has an open profile."""
    return run_idempotent(
        ctx,
        idem,
        lambda: MessageOut.of(
            messages.send_message(ctx, message.sender, message.to, message.body, message.subject)
        ),
        status_code=status.HTTP_201_CREATED,
    )


@router.get("/v1/messages/{id}", responses=problems(401, 403, 404, 422))
def get_message(message_id: PartyOrAdmin, ctx: CtxDep) -> MessageOut:
    """Who: the sender, the recipient, admin. Also after a delete."""
    return MessageOut.of(messages.get_message(ctx, message_id))


@router.post(
    "/v1/messages/{id}/reply",
    status_code=status.HTTP_201_CREATED,
    response_model=MessageOut,
    responses=post_problems(401, 402, 403, 404, 413, 422, s403=SEND_403),
)
def reply_to_message(
    message_id: RecipientOrAdmin, body: ReplyIn, idem: Idempotency, ctx: CtxDep
) -> Response:
    """Who: the recipient of message `id` (the other party), admin. Charged
    like a new message; a response refunds the InMails still in their window.
    A quick reply answers InMails only."""
    quick = QuickReply(body.quick_reply) if body.quick_reply is not None else None
    return run_idempotent(
        ctx,
        idem,
        lambda: MessageOut.of(messages.reply(ctx, message_id, body=body.body, quick_reply=quick)),
        status_code=status.HTTP_201_CREATED,
    )


@router.delete(
    "/v1/messages/{id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=problems(
        401, 403, 404, 422, s403="`forbidden`: not the sender or the recipient (the admin neither)."
    ),
)
def delete_message(act: SenderOrRecipient, ctx: CtxDep) -> Response:
    """Who: the sender, the recipient. Hides the message from the caller's
    own lists; it refunds nothing."""
    messages.delete_message(ctx, act.message_id, act.member_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/v1/members/{id}/inbox", responses=problems(401, 403, 404, 422))
def list_inbox(
    member_id: SelfOrAdmin, ctx: CtxDep, limit: Limit = DEFAULT_LIMIT, cursor: IdCursor = None
) -> MessagePage:
    """Who: self, admin. Newest first."""
    page = messages.inbox(ctx, member_id, limit=limit, cursor=cursors.id_in(cursor))
    return MessagePage(
        messages=[MessageOut.of(m) for m in page.items],
        next_cursor=cursors.id_out(page.next_cursor),
    )


@router.get("/v1/members/{id}/sent", responses=problems(401, 403, 404, 422))
def list_sent(
    member_id: SelfOrAdmin, ctx: CtxDep, limit: Limit = DEFAULT_LIMIT, cursor: IdCursor = None
) -> MessagePage:
    """Who: self, admin. Newest first."""
    page = messages.sent(ctx, member_id, limit=limit, cursor=cursors.id_in(cursor))
    return MessagePage(
        messages=[MessageOut.of(m) for m in page.items],
        next_cursor=cursors.id_out(page.next_cursor),
    )


@router.get("/v1/members/{id}/notifications", responses=problems(401, 403, 404, 422))
def list_notifications(
    member_id: SelfOrAdmin,
    ctx: CtxDep,
    limit: Limit = DEFAULT_LIMIT,
    cursor: TimeIdCursor = None,
) -> NotificationPage:
    """Who: self, admin. Newest first by the time each one is about."""
    page = messages.list_notifications(
        ctx, member_id, limit=limit, cursor=cursors.time_id_in(cursor)
    )
    return NotificationPage(
        notifications=[NotificationOut.of(n) for n in page.items],
        next_cursor=cursors.time_id_out(page.next_cursor),
    )
