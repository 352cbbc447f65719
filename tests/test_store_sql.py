"""The named statements' runner: driver errors surface as SQLAlchemy's (what
the worker's retry and every caller catch), and times keep the format
SQLAlchemy's own columns use, so both ways of writing read the same rows."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, IntegrityError

from inmail.service import members
from inmail.service.context import Context
from inmail.store import sql
from inmail.store.tables import members as members_table

pytestmark = pytest.mark.storage


def test_a_driver_error_is_sqlalchemys(ctx: Context) -> None:
    members.create_member(ctx, "ann", "Ann")
    below_zero = sql.Query("UPDATE members SET balance = -1 WHERE id = :id")
    with pytest.raises(IntegrityError) as raised, ctx.unit_of_work() as work:
        sql.execute(work.conn, below_zero, {"id": "ann"})
    assert isinstance(raised.value, DBAPIError)
    assert "balance" in str(raised.value.orig).lower()


def test_times_round_trip_with_sqlalchemys_columns(ctx: Context) -> None:
    members.create_member(ctx, "ann", "Ann")
    at = datetime(2026, 2, 28, 23, 59, 59, 999_999, tzinfo=UTC)
    set_due = sql.Query("UPDATE members SET due_at = :at WHERE id = :id")
    read_due = sql.Query("SELECT due_at FROM members WHERE id = :id", times=["due_at"])
    with ctx.unit_of_work() as work:
        sql.execute(work.conn, set_due, {"at": at, "id": "ann"})
        core = work.conn.execute(
            select(members_table.c.due_at).where(members_table.c.id == "ann")
        ).scalar()
        assert core == at
        assert sql.scalar(work.conn, read_due, {"id": "ann"}) == at
        # Compared in SQL against a time SQLAlchemy wrote: the same order.
        later = sql.Query("SELECT count(*) AS n FROM members WHERE due_at < :at")
        assert sql.scalar(work.conn, later, {"at": at.replace(microsecond=0)}) == 0


def test_a_naive_time_is_refused(ctx: Context) -> None:
    members.create_member(ctx, "ann", "Ann")
    set_due = sql.Query("UPDATE members SET due_at = :at WHERE id = :id")
    with pytest.raises(ValueError, match="naive"), ctx.unit_of_work() as work:
        sql.execute(work.conn, set_due, {"at": datetime(2026, 1, 1), "id": "ann"})
