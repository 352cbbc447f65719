"""Subscriptions, the credits summary, the ledger and admin adjustments."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from inmail.domain import lifecycle
from inmail.domain.due import earlier
from inmail.domain.errors import Conflict, NotFound, ValidationFailed
from inmail.domain.lifecycle import Subscription, SubscriptionStatus
from inmail.domain.plans import Plan
from inmail.service import outbox
from inmail.service.accounts import Account, settle, subscription_row
from inmail.service.context import Context, Work
from inmail.service.paging import check_limit, decode_id_cursor, encode_cursor
from inmail.service.views import CreditsView, LedgerEntryView, Page, SubscriptionView
from inmail.store import accounts as store
from inmail.store import ledger
from inmail.store import messages as message_store

NOTE_MAX = 500
# An adjustment moves at most this many credits at once: a typo guard.
ADJUSTMENT_MAX = 1_000_000


def _view(member_id: str, sub: Subscription, plans: dict[str, Plan]) -> SubscriptionView:
    plan = plans[sub.plan]
    return SubscriptionView(
        member_id=member_id,
        plan=plan.code,
        status=sub.status.value,
        started_at=sub.started_at,
        next_renewal_at=sub.next_renewal_at,
        ends_at=sub.ends_at,
        monthly_credits=plan.monthly_credits,
        max_balance=plan.max_balance,
    )


def put_subscription(
    ctx: Context, member_id: str, plan_code: str, started_at: datetime | None = None
) -> SubscriptionView:
    """Start a subscription, take back a pending cancel, or change the plan."""
    if plan_code not in ctx.plans:
        raise ValidationFailed(f"unknown plan {plan_code!r}; plans: {', '.join(ctx.plans)}")
    plan = ctx.plans[plan_code]
    with ctx.unit_of_work(accounts=[member_id]) as work:
        account = work.accounts[member_id]
        sub = account.subscription
        if started_at is not None:
            lifecycle.check_not_future(started_at, work.now)
        if sub is None or sub.status is SubscriptionStatus.CANCELLED:
            sub = _start(work, account, plan, started_at or work.now, previous=sub)
        else:
            sub = lifecycle.change_plan(sub, plan, work.now)
            store.write_subscriptions(work.conn, [subscription_row(member_id, sub)])
            store.due_no_later(work.conn, member_id, sub.due_at)
        if sub != account.subscription:
            outbox.subscription_changed(work, member_id, sub, work.now)
        return _view(member_id, sub, work.plans)


def _start(
    work: Work, account: Account, plan: Plan, started_at: datetime, *, previous: Subscription | None
) -> Subscription:
    lifecycle.check_start(
        started_at,
        work.now,
        previous_end=previous.ends_at if previous else None,
        last_entry_at=ledger.last_entry_at(work.conn, account.id),
    )
    sub, first_grant = lifecycle.start(plan, started_at)
    store.write_subscriptions(work.conn, [subscription_row(account.id, sub)], new=previous is None)
    # The first grant is not trimmed to the cap: it adds to whatever is there.
    outbox.post(work, account.id, "grant", first_grant, started_at, note="first grant")
    store.due_no_later(work.conn, account.id, sub.due_at)
    # A start in the past replays every renewal since.
    account = replace(
        account,
        balance=account.balance + first_grant,
        subscription=sub,
        due_at=earlier(account.due_at, sub.due_at),
    )
    settled = settle(work, [account])[account.id]
    assert settled.subscription is not None
    return settled.subscription


def get_subscription(ctx: Context, member_id: str) -> SubscriptionView:
    with ctx.reading(member_id) as work:
        sub = work.accounts[member_id].subscription
        if sub is None:
            raise NotFound(f"member {member_id!r} has no subscription")
        return _view(member_id, sub, work.plans)


def cancel_subscription(ctx: Context, member_id: str) -> SubscriptionView:
    """Cancel at the end of the current period: the balance is forfeited then."""
    with ctx.unit_of_work(accounts=[member_id]) as work:
        sub = work.accounts[member_id].subscription
        if sub is None:
            raise NotFound(f"member {member_id!r} has no subscription")
        if sub.status is SubscriptionStatus.CANCELLED:
            raise Conflict("the subscription is already cancelled")
        cancelled = lifecycle.cancel(sub)
        if cancelled != sub:
            store.write_subscriptions(work.conn, [subscription_row(member_id, cancelled)])
            outbox.subscription_changed(work, member_id, cancelled, work.now)
        return _view(member_id, cancelled, work.plans)


def get_credits(ctx: Context, member_id: str) -> CreditsView:
    with ctx.reading(member_id) as work:
        account = work.accounts[member_id]
        balance, sub = account.balance, account.subscription
        plan = account.plan(work.plans)
        outlook = lifecycle.outlook(sub, balance, plan)
        sent, responded, awaiting = message_store.inmail_counts(work.conn, member_id)
        return CreditsView(
            member_id=member_id,
            balance=balance,
            plan=plan.code if plan else None,
            monthly_credits=plan.monthly_credits if plan else None,
            max_balance=plan.max_balance if plan else None,
            next_renewal_at=sub.next_renewal_at if sub is not None and plan else None,
            next_renewal_credits=outlook.credits,
            forfeit_at_next_renewal=outlook.forfeit,
            awaiting_response=awaiting,
            response_rate=responded / sent if sent else None,
            as_of=work.now,
        )


def list_ledger(
    ctx: Context, member_id: str, *, limit: int | None = None, cursor: str | None = None
) -> Page[LedgerEntryView]:
    """The member's entries, newest first."""
    limit = check_limit(limit)
    before = decode_id_cursor(cursor)
    with ctx.reading(member_id) as work:
        rows = ledger.page(work.conn, member_id, before_id=before, limit=limit + 1)
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
    with ctx.unit_of_work(accounts=[member_id]) as work:
        written = outbox.post(work, member_id, "adjustment", amount, work.now, note=reason)
        if written is None:
            raise Conflict(
                f"an adjustment of {amount} would take the balance "
                f"({work.accounts[member_id].balance}) below 0"
            )
        return LedgerEntryView.of(written)
