"""Subscriptions, the credits summary, the ledger and admin adjustments."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select, update

from inmail.domain import calendar, credits
from inmail.domain.errors import Conflict, NotFound, ValidationFailed
from inmail.domain.messages import Status
from inmail.domain.plans import Plan
from inmail.service.accounts import (
    balance_of,
    plan_of,
    schedule_after,
    settle,
    settle_member,
    subscription_of,
)
from inmail.service.context import Context, Work
from inmail.service.paging import check_limit, decode_id_cursor, encode_cursor
from inmail.service.views import CreditsView, LedgerEntryView, Page, SubscriptionView
from inmail.store import ledger
from inmail.store.tables import ledger_entries, messages, subscriptions

NOTE_MAX = 500
# An adjustment moves at most this many credits at once: a typo guard.
ADJUSTMENT_MAX = 1_000_000
# How far back a subscription may start: 100 years of renewals are replayed.
MAX_REPLAY = timedelta(days=36_525)


def _view(work: Work, sub: dict[str, Any]) -> SubscriptionView:
    plan = plan_of(work, sub)
    return SubscriptionView(
        member_id=sub["member_id"],
        plan=plan.code,
        status=sub["status"],
        started_at=sub["started_at"],
        next_renewal_at=sub["next_renewal_at"],
        ends_at=sub["ends_at"],
        monthly_credits=plan.monthly_credits,
        max_balance=plan.max_balance,
    )


def put_subscription(
    ctx: Context, member_id: str, plan_code: str, started_at: datetime | None = None
) -> SubscriptionView:
    """Start a subscription, take back a pending cancel, or change the plan."""
    if plan_code not in ctx.plans:
        raise ValidationFailed(f"unknown plan {plan_code!r}; plans: {', '.join(ctx.plans)}")
    with ctx.unit_of_work() as work:
        settle_member(work, member_id)
        if started_at is not None and started_at > work.now:
            raise ValidationFailed("started_at cannot be in the future")
        if started_at is not None and work.now - started_at > MAX_REPLAY:
            # Replaying more would pass one settle's bound on due events.
            raise ValidationFailed(f"started_at can be at most {MAX_REPLAY.days} days ago")
        sub = subscription_of(work, member_id)
        if sub is None or sub["status"] == "cancelled":
            start = started_at or work.now
            if sub is not None and start < sub["ends_at"]:
                raise ValidationFailed(
                    "started_at cannot be before the previous subscription ended"
                )
            _start(work, member_id, ctx.plans[plan_code], start, sub is None)
        else:
            _change(work, sub, plan_code)
        sub = subscription_of(work, member_id)
        assert sub is not None
        return _view(work, sub)


def _start(work: Work, member_id: str, plan: Plan, started_at: datetime, new: bool) -> None:
    last_entry_at = work.conn.execute(
        select(func.max(ledger_entries.c.at)).where(ledger_entries.c.member_id == member_id)
    ).scalar()
    if last_entry_at is not None and started_at < last_entry_at:
        raise ValidationFailed("started_at cannot be before this member's latest ledger entry")
    sub: dict[str, Any] = {
        "member_id": member_id,
        "plan": plan.code,
        "status": "active",
        "started_at": started_at,
        "ends_at": None,
    }
    schedule_after(sub, 0)
    if new:
        work.conn.execute(insert(subscriptions).values(**sub))
    else:
        work.conn.execute(
            update(subscriptions).where(subscriptions.c.member_id == member_id).values(**sub)
        )
    # The first grant is not trimmed to the cap: it adds to whatever is there.
    ledger.post(work.conn, member_id, "grant", plan.monthly_credits, started_at, note="first grant")
    # A start in the past replays every renewal since.
    settle(work, member_id)


def _change(work: Work, sub: dict[str, Any], plan_code: str) -> None:
    changes: dict[str, Any] = {"plan": plan_code}
    if sub["status"] == "cancelling":
        # Taking the cancel back keeps the anniversary; the next renewal's
        # warning is due again unless its moment has passed.
        warning = calendar.warning_at(sub["next_renewal_at"])
        changes.update(
            status="active", ends_at=None, warning_due_at=warning if warning > work.now else None
        )
    work.conn.execute(
        update(subscriptions).where(subscriptions.c.member_id == sub["member_id"]).values(**changes)
    )


def get_subscription(ctx: Context, member_id: str) -> SubscriptionView:
    with ctx.unit_of_work() as work:
        settle_member(work, member_id)
        sub = subscription_of(work, member_id)
        if sub is None:
            raise NotFound(f"member {member_id!r} has no subscription")
        return _view(work, sub)


def cancel_subscription(ctx: Context, member_id: str) -> SubscriptionView:
    """Cancel at the end of the current period: the balance is forfeited then."""
    with ctx.unit_of_work() as work:
        settle_member(work, member_id)
        sub = subscription_of(work, member_id)
        if sub is None:
            raise NotFound(f"member {member_id!r} has no subscription")
        if sub["status"] == "cancelled":
            raise Conflict("the subscription is already cancelled")
        if sub["status"] == "active":
            work.conn.execute(
                update(subscriptions)
                .where(subscriptions.c.member_id == member_id)
                .values(status="cancelling", ends_at=sub["next_renewal_at"], warning_due_at=None)
            )
        sub = subscription_of(work, member_id)
        assert sub is not None
        return _view(work, sub)


def get_credits(ctx: Context, member_id: str) -> CreditsView:
    with ctx.unit_of_work() as work:
        settle_member(work, member_id)
        balance = balance_of(work, member_id)
        sub = subscription_of(work, member_id)
        live = sub is not None and sub["status"] != "cancelled"
        plan = plan_of(work, sub) if sub is not None and live else None
        if plan is None or sub is None:
            next_credits, forfeit = 0, 0
        elif sub["status"] == "cancelling":
            next_credits, forfeit = 0, balance  # the end forfeits everything
        else:
            next_credits = credits.next_renewal_credits(balance, plan)
            forfeit = credits.forfeit_at_next_renewal(balance, plan)
        sent, responded, awaiting = _inmail_counts(work, member_id)
        return CreditsView(
            member_id=member_id,
            balance=balance,
            plan=plan.code if plan else None,
            monthly_credits=plan.monthly_credits if plan else None,
            max_balance=plan.max_balance if plan else None,
            next_renewal_at=sub["next_renewal_at"] if sub is not None and live else None,
            next_renewal_credits=next_credits,
            forfeit_at_next_renewal=forfeit,
            awaiting_response=awaiting,
            response_rate=responded / sent if sent else None,
            as_of=work.now,
        )


def _inmail_counts(work: Work, member_id: str) -> tuple[int, int, int]:
    """InMails sent, responded (inside their window), and paid ones whose
    credit can still come back."""
    m = messages.c
    row = work.conn.execute(
        select(
            func.count(),
            func.count().filter(m.status == Status.RESPONDED),
            func.count().filter(m.status == Status.AWAITING, m.credit_charged.is_(True)),
        ).where(m.sender_id == member_id, m.kind == "inmail")
    ).one()
    return int(row[0]), int(row[1]), int(row[2])


def list_ledger(
    ctx: Context, member_id: str, *, limit: int | None = None, cursor: str | None = None
) -> Page[LedgerEntryView]:
    """The member's entries, newest first."""
    limit = check_limit(limit)
    before = decode_id_cursor(cursor)
    with ctx.unit_of_work() as work:
        settle_member(work, member_id)
        query = select(ledger_entries).where(ledger_entries.c.member_id == member_id)
        if before is not None:
            query = query.where(ledger_entries.c.id < before)
        rows = (
            work.conn.execute(query.order_by(ledger_entries.c.id.desc()).limit(limit + 1))
            .mappings()
            .all()
        )
    items = [LedgerEntryView.of(r) for r in rows[:limit]]
    next_cursor = encode_cursor(items[-1].id) if len(rows) > limit else None
    return Page(items, next_cursor)


def adjust_credits(ctx: Context, member_id: str, amount: int, reason: str) -> LedgerEntryView:
    """An admin's correction: a new entry, never a balance below zero."""
    if amount == 0 or abs(amount) > ADJUSTMENT_MAX:
        raise ValidationFailed(
            f"amount must be a non-zero whole number of at most {ADJUSTMENT_MAX}"
        )
    reason = reason.strip()
    if not reason or len(reason) > NOTE_MAX:
        raise ValidationFailed(f"reason must be 1 to {NOTE_MAX} characters")
    with ctx.unit_of_work() as work:
        settle_member(work, member_id)
        if ledger.post(work.conn, member_id, "adjustment", amount, work.now, note=reason) is None:
            raise Conflict(
                f"an adjustment of {amount} would take the balance "
                f"({balance_of(work, member_id)}) below 0"
            )
        row = (
            work.conn.execute(
                select(ledger_entries)
                .where(ledger_entries.c.member_id == member_id)
                .order_by(ledger_entries.c.id.desc())
                .limit(1)
            )
            .mappings()
            .one()
        )
        return LedgerEntryView.of(row)
