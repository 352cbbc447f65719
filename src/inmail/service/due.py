"""The due-event step the worker and the manual clock run: ``run_due``.

Due accounts (``members.due_at <= now``) are claimed in bounded batches, with
``FOR UPDATE SKIP LOCKED`` on PostgreSQL so any number of workers share the
work, and settled together by the same code as settle-before-act: a few
statements a batch. Every step is idempotent: running it twice changes
nothing. Idempotency keys past their retention are pruned on the way.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from inmail.clock import ManualClock
from inmail.domain.errors import ClockNotManual, ValidationFailed
from inmail.service import idempotency
from inmail.service.accounts import Account, settle
from inmail.service.context import Context
from inmail.store import accounts as account_store

BATCH = 1000
# The most one clock move may jump: 100 years is 1,200 renewals and warnings
# per account, well inside one settle's bound (lifecycle.MAX_EVENTS).
MAX_MOVE = timedelta(days=36_525)
# A bound on one run: 100,000 batches is 100 million accounts.
MAX_BATCHES = 100_000


@dataclass
class DueResult:
    accounts: int = 0
    pruned_keys: int = 0

    @property
    def total(self) -> int:
        return self.accounts + self.pruned_keys

    def add(self, other: DueResult) -> None:
        self.accounts += other.accounts
        self.pruned_keys += other.pruned_keys


def run_due(ctx: Context, *, batch: int = BATCH, stop: object = None) -> DueResult:
    """Process everything due at the clock's current time; return how much.

    ``stop`` (anything with ``is_set()``) ends the run between batches."""
    result = DueResult()
    for _ in range(MAX_BATCHES):
        if stop is not None and stop.is_set():  # type: ignore[attr-defined]
            break
        done = settle_batch(ctx, batch)
        result.add(done)
        if done.accounts < batch:
            break
    result.pruned_keys += idempotency.prune(ctx, limit=batch)
    return result


def settle_batch(ctx: Context, batch: int = BATCH) -> DueResult:
    """Claim up to ``batch`` due accounts and settle them in one transaction."""
    with ctx.unit_of_work() as work:
        claimed = [Account.of(row) for row in account_store.claim_due(work.conn, work.now, batch)]
        settle(work, claimed)
        return DueResult(accounts=len(claimed))


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
        result.add(run_due(ctx))
    return result


def oldest_due(ctx: Context) -> datetime | None:
    """The due time of the oldest account not yet settled (for the worker-lag
    metric), or None when nothing is due."""
    with ctx.unit_of_work(write=False) as work:
        return account_store.oldest_due(work.conn, work.now)
