"""What every use case needs: the database, the clock and the plans, and the
unit of work that binds one transaction to one reading of the clock."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection, select

from inmail.clock import Clock, ManualClock
from inmail.domain.errors import PlansFileError
from inmail.domain.plans import DEFAULT_PLANS, Plan
from inmail.store.database import Database
from inmail.store.tables import subscriptions


@dataclass
class Work:
    """One open transaction and the one ``now`` it acts at."""

    conn: Connection
    now: datetime
    plans: dict[str, Plan]
    clock: Clock

    def refresh_now(self) -> None:
        """Read the clock again after waiting for account locks.

        On PostgreSQL a transaction that read ``now`` and then queued behind
        another writer of the same account would otherwise act at a time
        earlier than what that writer committed (a response queued behind the
        expiry at its deadline would be dated before it). SQLite takes its
        write lock before the clock is first read, so it needs no second look.
        """
        if self.conn.dialect.name != "sqlite":
            self.now = max(self.now, self.clock.now(self.conn))


_current: ContextVar[Work | None] = ContextVar("inmail_current_work", default=None)


@dataclass
class Context:
    database: Database
    clock: Clock
    plans: dict[str, Plan] = field(default_factory=lambda: dict(DEFAULT_PLANS))

    @contextmanager
    def unit_of_work(self, *, write: bool = True) -> Iterator[Work]:
        """A transaction that commits when the block ends and rolls back if it
        raises. Opened inside another one (the HTTP layer wraps a use case to
        store its idempotent answer with it), it joins it as a savepoint."""
        outer = _current.get()
        if outer is not None:
            with outer.conn.begin_nested():
                yield outer
            return
        with self.database.transaction(write=write) as conn:
            work = Work(conn=conn, now=self.clock.now(conn), plans=self.plans, clock=self.clock)
            token = _current.set(work)
            try:
                yield work
            finally:
                _current.reset(token)

    def check_plans(self) -> None:
        """Refuse to run with a plans file that lacks a plan still in use."""
        with self.unit_of_work(write=isinstance(self.clock, ManualClock)) as work:
            used = set(work.conn.execute(select(subscriptions.c.plan).distinct()).scalars())
        missing = sorted(used - set(self.plans))
        if missing:
            raise PlansFileError(
                "subscriptions use plans missing from the plans file: " + ", ".join(missing)
            )
