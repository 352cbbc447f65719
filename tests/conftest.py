"""Fixtures: a fresh database per test on every backend, a manual clock, and
an audit after every test that wrote.

Backends come from INMAIL_TEST_BACKENDS (default "sqlite,postgresql").
PostgreSQL is INMAIL_TEST_PG_URL (default postgres@127.0.0.1:5432); each test
gets its own database cloned from a migrated template. When PostgreSQL cannot
be reached its tests fail under CI and are skipped, loudly, elsewhere.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from inmail.clock import ManualClock
from inmail.domain.plans import DEFAULT_PLANS
from inmail.service.audit import audit
from inmail.service.context import Context
from inmail.store.database import Database, normalise_url
from inmail.store.migrate import upgrade
from inmail.store.tables import metadata

BACKENDS = [
    b.strip()
    for b in os.environ.get("INMAIL_TEST_BACKENDS", "sqlite,postgresql").split(",")
    if b.strip()
]
PG_URL = normalise_url(
    os.environ.get("INMAIL_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
)
TEMPLATE = f"inmail_template_{os.getpid()}"
START = datetime(2026, 1, 15, 9, 30, tzinfo=UTC)


class Backend:
    """Hands out fresh, migrated databases of one kind."""

    def __init__(self, name: str, tmp: Path) -> None:
        self.name = name
        self.tmp = tmp
        self._template_ready = False
        self._created: list[str] = []
        self._spare: list[str] = []  # emptied scratch databases, ready again

    def _admin_engine(self):  # type: ignore[no-untyped-def]
        return create_engine(PG_URL, isolation_level="AUTOCOMMIT")

    def new_url(self) -> str:
        if self.name == "sqlite":
            template = self.tmp / "template.db"
            if not self._template_ready:
                database = Database(f"sqlite:///{template}")
                upgrade(database)
                database.dispose()
                self._template_ready = True
            path = self.tmp / f"{uuid.uuid4().hex}.db"
            shutil.copyfile(template, path)
            return f"sqlite:///{path}"
        engine = self._admin_engine()
        try:
            with engine.connect() as conn:
                if not self._template_ready:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{TEMPLATE}"'))
                    conn.execute(text(f'CREATE DATABASE "{TEMPLATE}"'))
                    database = Database(self._url(TEMPLATE))
                    upgrade(database)
                    database.dispose()
                    self._template_ready = True
                name = f"inmail_test_{uuid.uuid4().hex[:16]}"
                conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{TEMPLATE}"'))
                self._created.append(name)
        finally:
            engine.dispose()
        return self._url(name)

    @staticmethod
    def _url(database: str) -> str:
        return make_url(PG_URL).set(database=database).render_as_string(hide_password=False)

    def drop(self, url: str) -> None:
        if self.name == "postgresql":
            name = make_url(url).database
            engine = self._admin_engine()
            with engine.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            engine.dispose()

    def take_scratch(self) -> str:
        """A fresh, migrated database for many-databases-per-test use; hand it
        back with :meth:`give_back`."""
        return self._spare.pop() if self._spare else self.new_url()

    def give_back(self, url: str) -> None:
        """Empty a scratch database for its next user: a new SQLite file is
        cheaper than emptying one, an emptied PostgreSQL database (identities
        restarted) is cheaper than cloning another."""
        if self.name == "sqlite":
            path = make_url(url).database
            assert path is not None
            for suffix in ("", "-wal", "-shm"):
                Path(path + suffix).unlink(missing_ok=True)
            return
        engine = create_engine(normalise_url(url))
        try:
            with engine.begin() as conn:
                names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
                conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        finally:
            engine.dispose()
        self._spare.append(url)

    def close(self) -> None:
        for url in self._spare:
            self.drop(url)
        self._spare.clear()
        if self.name == "postgresql" and self._template_ready:
            engine = self._admin_engine()
            with engine.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{TEMPLATE}" WITH (FORCE)'))
            engine.dispose()


def _postgres_reachable() -> str | None:
    engine = create_engine(PG_URL)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # any failure to connect means "unreachable"
        return str(exc).splitlines()[0]
    finally:
        engine.dispose()
    return None


@pytest.fixture(scope="session")
def backends(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Backend]]:
    made = {name: Backend(name, tmp_path_factory.mktemp(name)) for name in BACKENDS}
    yield made
    for backend in made.values():
        backend.close()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, backends: dict[str, Backend]) -> Backend:
    name = request.param
    if name == "postgresql":
        problem = _postgres_reachable()
        if problem is not None:
            message = f"PostgreSQL at {PG_URL} is unreachable: {problem}"
            if os.environ.get("CI"):
                pytest.fail(message)
            pytest.skip(message)
    return backends[name]


@pytest.fixture
def database_url(backend: Backend) -> Iterator[str]:
    url = backend.new_url()
    yield url
    backend.drop(url)


def make_context(url: str, start: datetime = START) -> Context:
    return Context(database=Database(url), clock=ManualClock(start), plans=dict(DEFAULT_PLANS))


@contextmanager
def fresh_context(backend: Backend, start: datetime = START) -> Iterator[Context]:
    """A context on a fresh database of its own, for tests that need many
    databases in one test function (one per Hypothesis example). The caller
    checks the audit."""
    url = backend.take_scratch()
    context = make_context(url, start)
    try:
        yield context
    finally:
        context.database.dispose()
        backend.give_back(url)


@pytest.fixture
def ctx(database_url: str) -> Iterator[Context]:
    """A context on a fresh database with a manual clock at START. The audit
    must pass when the test is done."""
    context = make_context(database_url)
    yield context
    report = audit(context)
    context.database.dispose()
    assert report.ok, [c for c in report.checks if not c.ok]


@pytest.fixture
def net(ctx: Context) -> Context:
    """alice (pro), bob, carol (open profile), dave (opted out) and erin
    (alice's connection)."""
    from inmail.service import members, subscriptions

    members.create_member(ctx, "alice", "Alice")
    members.create_member(ctx, "bob", "Bob")
    members.create_member(ctx, "carol", "Carol", open_profile=True)
    members.create_member(ctx, "dave", "Dave", inmail_opt_out=True)
    members.create_member(ctx, "erin", "Erin")
    members.connect(ctx, "alice", "erin")
    subscriptions.put_subscription(ctx, "alice", "pro")
    return ctx
