"""Fresh databases for a run, identical copies of them, and plain driver
connections set up the way the engine sets up its own."""

from __future__ import annotations

import os
import shutil
import sqlite3
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from inmail.store.database import SQLITE_PRAGMAS, Database, normalise_url
from inmail.store.migrate import upgrade

DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


def pg_admin_url() -> str:
    return normalise_url(
        os.environ.get("INMAIL_BENCH_PG_URL")
        or os.environ.get("INMAIL_TEST_PG_URL")
        or DEFAULT_PG_URL
    )


@dataclass(frozen=True)
class Db:
    """One database of a run: its SQLAlchemy URL and its backend."""

    url: str
    backend: str  # "sqlite" or "postgresql"

    @property
    def path(self) -> str:
        database = make_url(self.url).database
        assert database is not None
        return database

    def connect(self) -> Any:
        """A plain driver connection (sqlite3 or psycopg), autocommit, with the
        pragmas the engine's Database sets (WAL, synchronous=FULL)."""
        if self.backend == "sqlite":
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            for pragma in SQLITE_PRAGMAS:
                conn.execute(pragma)
            return conn
        return psycopg.connect(conninfo(self.url), autocommit=True)


def conninfo(url: str) -> str:
    """A libpq URL (psycopg's own) from a SQLAlchemy one."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def stored(value: datetime | None, backend: str) -> Any:
    """A time as the engine stores it: naive UTC (text on SQLite)."""
    if value is None:
        return None
    naive = value.astimezone(UTC).replace(tzinfo=None)
    return naive.isoformat(" ", "microseconds") if backend == "sqlite" else naive


class Databases:
    """Creates databases for one backend and drops every one of them at the end."""

    def __init__(self, backend: str, folder: Path) -> None:
        self.backend = backend
        self.folder = folder
        self.made: list[Db] = []

    def fresh(self) -> Db:
        """A new, migrated, empty database."""
        if self.backend == "sqlite":
            db = Db(f"sqlite:///{self.folder / uuid.uuid4().hex}.db", "sqlite")
        else:
            name = f"inmail_bench_{uuid.uuid4().hex[:12]}"
            self._admin(f'CREATE DATABASE "{name}"')
            db = Db(
                make_url(pg_admin_url()).set(database=name).render_as_string(False), self.backend
            )
        self.made.append(db)
        database = Database(db.url)
        try:
            upgrade(database)
        finally:
            database.dispose()
        return db

    def copy(self, source: Db) -> Db:
        """An identical copy of ``source`` (nobody may be connected to it)."""
        if self.backend == "sqlite":
            with sqlite3.connect(source.path) as conn:
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            db = Db(f"sqlite:///{self.folder / uuid.uuid4().hex}.db", "sqlite")
            shutil.copyfile(source.path, db.path)
        else:
            name = f"inmail_bench_{uuid.uuid4().hex[:12]}"
            self._admin(f'CREATE DATABASE "{name}" TEMPLATE "{source.path}"')
            db = Db(make_url(source.url).set(database=name).render_as_string(False), self.backend)
        self.made.append(db)
        return db

    def drop(self, db: Db) -> None:
        if db in self.made:
            self.made.remove(db)
        if self.backend == "sqlite":
            for suffix in ("", "-wal", "-shm"):
                Path(db.path + suffix).unlink(missing_ok=True)
        else:
            self._admin(f'DROP DATABASE IF EXISTS "{db.path}" WITH (FORCE)')

    def drop_all(self) -> None:
        for db in list(self.made):
            self.drop(db)

    @staticmethod
    def _admin(statement: str) -> None:
        engine = create_engine(pg_admin_url(), isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                # CREATE/DROP DATABASE take no parameters; the names are
                # made here (inmail_bench_ and random hex).
                conn.exec_driver_sql(statement)
        finally:
            engine.dispose()


def postgres_problem() -> str | None:
    """Why PostgreSQL cannot be reached (None when it can)."""
    try:
        psycopg.connect(conninfo(pg_admin_url()), connect_timeout=5).close()
    except psycopg.Error as exc:
        return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return None
