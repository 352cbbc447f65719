"""The subscription lifecycle: active, cancelling, cancelled.

Pure functions over an immutable :class:`Subscription`: given it, the balance,
the plan and ``now``, :func:`advance` returns the events that fell due (the
cap-forfeit warning, renewals, the end of a cancelled subscription), in
due-time order, and the subscription after them. The service writes what they
return; nothing here reads a clock or a database.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from inmail.domain import calendar, credits
from inmail.domain.errors import ValidationFailed
from inmail.domain.plans import Plan

# A bound on one advance: far more renewals than any real replay needs
# (a subscription started 100 years ago has 1,200 renewals and 1,200 warnings).
MAX_EVENTS = 10_000


class SubscriptionStatus(enum.StrEnum):
    ACTIVE = "active"
    CANCELLING = "cancelling"  # ends at next_renewal_at; everything works until then
    CANCELLED = "cancelled"

    @property
    def live(self) -> bool:
        """Sending InMails is allowed (a cancel takes effect only at its end)."""
        return self is not SubscriptionStatus.CANCELLED


@dataclass(frozen=True)
class Subscription:
    plan: str
    status: SubscriptionStatus
    started_at: datetime
    renewals_done: int
    # The next renewal, or while cancelling the end; None once cancelled.
    next_renewal_at: datetime | None
    # The cap-forfeit warning of the next renewal; None once decided.
    warning_due_at: datetime | None
    ends_at: datetime | None

    @property
    def due_at(self) -> datetime | None:
        """The earliest moment something falls due for this subscription."""
        times = [t for t in (self.warning_due_at, self.next_renewal_at) if t is not None]
        return min(times) if times else None


@dataclass(frozen=True)
class Renewed:
    """A renewal: a ``grant`` entry, then a ``forfeit`` of what passes the cap."""

    at: datetime
    grant: int
    forfeit: int
    balance_after: int


@dataclass(frozen=True)
class Warned:
    """The renewal at ``renewal_at`` would forfeit ``forfeit`` at today's balance."""

    at: datetime
    renewal_at: datetime
    balance: int
    plan: Plan
    forfeit: int


@dataclass(frozen=True)
class Ended:
    """A cancelled subscription's end: the whole balance is forfeited."""

    at: datetime
    forfeit: int


LifecycleEvent = Renewed | Warned | Ended


def scheduled(sub: Subscription, renewals_done: int) -> Subscription:
    """``sub`` pointed at the renewal after ``renewals_done`` and that renewal's warning."""
    renewal = calendar.renewal_at(sub.started_at, renewals_done + 1)
    # Built directly, not with dataclasses.replace: the worker renews a
    # million accounts in one peak, and replace() costs several times more.
    return Subscription(
        sub.plan,
        sub.status,
        sub.started_at,
        renewals_done,
        renewal,
        calendar.warning_at(renewal),
        sub.ends_at,
    )


def start(plan: Plan, started_at: datetime) -> tuple[Subscription, int]:
    """A new subscription and its first grant (added to whatever the balance
    holds, never trimmed). A start in the past is then advanced to ``now``."""
    sub = Subscription(
        plan=plan.code,
        status=SubscriptionStatus.ACTIVE,
        started_at=started_at,
        renewals_done=0,
        next_renewal_at=None,
        warning_due_at=None,
        ends_at=None,
    )
    return scheduled(sub, 0), plan.monthly_credits


def change_plan(sub: Subscription, plan: Plan, now: datetime) -> Subscription:
    """Another plan from the next renewal on; on a cancelling subscription this
    also takes the cancel back (same anniversary, and the next renewal's
    warning is due again unless its moment has passed)."""
    if sub.status is SubscriptionStatus.CANCELLED:
        raise ValueError("a cancelled subscription starts afresh instead")
    if sub.status is SubscriptionStatus.ACTIVE:
        return replace(sub, plan=plan.code)
    assert sub.next_renewal_at is not None
    warning = calendar.warning_at(sub.next_renewal_at)
    # At exactly the warning's moment it was already decided, silently, while
    # the subscription was cancelling: due events at or before now come first.
    return replace(
        sub,
        plan=plan.code,
        status=SubscriptionStatus.ACTIVE,
        ends_at=None,
        warning_due_at=warning if warning > now else None,
    )


def cancel(sub: Subscription) -> Subscription:
    """Cancel at the next renewal date (cancelling twice changes nothing)."""
    if sub.status is not SubscriptionStatus.ACTIVE:
        return sub
    return replace(
        sub,
        status=SubscriptionStatus.CANCELLING,
        ends_at=sub.next_renewal_at,
        warning_due_at=None,
    )


def due_date_change(sub: Subscription, balance: int, plan: Plan) -> credits.Renewal:
    """What the subscription's next due date does to ``balance``: a renewal
    (the monthly grant, then the trim to the cap), or a cancelling
    subscription's end, which grants nothing and forfeits the whole balance.

    :func:`advance` applies it, and the forecast replays it without building
    events (it runs hundreds of months in a few milliseconds)."""
    if sub.status is SubscriptionStatus.CANCELLING:
        return credits.Renewal(grant=0, forfeit=balance)
    return credits.renewal(balance, plan)


def advance(
    sub: Subscription, balance: int, plans: dict[str, Plan], now: datetime
) -> tuple[Subscription, int, list[LifecycleEvent]]:
    """Apply every lifecycle event due at or before ``now``, in due-time order.

    Returns the subscription and balance after them and the events (a warning
    that would forfeit nothing is decided silently, and is not returned)."""
    events: list[LifecycleEvent] = []
    for _ in range(MAX_EVENTS):
        due_at = sub.due_at
        if due_at is None or due_at > now:
            return sub, balance, events
        plan = plans[sub.plan]
        if sub.warning_due_at == due_at:
            sub = replace(sub, warning_due_at=None)
            forfeit = credits.forfeit_at_next_renewal(balance, plan)
            if sub.status is SubscriptionStatus.ACTIVE and forfeit:
                assert sub.next_renewal_at is not None
                events.append(Warned(due_at, sub.next_renewal_at, balance, plan, forfeit))
        elif sub.status is SubscriptionStatus.CANCELLING:
            events.append(Ended(due_at, due_date_change(sub, balance, plan).forfeit))
            balance = 0
            sub = replace(
                sub, status=SubscriptionStatus.CANCELLED, next_renewal_at=None, warning_due_at=None
            )
        else:
            renewal = due_date_change(sub, balance, plan)
            balance += renewal.net
            events.append(Renewed(due_at, renewal.grant, renewal.forfeit, balance))
            sub = scheduled(sub, sub.renewals_done + 1)
    raise RuntimeError(f"more than {MAX_EVENTS} due events for one subscription")


# How far back a subscription may start: 100 years of renewals are replayed
# (well inside MAX_EVENTS).
MAX_REPLAY = timedelta(days=36_525)


def check_not_future(started_at: datetime, now: datetime) -> None:
    """``started_at`` is refused in the future, even where it is not read (a
    plan change keeps the anniversary)."""
    if started_at > now:
        raise ValidationFailed("started_at cannot be in the future")


def check_start(
    started_at: datetime,
    now: datetime,
    *,
    previous_end: datetime | None,
    last_entry_at: datetime | None,
) -> None:
    """A start is never in the future, nor before the previous subscription's
    end or the member's latest ledger entry (history is never rewritten), nor
    more than MAX_REPLAY ago."""
    check_not_future(started_at, now)
    if now - started_at > MAX_REPLAY:
        raise ValidationFailed(f"started_at can be at most {MAX_REPLAY.days} days ago")
    if previous_end is not None and started_at < previous_end:
        raise ValidationFailed("started_at cannot be before the previous subscription ended")
    if last_entry_at is not None and started_at < last_entry_at:
        raise ValidationFailed("started_at cannot be before this member's latest ledger entry")


@dataclass(frozen=True)
class Outlook:
    """What the next renewal (or the end) will add and trim at this balance."""

    credits: int
    forfeit: int


def outlook(sub: Subscription | None, balance: int, plan: Plan | None) -> Outlook:
    if sub is None or plan is None or sub.status is SubscriptionStatus.CANCELLED:
        return Outlook(0, 0)
    if sub.status is SubscriptionStatus.CANCELLING:
        return Outlook(0, balance)  # the end forfeits everything
    return Outlook(
        credits.next_renewal_credits(balance, plan), credits.forfeit_at_next_renewal(balance, plan)
    )
