"""The one clock of a deployment, read once per unit of work.

``SystemClock`` is wall time. ``ManualClock`` (the idea of Stripe's test
clocks) keeps its time in the database so every process of a deployment sees
the same moment, and moves only when told.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol

from sqlalchemy import Connection, select, update
from sqlalchemy.dialects import postgresql, sqlite

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
        # Two first transactions may both find no row: the second insert is a
        # no-op and both read back the one time that was stored.
        dialect_insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
        conn.execute(
            dialect_insert(clock_table)
            .values(id=1, now=self.start or utcnow())
            .on_conflict_do_nothing(index_elements=["id"])
        )
        return conn.execute(select(clock_table.c.now).where(clock_table.c.id == 1)).scalar_one()

    def locked_now(self, conn: Connection) -> datetime:
        """The time, with the clock row locked until the transaction ends, so
        two moves of the clock never both start from the same time."""
        self.now(conn)  # make sure the row exists
        return conn.execute(
            select(clock_table.c.now).where(clock_table.c.id == 1).with_for_update()
        ).scalar_one()

    def set(self, conn: Connection, to: datetime) -> None:
        self.now(conn)  # make sure the row exists
        conn.execute(update(clock_table).where(clock_table.c.id == 1).values(now=to))
