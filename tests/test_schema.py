"""The migrations build the schema the code's tables describe, on both
databases, and migration 0005 counts what was there before it as read."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from inmail.store.database import Database
from inmail.store.migrate import upgrade
from inmail.store.tables import conversation_reads, metadata
from tests.conftest import PG_URL

pytestmark = pytest.mark.storage


def test_the_tables_match_the_migrations(database_url: str) -> None:
    database = Database(database_url)
    try:
        with database.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(context, metadata) == []
    finally:
        database.dispose()


MEMBER = (
    "INSERT INTO members (id, name, inmail_opt_out, open_profile, created_at, balance)"
    " VALUES (:id, :id, false, false, '2026-01-01 00:00:00', 0)"
)
MESSAGE = (
    "INSERT INTO messages (sender_id, recipient_id, body, kind, charge, sent_at,"
    " credit_charged, status, refunded, hidden_for_sender, hidden_for_recipient)"
    " VALUES (:s, :r, 'hello', 'message', 'connection', '2026-01-01 00:00:00', false,"
    " 'delivered', false, false, false)"
)


@pytest.fixture
def empty_database_url(backend, tmp_path) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """A database of the backend's kind with no schema at all."""
    if backend.name == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    name = f"inmail_empty_{uuid.uuid4().hex[:16]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def test_conversations_before_the_read_state_count_as_read(empty_database_url: str) -> None:
    database = Database(empty_database_url)
    try:
        upgrade(database, "0003")  # before conversations had a read state
        with database.engine.begin() as conn:
            for member in ("ann", "ben", "cat"):
                conn.execute(text(MEMBER), {"id": member})
            for sender, recipient in [
                ("ann", "ben"),
                ("ben", "ann"),
                ("ann", "ben"),
                ("cat", "ann"),
            ]:
                conn.execute(text(MESSAGE), {"s": sender, "r": recipient})
        upgrade(database)
        with database.engine.connect() as conn:
            reads = conn.execute(select(conversation_reads).order_by("member_id", "other_id"))
            # Each member has read up to the latest message sent to them.
            assert [tuple(r) for r in reads] == [
                ("ann", "ben", 2),
                ("ann", "cat", 4),
                ("ben", "ann", 3),
            ]
    finally:
        database.dispose()
