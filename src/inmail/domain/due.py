"""What falls due for one account, in one place.

An account's due events are its subscription's (the cap-forfeit warning,
renewals, the end of a cancelled subscription), the expiry of the InMails it
sent that still await a response, and the reminders of the InMails it
received. :func:`settle` puts them in due-time order with the state after
them; settle-before-act and the worker both apply what it returns.
:func:`next_due_at` says when the account next needs looking at.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from inmail.domain.lifecycle import LifecycleEvent, Subscription, advance
from inmail.domain.messages import past_deadline
from inmail.domain.plans import Plan


@dataclass(frozen=True)
class Expired:
    """An InMail this account sent got no response in time: its credit is gone."""

    at: datetime
    message_id: int


@dataclass(frozen=True)
class Reminded:
    """An InMail this account received has had no response for 3 days."""

    at: datetime
    message_id: int


Event = LifecycleEvent | Expired | Reminded


@dataclass(frozen=True)
class Settlement:
    subscription: Subscription | None
    balance: int
    # In due-time order (ties keep lifecycle, expiry, reminder order).
    events: list[Event] = field(default_factory=list)


def settle(
    sub: Subscription | None,
    balance: int,
    plans: dict[str, Plan],
    now: datetime,
    *,
    deadlines: Iterable[tuple[datetime, int]] = (),
    reminders: Iterable[tuple[datetime, int]] = (),
) -> Settlement:
    """Everything due at or before ``now`` for an account holding ``balance``.

    ``deadlines`` are (refund deadline, id) of the InMails it sent that still
    await a response; ``reminders`` (reminder time, id) of those it received
    whose reminder has not gone out. Only those due by ``now`` are returned."""
    events: list[Event] = []
    if sub is not None:
        sub, balance, lifecycle = advance(sub, balance, plans, now)
        events.extend(lifecycle)
    events.extend(Expired(at, mid) for at, mid in deadlines if past_deadline(at, now))
    events.extend(Reminded(at, mid) for at, mid in reminders if at <= now)
    events.sort(key=lambda event: event.at)  # stable: ties keep the order above
    return Settlement(sub, balance, events)


def next_due_at(
    sub: Subscription | None,
    earliest_deadline: datetime | None,
    earliest_reminder: datetime | None,
) -> datetime | None:
    """When anything next falls due for the account (None: nothing scheduled)."""
    times = [
        t
        for t in (sub.due_at if sub else None, earliest_deadline, earliest_reminder)
        if t is not None
    ]
    return min(times) if times else None


def earlier(a: datetime | None, b: datetime | None) -> datetime | None:
    """The earlier of two due times, where None means "nothing due"."""
    if a is None:
        return b
    if b is None:
        return a
    return min(a, b)
