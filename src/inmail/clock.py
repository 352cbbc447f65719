"""The one clock of a deployment, read once per unit of work.

``SystemClock`` is wall time. ``ManualClock`` (the idea of Stripe's test
clocks) keeps its time in the database so every process of a deployment sees
the same moment, and moves only when told.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol

from sqlalchemy import Connection, insert, select, update

from inmail.store.tables import clock as clock_table


class Clock(Protocol):
    manual: bool

    def now(self, conn: Connection) -> datetime: ...


def utcnow() -> datetime:
    return datetime.now(UTC)


class SystemClock:
    manual = False

    def now(self, conn: Connection) -> datetime:
        return utcnow()


class ManualClock:
    """Time stored in the ``clock`` table; ``start`` applies only to a database
    that has no clock yet, so a restart never moves time."""

    manual = True

    def __init__(self, start: datetime | None = None) -> None:
        self.start = start

    def now(self, conn: Connection) -> datetime:
        stored = conn.execute(select(clock_table.c.now).where(clock_table.c.id == 1)).scalar()
        if stored is not None:
            return stored
        start = self.start or utcnow()
        conn.execute(insert(clock_table).values(id=1, now=start))
        return start

    def set(self, conn: Connection, to: datetime) -> None:
        self.now(conn)  # make sure the row exists
        conn.execute(update(clock_table).where(clock_table.c.id == 1).values(now=to))
