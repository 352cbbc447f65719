"""The due-event step the worker and the manual clock run: ``run_due``.

Accounts with due events are settled in bounded batches (claimed with
``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so any number of workers share the
work); reminders, which only the worker sends, go in batches of their own.
Every step is idempotent: running it twice changes nothing.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, union, update

from inmail.clock import ManualClock
from inmail.domain.errors import ClockNotManual, ValidationFailed
from inmail.domain.messages import Status
from inmail.service.accounts import settle
from inmail.service.context import Context
from inmail.store.notify import notify
from inmail.store.tables import members, messages, subscriptions

BATCH = 200
# The most one clock move may jump: 100 years is 1,200 renewals and warnings
# per account, well inside one settle's bound (accounts.MAX_EVENTS_PER_SETTLE).
MAX_MOVE = timedelta(days=36_525)
# A bound on one run: 100,000 batches is 20 million accounts or reminders.
MAX_BATCHES = 100_000


@dataclass
class DueResult:
    accounts: int = 0
    reminders: int = 0

    @property
    def total(self) -> int:
        return self.accounts + self.reminders


def run_due(ctx: Context, *, batch: int = BATCH, stop: object = None) -> DueResult:
    """Process everything due at the clock's current time; return how much.

    ``stop`` (anything with ``is_set()``) ends the run between batches."""
    result = DueResult()
    for _ in range(MAX_BATCHES):
        if stop is not None and stop.is_set():  # type: ignore[attr-defined]
            break
        accounts = _settle_batch(ctx, batch)
        reminders = _remind_batch(ctx, batch)
        result.accounts += accounts
        result.reminders += reminders
        if accounts < batch and reminders < batch:
            break
    return result


def _settle_batch(ctx: Context, batch: int) -> int:
    with ctx.unit_of_work() as work:
        due = union(
            select(subscriptions.c.member_id.label("id")).where(
                subscriptions.c.next_renewal_at <= work.now
            ),
            select(subscriptions.c.member_id).where(subscriptions.c.warning_due_at <= work.now),
            select(messages.c.sender_id).where(
                messages.c.status == Status.AWAITING, messages.c.refund_deadline <= work.now
            ),
        ).subquery()
        claimed = (
            work.conn.execute(
                select(members.c.id)
                .where(members.c.id.in_(select(due.c.id)))
                .order_by(members.c.id)
                .limit(batch)
                # NO KEY UPDATE, as accounts.lock_members takes it.
                .with_for_update(skip_locked=True, key_share=True)
            )
            .scalars()
            .all()
        )
        for member_id in claimed:
            settle(work, member_id)
        return len(claimed)


def _remind_batch(ctx: Context, batch: int) -> int:
    """Send the reminders that are due. Kept apart from settling so a
    reminder's row locks are never held while waiting on an account."""
    with ctx.unit_of_work() as work:
        rows = work.conn.execute(
            select(messages.c.id, messages.c.recipient_id, messages.c.reminder_due_at)
            .where(messages.c.reminder_due_at <= work.now)
            .order_by(messages.c.reminder_due_at, messages.c.id)
            .limit(batch)
            .with_for_update(skip_locked=True)
        ).all()
        for message_id, recipient_id, due_at in rows:
            sent = work.conn.execute(
                update(messages)
                .where(messages.c.id == message_id, messages.c.reminder_due_at.is_not(None))
                .values(reminder_due_at=None)
            ).rowcount
            if sent == 1:
                notify(work.conn, recipient_id, "inmail_reminder", due_at, message_id=message_id)
        return len(rows)


def clock_now(ctx: Context) -> datetime:
    with ctx.unit_of_work(write=isinstance(ctx.clock, ManualClock)) as work:
        return work.now


def move_clock(
    ctx: Context,
    to: datetime | None = None,
    *,
    advance: timedelta | None = None,
    process: bool = True,
) -> datetime:
    """Move the manual clock forward, to ``to`` or by ``advance``, and (unless
    told not to, as the lag tests do) process everything due up to the new time
    before returning. The move reads and writes the clock under its row lock."""
    clock = ctx.clock
    if not isinstance(clock, ManualClock):
        raise ClockNotManual()
    with ctx.unit_of_work() as work:
        current = clock.locked_now(work.conn)
        try:
            target = to if to is not None else current + (advance or timedelta(0))
        except OverflowError as exc:  # past year 9999
            raise ValidationFailed("the clock cannot go past the year 9999") from exc
        if target < current:
            raise ValidationFailed("time never goes back")
        if target - current > MAX_MOVE:
            # One settle handles a bounded number of events per account.
            raise ValidationFailed(f"the clock moves at most {MAX_MOVE.days} days at once")
        clock.set(work.conn, target)
    if process:
        run_until_done(ctx)
    return target


# How long run_until_done waits for rows other workers hold (SKIP LOCKED).
DRAIN_WAIT_S = 30.0


def run_until_done(ctx: Context) -> DueResult:
    """run_due, then again until nothing is due: rows skipped because another
    worker held them are waited for (up to DRAIN_WAIT_S), so a caller that moved
    the clock answers only once every due event has been processed."""
    result = run_due(ctx)
    deadline = time.monotonic() + DRAIN_WAIT_S
    while oldest_due(ctx) is not None and time.monotonic() < deadline:
        time.sleep(0.02)
        more = run_due(ctx)
        result.accounts += more.accounts
        result.reminders += more.reminders
    return result


def oldest_due(ctx: Context) -> datetime | None:
    """The due time of the oldest event not yet processed (for the worker-lag
    metric), or None when nothing is due."""
    with ctx.unit_of_work(write=False) as work:
        candidates = [
            work.conn.execute(select(func.min(column)).where(column <= work.now, *extra)).scalar()
            for column, extra in (
                (subscriptions.c.next_renewal_at, ()),
                (subscriptions.c.warning_due_at, ()),
                (messages.c.reminder_due_at, ()),
                (messages.c.refund_deadline, (messages.c.status == Status.AWAITING,)),
            )
        ]
    due = [c for c in candidates if c is not None]
    return min(due) if due else None
