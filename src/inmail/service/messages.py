"""Sending, replying, responding (and the refunds it brings), deleting, and
the inbox, sent and notification lists."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from inmail.domain.errors import InmailError, NotFound, ValidationFailed
from inmail.domain.messages import (
    Charge,
    QuickReply,
    Status,
    answer,
    charge_for,
    check_inmail_allowed,
    check_text,
    refund_deadline,
    reminder_at,
)
from inmail.service import outbox
from inmail.service.accounts import open_accounts
from inmail.service.context import Context, Work
from inmail.service.paging import check_limit, decode_cursor, decode_id_cursor, encode_cursor
from inmail.service.views import MessageView, NotificationView, Page
from inmail.store import accounts as account_store
from inmail.store import messages as message_store
from inmail.store import notify as notify_store


def send_message(
    ctx: Context, sender: str, recipient: str, body: str, subject: str | None = None
) -> MessageView:
    """A new message; an InMail when the recipient is outside the sender's network."""
    check_text(subject, body)
    if sender == recipient:
        raise ValidationFailed("a member cannot message themselves")
    with ctx.unit_of_work(accounts=[sender, recipient]) as work:
        return _send(work, sender, recipient, body, subject)


def reply(
    ctx: Context,
    message_id: int,
    *,
    body: str | None = None,
    quick_reply: QuickReply | None = None,
) -> MessageView:
    """The recipient of ``message_id`` answers its sender, in the same
    conversation and charged by the same rules as a new message."""
    if (body is None) == (quick_reply is None):
        raise ValidationFailed("give either a body or a quick_reply")
    text = quick_reply.text if quick_reply is not None else body
    assert text is not None
    check_text(None, text)
    with ctx.unit_of_work() as work:
        original = _message_row(work, message_id)
        if quick_reply is not None and original["kind"] != "inmail":
            raise ValidationFailed("quick replies answer InMails only")
        sender, recipient = original["recipient_id"], original["sender_id"]
        open_accounts(work, [sender, recipient])
        return _send(
            work, sender, recipient, text, None, in_reply_to=message_id, quick_reply=quick_reply
        )


def _send(
    work: Work,
    sender: str,
    recipient: str,
    body: str,
    subject: str | None,
    *,
    in_reply_to: int | None = None,
    quick_reply: QuickReply | None = None,
) -> MessageView:
    price = _price(work, sender, recipient)
    if price.refusal is not None:
        raise price.refusal
    charge, now = price.charge, work.now
    message: dict[str, Any] = {
        "sender_id": sender,
        "recipient_id": recipient,
        "subject": subject,
        "body": body,
        "kind": "inmail" if charge.is_inmail else "message",
        "charge": charge.value,
        "quick_reply": quick_reply.value if quick_reply else None,
        "in_reply_to": in_reply_to,
        "sent_at": now,
        "credit_charged": charge.credits > 0,
        "status": Status.AWAITING if charge.is_inmail else Status.DELIVERED,
        "refund_deadline": refund_deadline(now, charge),
        "reminder_at": reminder_at(now, charge),
        "responded_at": None,
        "refunded": False,
        "hidden_for_sender": False,
        "hidden_for_recipient": False,
    }
    message["reminder_due_at"] = message["reminder_at"]
    message["id"] = message_store.insert(work.conn, message)
    if charge.credits:
        # The balance was checked under the account lock; the conditional
        # write guards it once more. The deadline is now due for the sender.
        spent = outbox.post(
            work,
            sender,
            "spend",
            -charge.credits,
            now,
            message_id=message["id"],
            due_at=message["refund_deadline"],
        )
        if spent is None:
            raise AssertionError("balance changed under the account lock")
    if charge.is_inmail:
        outbox.notify(work, recipient, "inmail_received", now, message_id=message["id"])
        account_store.due_no_later(work.conn, recipient, message["reminder_due_at"])
    if price.recipient_wrote_before:  # only then can this answer their InMails
        _respond(work, responder=sender, inmail_sender=recipient, reply_id=message["id"])
    return MessageView.of(message, now)


@dataclass(frozen=True)
class Quote:
    """What sending a message would cost right now, and why (``charge``), and
    the refusal sending would meet (None when it would go through)."""

    charge: Charge
    refusal: InmailError | None
    balance: int


def quote_message(ctx: Context, sender: str, recipient: str) -> Quote:
    """The price of a message before it is written: the same rule and checks as
    :func:`send_message`, after settling both accounts, without sending."""
    if sender == recipient:
        raise ValidationFailed("a member cannot message themselves")
    with ctx.unit_of_work(accounts=[sender, recipient]) as work:
        price = _price(work, sender, recipient)
        return Quote(price.charge, price.refusal, work.accounts[sender].balance)


@dataclass(frozen=True)
class _Price:
    charge: Charge
    refusal: InmailError | None  # returned, not raised, so a quote can show it
    recipient_wrote_before: bool


def _price(work: Work, sender: str, recipient: str) -> _Price:
    """The charge and the first failing check of the contract's order, for the
    two accounts the unit of work opened (and so settled)."""
    payer, payee = work.accounts[sender], work.accounts[recipient]
    connected, wrote_before = message_store.pair(work.conn, sender, recipient)
    charge = charge_for(
        connected=connected, recipient_wrote_before=wrote_before, open_profile=payee.open_profile
    )
    try:
        check_inmail_allowed(
            charge,
            recipient_opted_out=payee.inmail_opt_out,
            subscribed=payer.subscribed,
            balance=payer.balance,
        )
    except InmailError as refusal:
        return _Price(charge, refusal, wrote_before)
    return _Price(charge, None, wrote_before)


def _respond(work: Work, *, responder: str, inmail_sender: str, reply_id: int) -> None:
    """``responder`` wrote to ``inmail_sender``: that answers every InMail
    ``inmail_sender`` sent them that has no response yet. Each one still inside
    its window gives its credit back, exactly once (the update is conditional
    on the row still being unanswered)."""
    pending = message_store.unanswered(work.conn, inmail_sender, responder)
    if not pending:
        return
    answers = [
        (row["id"], answer(row["status"], row["refund_deadline"], work.now)) for row in pending
    ]
    claimed = message_store.mark_answered(
        work.conn,
        [
            {"id": mid, "at": work.now, "status": a.status.value, "refunded": a.refund}
            for mid, a in answers
        ],
    )
    if claimed != len(answers):  # both accounts are locked: nobody else answers them
        raise AssertionError(f"answered {claimed} of {len(answers)} InMails")
    refunded = [mid for mid, a in answers if a.refund]
    for mid in refunded:
        outbox.post(work, inmail_sender, "refund", 1, work.now, message_id=mid)
        outbox.notify(work, inmail_sender, "credit_refunded", work.now, message_id=mid)
    outbox.notify(
        work,
        inmail_sender,
        "response_received",
        work.now,
        message_id=reply_id,
        data={
            "from": responder,
            "inmail_ids": [mid for mid, _ in answers],
            "refunded_ids": refunded,
        },
    )


def _message_row(work: Work, message_id: int) -> dict[str, Any]:
    row = message_store.get(work.conn, message_id)
    if row is None:
        raise NotFound(f"no message {message_id}")
    return row


def get_message(ctx: Context, message_id: int) -> MessageView:
    with ctx.unit_of_work(write=False) as work:
        return MessageView.of(_message_row(work, message_id), work.now)


def message_parties(ctx: Context, message_id: int) -> tuple[str, str]:
    """(sender, recipient) of a message, for deciding who may see it."""
    with ctx.unit_of_work(write=False) as work:
        row = _message_row(work, message_id)
    return row["sender_id"], row["recipient_id"]


def delete_message(ctx: Context, message_id: int, member_id: str) -> None:
    """Hide the message from ``member_id``'s lists only. It refunds nothing and
    changes no refund."""
    with ctx.unit_of_work() as work:
        row = _message_row(work, message_id)
        if member_id not in (row["sender_id"], row["recipient_id"]):
            raise NotFound(f"no message {message_id}")
        message_store.hide(work.conn, message_id, for_sender=member_id == row["sender_id"])


def _list(
    ctx: Context, member_id: str, *, box: str, limit: int | None, cursor: str | None
) -> Page[MessageView]:
    limit = check_limit(limit)
    before = decode_id_cursor(cursor)
    with ctx.reading(member_id) as work:
        rows = message_store.box_page(
            work.conn, member_id, inbox=box == "inbox", before_id=before, limit=limit + 1
        )
        items = [MessageView.of(r, work.now) for r in rows[:limit]]
    return Page(items, encode_cursor(items[-1].id) if len(rows) > limit else None)


def inbox(
    ctx: Context, member_id: str, *, limit: int | None = None, cursor: str | None = None
) -> Page[MessageView]:
    return _list(ctx, member_id, box="inbox", limit=limit, cursor=cursor)


def sent(
    ctx: Context, member_id: str, *, limit: int | None = None, cursor: str | None = None
) -> Page[MessageView]:
    return _list(ctx, member_id, box="sent", limit=limit, cursor=cursor)


def list_notifications(
    ctx: Context,
    member_id: str,
    *,
    limit: int | None = None,
    cursor: str | None = None,
    kinds: Sequence[str] | None = None,
) -> Page[NotificationView]:
    """Newest first by the time each one is about (a due event's own time);
    only those of ``kinds`` when given."""
    limit = check_limit(limit)
    before = None
    if cursor is not None:
        at_text, id_text = decode_cursor(cursor, 2)
        try:
            before = datetime.fromisoformat(at_text), int(id_text)
        except ValueError as exc:
            raise ValidationFailed("cursor is not valid") from exc
    with ctx.reading(member_id) as work:
        rows = notify_store.page(work.conn, member_id, before=before, limit=limit + 1, kinds=kinds)
    items = [NotificationView.of(r) for r in rows[:limit]]
    last = items[-1] if len(rows) > limit else None
    return Page(items, encode_cursor(last.at.isoformat(), last.id) if last else None)
