"""What the commands check before they rely on a database, so that a wrong
URL, a server that does not answer or a database that was never set up is
one line saying so (exit 2), never a traceback, and never a new empty
database that an audit would then pass."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, inspect
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError

from inmail.domain.errors import InmailError
from inmail.store.database import normalise_url

BACKENDS = ("sqlite", "postgresql")
URL_HINT = "use sqlite:///path/to/file.db or postgresql://user@host/database"
# Alembic's own table: it exists (with a row) once `inmail db upgrade` has run.
VERSION_TABLE = "alembic_version"


class DatabaseProblem(InmailError):
    """The database cannot be used."""

    code = "database-problem"


def shown(url: str | URL) -> str:
    """The URL as it may be printed: never with its password."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return str(url)


def parse_url(url: str) -> URL:
    """The URL, if it names a backend this service runs on."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise DatabaseProblem(f"the database URL {url!r} is not a URL: {URL_HINT}") from exc
    if parsed.get_backend_name() not in BACKENDS:
        raise DatabaseProblem(
            f"the database URL {shown(parsed)} names {parsed.get_backend_name()!r}: {URL_HINT}"
        )
    return parsed


@contextmanager
def database_errors(url: str) -> Iterator[None]:
    """Turn a failure to reach or open the database into a DatabaseProblem
    whose message is one line (the driver's first line says what is wrong:
    "connection refused", "database ... does not exist", "unable to open")."""
    parse_url(url)
    try:
        yield
    except DBAPIError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
        raise DatabaseProblem(f"cannot use the database {shown(url)}: {reason}") from exc


def require_schema(url: str) -> None:
    """Refuse a database that does not exist or was never set up. An SQLite
    file is checked before connecting, because connecting would create it."""
    parsed = parse_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = parsed.database
        if not path or path == ":memory:" or not Path(path).is_file():
            raise DatabaseProblem(
                f"no database at {shown(parsed)}: check the URL, or create one with "
                "`inmail db upgrade`"
            )
    engine = create_engine(normalise_url(url))
    try:
        with engine.connect() as conn:
            if not inspect(conn).has_table(VERSION_TABLE):
                raise DatabaseProblem(
                    f"the database {shown(parsed)} has no inmail schema: check the URL, "
                    "or create it with `inmail db upgrade`"
                )
    finally:
        engine.dispose()
