"""Locking an account and applying its due events ("settle before act").

Before any operation on a member, the events that fell due for their account
(renewals, the cap-forfeit warning, the end of a cancelled subscription and
the expiry of their InMails) are applied in due-time order, each carrying its
due time as ``at``. So no answer depends on when a worker last ran.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping, select, update

from inmail.domain import calendar, credits
from inmail.domain.errors import NotFound
from inmail.domain.messages import Status
from inmail.domain.plans import Plan
from inmail.domain.times import rfc3339
from inmail.service.context import Work
from inmail.store import ledger
from inmail.store.notify import notify
from inmail.store.tables import members, messages, subscriptions

# A bound on one settle: far more renewals than any real replay needs
# (a subscription started 100 years ago has 1,200 renewals and 1,200 warnings).
MAX_EVENTS_PER_SETTLE = 10_000


def lock_members(work: Work, ids: Iterable[str]) -> dict[str, RowMapping]:
    """Lock the member rows in id order (so two writers never deadlock) and
    return those that exist.

    On PostgreSQL the lock is ``FOR NO KEY UPDATE``: writers of one account
    still queue on it, but the foreign-key checks of other transactions
    (``FOR KEY SHARE`` on the member, when they insert a notification or a
    ledger entry for it) do not wait on it. With ``FOR UPDATE`` a reply holding
    the member and waiting on an InMail's row deadlocked with a reminder batch
    holding that row and inserting a notification for the same member."""
    rows = work.conn.execute(
        select(members)
        .where(members.c.id.in_(sorted(set(ids))))
        .order_by(members.c.id)
        .with_for_update(key_share=True)
    ).mappings()
    locked = {row["id"]: row for row in rows}
    work.refresh_now()
    return locked


def lock_member(work: Work, member_id: str) -> RowMapping:
    row = lock_members(work, [member_id]).get(member_id)
    if row is None:
        raise NotFound(f"no member {member_id!r}")
    return row


def settle_member(work: Work, member_id: str) -> RowMapping:
    """Lock an existing member's account and apply its due events: the first
    step of every operation on one account."""
    row = lock_member(work, member_id)
    settle(work, member_id)
    return row


def balance_of(work: Work, member_id: str) -> int:
    return int(
        work.conn.execute(select(members.c.balance).where(members.c.id == member_id)).scalar_one()
    )


def subscription_of(work: Work, member_id: str) -> dict[str, Any] | None:
    row = (
        work.conn.execute(select(subscriptions).where(subscriptions.c.member_id == member_id))
        .mappings()
        .first()
    )
    return dict(row) if row is not None else None


def plan_of(work: Work, sub: dict[str, Any]) -> Plan:
    return work.plans[sub["plan"]]


def settle(work: Work, member_id: str) -> None:
    """Apply every event of this account due at or before ``work.now``.

    The caller holds the member's row lock."""
    sub = subscription_of(work, member_id)
    if sub is not None:
        _settle_subscription(work, sub)
    expire_inmails(work, member_id)


def _settle_subscription(work: Work, sub: dict[str, Any]) -> None:
    before = dict(sub)
    for _ in range(MAX_EVENTS_PER_SETTLE):
        due = [
            (at, event)
            for at, event in (
                (sub["warning_due_at"], "warning"),
                (sub["next_renewal_at"], "renewal"),
            )
            if at is not None and at <= work.now
        ]
        if not due:
            break
        at, event = min(due)
        if event == "warning":
            _warn(work, sub, at)
        elif sub["status"] == "cancelling":
            _end(work, sub, at)
        else:
            _renew(work, sub, at)
    else:
        raise RuntimeError(f"more than {MAX_EVENTS_PER_SETTLE} due events for one account")
    changed = {key: value for key, value in sub.items() if before[key] != value}
    if changed:
        work.conn.execute(
            update(subscriptions)
            .where(subscriptions.c.member_id == sub["member_id"])
            .values(**changed)
        )


def schedule_after(sub: dict[str, Any], renewals_done: int) -> None:
    """Point the subscription at its next anniversary and that renewal's warning."""
    sub["renewals_done"] = renewals_done
    sub["next_renewal_at"] = calendar.renewal_at(sub["started_at"], renewals_done + 1)
    sub["warning_due_at"] = calendar.warning_at(sub["next_renewal_at"])


def _renew(work: Work, sub: dict[str, Any], at: datetime) -> None:
    member_id, plan = sub["member_id"], plan_of(work, sub)
    renewal = credits.renewal(balance_of(work, member_id), plan)
    balance = ledger.post(work.conn, member_id, "grant", renewal.grant, at, note="monthly renewal")
    if renewal.forfeit:
        balance = ledger.post(
            work.conn, member_id, "forfeit", -renewal.forfeit, at, note="over the plan's cap"
        )
    notify(
        work.conn,
        member_id,
        "credits_renewed",
        at,
        data={"granted": renewal.grant, "forfeited": renewal.forfeit, "balance": balance},
    )
    schedule_after(sub, sub["renewals_done"] + 1)


def _end(work: Work, sub: dict[str, Any], at: datetime) -> None:
    member_id = sub["member_id"]
    balance = balance_of(work, member_id)
    if balance:
        ledger.post(work.conn, member_id, "forfeit", -balance, at, note="subscription ended")
    sub.update(status="cancelled", next_renewal_at=None, warning_due_at=None)


def _warn(work: Work, sub: dict[str, Any], at: datetime) -> None:
    sub["warning_due_at"] = None
    if sub["status"] != "active":
        return
    plan = plan_of(work, sub)
    balance = balance_of(work, sub["member_id"])
    forfeit = credits.forfeit_at_next_renewal(balance, plan)
    if forfeit:
        notify(
            work.conn,
            sub["member_id"],
            "cap_forfeit_warning",
            at,
            data={
                "renewal_at": rfc3339(sub["next_renewal_at"]),
                "balance": balance,
                "monthly_credits": plan.monthly_credits,
                "max_balance": plan.max_balance,
                "forfeit": forfeit,
            },
        )


def expire_inmails(work: Work, sender_id: str) -> None:
    """Mark the sender's InMails past their deadline as expired (their credit is
    gone) and tell the sender, at each deadline."""
    expired = work.conn.execute(
        update(messages)
        .where(
            messages.c.sender_id == sender_id,
            messages.c.status == Status.AWAITING,
            messages.c.refund_deadline <= work.now,
        )
        .values(status=Status.EXPIRED)
        .returning(messages.c.id, messages.c.refund_deadline)
    ).all()
    for message_id, deadline in sorted(expired, key=lambda r: (r[1], r[0])):
        notify(work.conn, sender_id, "inmail_expired", deadline, message_id=message_id)
