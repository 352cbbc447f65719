"""Engine set-up and transactions for SQLite and PostgreSQL.

SQLite allows one writer at a time. Threads that each open their own write
transaction only fight over that lock (long tail latencies), so writes in one
process are serialised by a lock here, go through one connection kept open
for them (no pool checkout per write), and start with ``BEGIN IMMEDIATE``;
other processes wait on SQLite's busy timeout. Read transactions need neither
and use pooled connections of their own.

PostgreSQL writes run at READ COMMITTED; the services order writers of one
account with row locks on the member rows. Reads run at REPEATABLE READ.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url

SQLITE_BUSY_TIMEOUT_S = 30
# Every SQLite connection: WAL (readers never wait for the writer); FULL, so
# an acknowledged credit change survives a power loss too; foreign keys; and
# waiting for another process's write lock rather than failing at once.
SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=FULL",
    "PRAGMA foreign_keys=ON",
    f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_S * 1000}",
)


def normalise_url(url: str) -> str:
    """Accept plain ``postgresql://`` URLs and use psycopg 3 for them."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


class Database:
    """One engine and the rules for opening transactions on it."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = normalise_url(url)
        self.engine: Engine = _make_engine(self.url, echo=echo)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        self._write_lock = threading.Lock() if self.is_sqlite else None
        self._writer: Connection | None = None  # SQLite's one write connection

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[Connection]:
        """A transaction that commits when the block ends normally and rolls
        back when it raises."""
        if self._write_lock is not None and write:
            with self._write_lock:
                yield from self._write_on_kept_connection()
        else:
            with self._begin(write=write) as conn:
                yield conn

    def _write_on_kept_connection(self) -> Iterator[Connection]:
        if self._writer is None or self._writer.invalidated:
            self._writer = self.engine.connect()
            self._writer.execution_options(inmail_write=True)
        try:
            with self._writer.begin():
                yield self._writer
        except BaseException:
            if self._writer.invalidated:  # a lost database file: start afresh next time
                self._writer.close()
                self._writer = None
            raise

    @contextmanager
    def _begin(self, *, write: bool) -> Iterator[Connection]:
        with self.engine.connect() as conn:
            conn.execution_options(inmail_write=write)
            if not write and not self.is_sqlite:
                # A read sees one snapshot (a balance and the counts beside it
                # from the same moment); SQLite's read transactions always do.
                conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                yield conn

    def dispose(self) -> None:
        if self._write_lock is not None:
            with self._write_lock:
                if self._writer is not None:
                    self._writer.close()
                    self._writer = None
        self.engine.dispose()


def _make_engine(url: str, *, echo: bool) -> Engine:
    if make_url(url).get_backend_name() == "sqlite":
        engine = create_engine(
            url,
            echo=echo,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S, "check_same_thread": False},
        )
        _configure_sqlite(engine)
        return engine
    return create_engine(url, echo=echo, pool_size=10, max_overflow=10, pool_pre_ping=True)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event emit BEGIN itself (pysqlite would
        # otherwise begin lazily and never IMMEDIATE).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in SQLITE_PRAGMAS:
            cursor.execute(pragma)
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(conn: Connection) -> None:
        write = conn.get_execution_options().get("inmail_write", True)
        # On the driver's connection: this runs before every transaction.
        conn.connection.dbapi_connection.execute(  # type: ignore[union-attr]
            "BEGIN IMMEDIATE" if write else "BEGIN"
        )
