"""Sending, replying, responding (and the refunds it brings), deleting, and
the inbox, sent and notification lists."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import RowMapping, insert, select, update

from inmail.domain.errors import InmailError, NotFound, ValidationFailed
from inmail.domain.messages import (
    Charge,
    QuickReply,
    Status,
    charge_for,
    check_inmail_allowed,
    check_text,
    refund_deadline,
    refunds,
    reminder_at,
)
from inmail.service.accounts import (
    balance_of,
    lock_members,
    settle,
    settle_member,
    subscription_of,
)
from inmail.service.context import Context, Work
from inmail.service.paging import check_limit, decode_cursor, decode_id_cursor, encode_cursor
from inmail.service.views import MessageView, NotificationView, Page
from inmail.store import ledger
from inmail.store.notify import notify
from inmail.store.tables import connections, messages, notifications


def send_message(
    ctx: Context, sender: str, recipient: str, body: str, subject: str | None = None
) -> MessageView:
    """A new message; an InMail when the recipient is outside the sender's network."""
    check_text(subject, body)
    if sender == recipient:
        raise ValidationFailed("a member cannot message themselves")
    with ctx.unit_of_work() as work:
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
        return _send(
            work,
            original["recipient_id"],
            original["sender_id"],
            text,
            None,
            in_reply_to=message_id,
            quick_reply=quick_reply,
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
    charge, refusal = _price(work, sender, recipient)
    if refusal is not None:
        raise refusal
    message_id = _insert_message(
        work, sender, recipient, body, subject, charge, in_reply_to, quick_reply
    )
    # The balance was checked above under the account lock; the conditional
    # write guards it once more.
    spent = charge is Charge.INMAIL and ledger.post(
        work.conn, sender, "spend", -1, work.now, message_id=message_id
    )
    if spent is None:
        raise AssertionError("balance changed under the account lock")
    if charge.is_inmail:
        notify(work.conn, recipient, "inmail_received", work.now, message_id=message_id)
    _respond(work, responder=sender, inmail_sender=recipient, reply_id=message_id)
    return MessageView.of(_message_row(work, message_id), work.now)


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
    with ctx.unit_of_work() as work:
        charge, refusal = _price(work, sender, recipient)
        return Quote(charge, refusal, balance_of(work, sender))


def _price(work: Work, sender: str, recipient: str) -> tuple[Charge, InmailError | None]:
    """Lock and settle both accounts, then the charge and the first failing
    check of the contract's order (returned, not raised, so a quote can show it)."""
    accounts = lock_members(work, [sender, recipient])
    for member_id in (sender, recipient):
        if member_id not in accounts:
            raise NotFound(f"no member {member_id!r}")
    settle(work, sender)
    settle(work, recipient)
    charge = charge_for(
        connected=_connected(work, sender, recipient),
        recipient_wrote_before=_has_written(work, recipient, sender),
        open_profile=accounts[recipient]["open_profile"],
    )
    sub = subscription_of(work, sender)
    try:
        check_inmail_allowed(
            charge,
            recipient_opted_out=accounts[recipient]["inmail_opt_out"],
            subscribed=sub is not None and sub["status"] in ("active", "cancelling"),
            balance=balance_of(work, sender),
        )
    except InmailError as refusal:
        return charge, refusal
    return charge, None


def _insert_message(
    work: Work,
    sender: str,
    recipient: str,
    body: str,
    subject: str | None,
    charge: Charge,
    in_reply_to: int | None,
    quick_reply: QuickReply | None,
) -> int:
    reminder = reminder_at(work.now, charge)
    return int(
        work.conn.execute(
            insert(messages)
            .values(
                sender_id=sender,
                recipient_id=recipient,
                subject=subject,
                body=body,
                kind="inmail" if charge.is_inmail else "message",
                charge=charge.value,
                quick_reply=quick_reply.value if quick_reply else None,
                in_reply_to=in_reply_to,
                sent_at=work.now,
                credit_charged=charge.credits > 0,
                status=Status.AWAITING if charge.is_inmail else Status.DELIVERED,
                refund_deadline=refund_deadline(work.now, charge),
                reminder_at=reminder,
                reminder_due_at=reminder,
                responded_at=None,
                refunded=False,
                hidden_for_sender=False,
                hidden_for_recipient=False,
            )
            .returning(messages.c.id)
        ).scalar_one()
    )


def _respond(work: Work, *, responder: str, inmail_sender: str, reply_id: int) -> None:
    """``responder`` wrote to ``inmail_sender``: that answers every InMail
    ``inmail_sender`` sent them that has no response yet. Each one still inside
    its window gives its credit back, exactly once (the update is conditional
    on the row still being unanswered)."""
    m = messages.c
    pending = (
        work.conn.execute(
            select(m.id, m.status, m.credit_charged, m.refund_deadline)
            .where(
                m.sender_id == inmail_sender,
                m.recipient_id == responder,
                m.kind == "inmail",
                m.responded_at.is_(None),
            )
            .order_by(m.id)
        )
        .mappings()
        .all()
    )
    answered, refunded = [], []
    for row in pending:
        in_window = row["status"] == Status.AWAITING and (
            row["refund_deadline"] is None or work.now < row["refund_deadline"]
        )
        refund = row["credit_charged"] and refunds(work.now, row["refund_deadline"]) and in_window
        claimed = work.conn.execute(
            update(messages)
            .where(m.id == row["id"], m.responded_at.is_(None))
            .values(
                responded_at=work.now,
                reminder_due_at=None,
                status=Status.RESPONDED if in_window else Status.EXPIRED,
                refunded=refund,
            )
        ).rowcount
        if claimed != 1:
            continue
        answered.append(row["id"])
        if refund:
            ledger.post(work.conn, inmail_sender, "refund", 1, work.now, message_id=row["id"])
            notify(work.conn, inmail_sender, "credit_refunded", work.now, message_id=row["id"])
            refunded.append(row["id"])
    if answered:
        notify(
            work.conn,
            inmail_sender,
            "response_received",
            work.now,
            message_id=reply_id,
            data={"from": responder, "inmail_ids": answered, "refunded_ids": refunded},
        )


def _connected(work: Work, a: str, b: str) -> bool:
    return (
        work.conn.execute(
            select(connections.c.member_id).where(
                connections.c.member_id == a, connections.c.other_id == b
            )
        ).first()
        is not None
    )


def _has_written(work: Work, author: str, to: str) -> bool:
    return (
        work.conn.execute(
            select(messages.c.id)
            .where(messages.c.sender_id == author, messages.c.recipient_id == to)
            .limit(1)
        ).first()
        is not None
    )


def _message_row(work: Work, message_id: int) -> RowMapping:
    row = work.conn.execute(select(messages).where(messages.c.id == message_id)).mappings().first()
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
        if member_id == row["sender_id"]:
            hide = {"hidden_for_sender": True}
        elif member_id == row["recipient_id"]:
            hide = {"hidden_for_recipient": True}
        else:
            raise NotFound(f"no message {message_id}")
        work.conn.execute(update(messages).where(messages.c.id == message_id).values(**hide))


def _list(
    ctx: Context, member_id: str, *, box: str, limit: int | None, cursor: str | None
) -> Page[MessageView]:
    limit = check_limit(limit)
    before = decode_id_cursor(cursor)
    owner, hidden = (
        (messages.c.recipient_id, messages.c.hidden_for_recipient)
        if box == "inbox"
        else (messages.c.sender_id, messages.c.hidden_for_sender)
    )
    with ctx.unit_of_work() as work:
        settle_member(work, member_id)
        query = select(messages).where(owner == member_id, hidden.is_(False))
        if before is not None:
            query = query.where(messages.c.id < before)
        rows = (
            work.conn.execute(query.order_by(messages.c.id.desc()).limit(limit + 1))
            .mappings()
            .all()
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
    ctx: Context, member_id: str, *, limit: int | None = None, cursor: str | None = None
) -> Page[NotificationView]:
    """Newest first by the time each one is about (a due event's own time)."""
    limit = check_limit(limit)
    n = notifications.c
    with ctx.unit_of_work() as work:
        settle_member(work, member_id)
        query = select(notifications).where(n.member_id == member_id)
        if cursor is not None:
            at_text, id_text = decode_cursor(cursor, 2)
            try:
                at, before_id = datetime.fromisoformat(at_text), int(id_text)
            except ValueError as exc:
                raise ValidationFailed("cursor is not valid") from exc
            query = query.where((n.at < at) | ((n.at == at) & (n.id < before_id)))
        rows = (
            work.conn.execute(query.order_by(n.at.desc(), n.id.desc()).limit(limit + 1))
            .mappings()
            .all()
        )
    items = [NotificationView.of(r) for r in rows[:limit]]
    last = items[-1] if len(rows) > limit else None
    return Page(items, encode_cursor(last.at.isoformat(), last.id) if last else None)
