"""Named SQL statements for the hot paths, run on the driver's own cursor.

Building and compiling a SQLAlchemy statement costs more than SQLite takes to
run it: a send through Core statements spent most of its time there (see
docs/benchmarks.md). So the statements every request or worker batch runs
are written out here once, as procrastinate keeps its SQL, with ``:name``
parameters, and run on the DBAPI cursor of the SQLAlchemy connection (inside
its transaction). Cold paths keep using SQLAlchemy Core.

The two databases differ in a few words, written as ``{placeholders}``:
``{lock}`` and ``{skip_locked}`` (row locks exist only on PostgreSQL; SQLite
holds its one write lock for the whole transaction), ``{ids}`` and
``{int_ids}``, a list parameter named ``ids``, and ``{rows:name type, ...}``,
a whole batch of rows sent as one JSON parameter named ``rows`` and read back
as a table ``r`` with those columns (the PostgreSQL types given), in order:
so a worker batch writes each table with one statement, not one per row.
Times go in and come out as aware UTC datetimes and are stored as
SQLAlchemy's ``UTCDateTime`` stores them (naive UTC), so both ways of writing
read the same rows.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError

FRAGMENTS = {
    "sqlite": {
        "lock": "",
        "skip_locked": "",
        "ids": "(SELECT value FROM json_each(:ids))",
        "int_ids": "(SELECT value FROM json_each(:ids))",
    },
    "postgresql": {
        "lock": "FOR NO KEY UPDATE",
        "skip_locked": "FOR NO KEY UPDATE SKIP LOCKED",
        "ids": "(SELECT unnest(CAST(:ids AS text[])))",
        "int_ids": "(SELECT unnest(CAST(:ids AS bigint[])))",
    },
}
_PARAM = re.compile(r"(?<![:\w]):(\w+)")
_ROWS = re.compile(r"\{rows:([^}]*)\}")


def _rows_source(dialect: str, spec: str) -> str:
    """The table ``r`` that a ``rows`` JSON array parameter stands for."""
    columns = [column.split() for column in spec.split(",")]
    if dialect == "sqlite":
        fields = ", ".join(f"json_extract(value, '$.{name}') AS {name}" for name, _ in columns)
        return f"(SELECT {fields} FROM json_each(:rows) ORDER BY key) AS r"
    fields = ", ".join(
        f"value -> '{name}' AS {name}"
        if kind == "json"
        else f"CAST(value ->> '{name}' AS {kind}) AS {name}"
        for name, kind in columns
    )
    return (
        f"(SELECT {fields} FROM json_array_elements(CAST(:rows AS json))"
        " WITH ORDINALITY AS e(value, n) ORDER BY n) AS r"
    )


class Query:
    """One statement. ``times``, ``flags`` and ``documents`` name the result
    columns that come back as datetimes, booleans and JSON documents."""

    def __init__(
        self,
        sql: str,
        *,
        times: Iterable[str] = (),
        flags: Iterable[str] = (),
        documents: Iterable[str] = (),
    ) -> None:
        self.sql = sql
        self.times = frozenset(times)
        self.flags = frozenset(flags)
        self.documents = frozenset(documents)
        self._text: dict[str, str] = {}

    def text(self, dialect: str) -> str:
        text = self._text.get(dialect)
        if text is None:
            text = _ROWS.sub(lambda m: _rows_source(dialect, m.group(1)), self.sql)
            text = text.format(**FRAGMENTS[dialect])
            if dialect == "postgresql":
                text = _PARAM.sub(r"%(\1)s", text.replace("%", "%%"))
            self._text[dialect] = text
        return text


# Conversions are cached: a worker batch writes the same few times (a
# renewal's date, its next date) for thousands of rows.
@functools.lru_cache(maxsize=4096)
def _sqlite_time(value: datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("naive datetime given to the database; use UTC-aware times")
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    # The text SQLAlchemy's DateTime writes: "YYYY-MM-DD HH:MM:SS.ffffff".
    return value.isoformat(" ", "microseconds")[:26]


@functools.lru_cache(maxsize=4096)
def _postgresql_time(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("naive datetime given to the database; use UTC-aware times")
    return value.astimezone(UTC).replace(tzinfo=None)


_TIMES = {"sqlite": _sqlite_time, "postgresql": _postgresql_time}


def _bind(dialect: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """Parameters as the driver takes them (this runs for every row of every
    statement, so it looks at each value's exact type once)."""
    time = _TIMES[dialect]
    bound = {}
    for name, value in params.items():
        kind = type(value)
        if kind is datetime:
            value = time(value)
        elif kind is dict:
            value = json.dumps(value)
        elif name == "ids":
            value = json.dumps(list(value)) if dialect == "sqlite" else list(value)
        bound[name] = value
    return bound


@functools.lru_cache(maxsize=4096)
def _time(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC)  # type: ignore[no-any-return]


def _flag(value: Any) -> bool | None:
    return None if value is None else bool(value)


def _document(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _cursor(conn: Connection) -> Any:
    return conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]


@contextmanager
def _driver_errors(conn: Connection, statement: str) -> Iterator[None]:
    """The driver's errors as SQLAlchemy's (what the worker's retry and every
    other caller catch), and a lost connection invalidated, as SQLAlchemy
    does for the statements it runs itself."""
    dbapi = conn.dialect.loaded_dbapi
    try:
        yield
    except dbapi.Error as exc:
        lost = conn.dialect.is_disconnect(exc, conn.connection.dbapi_connection, None)
        if lost:
            conn.invalidate(exc)
        raise DBAPIError.instance(
            statement, None, exc, dbapi.Error, connection_invalidated=lost, dialect=conn.dialect
        ) from exc


def execute(conn: Connection, query: Query, params: Mapping[str, Any] | None = None) -> Any:
    """Run ``query``; returns the driver's cursor (``rowcount``, ``fetch*``)."""
    dialect = conn.dialect.name
    text = query.text(dialect)
    with _driver_errors(conn, text):
        cursor = _cursor(conn)
        cursor.execute(text, _bind(dialect, params or {}))
    return cursor


def execute_many(conn: Connection, query: Query, rows: Sequence[Mapping[str, Any]]) -> int:
    """Run ``query`` once per parameter set, in one call to the driver (psycopg
    pipelines them); returns the rows changed."""
    if not rows:
        return 0
    dialect = conn.dialect.name
    text = query.text(dialect)
    with _driver_errors(conn, text):
        cursor = _cursor(conn)
        cursor.executemany(text, [_bind(dialect, row) for row in rows])
    return int(cursor.rowcount)


def _converters(query: Query, names: list[str]) -> list[tuple[int, Any]]:
    """(column index, converter) for the columns of a result that need one."""
    found = []
    for index, name in enumerate(names):
        if name in query.times:
            found.append((index, _time))
        elif name in query.flags:
            found.append((index, _flag))
        elif name in query.documents:
            found.append((index, _document))
    return found


def _json_default(value: Any) -> str:
    if isinstance(value, datetime):
        return _sqlite_time(value)  # the text both databases read as a timestamp
    raise TypeError(f"{type(value).__name__} is not a row value")


def execute_rows(conn: Connection, query: Query, rows: Sequence[Mapping[str, Any]]) -> int:
    """Run a ``{rows:...}`` statement once for a whole batch; returns the rows
    it changed."""
    if not rows:
        return 0
    payload = json.dumps(rows, default=_json_default, separators=(",", ":"))
    text = query.text(conn.dialect.name)
    with _driver_errors(conn, text):
        cursor = _cursor(conn)
        cursor.execute(text, {"rows": payload})
    return int(cursor.rowcount)


def returned_rows(
    conn: Connection, query: Query, rows: Sequence[Mapping[str, Any]]
) -> list[tuple[Any, ...]]:
    """Run a ``{rows:...}`` statement with ``RETURNING``; the rows it returned."""
    if not rows:
        return []
    payload = json.dumps(rows, default=_json_default, separators=(",", ":"))
    text = query.text(conn.dialect.name)
    with _driver_errors(conn, text):
        cursor = _cursor(conn)
        cursor.execute(text, {"rows": payload})
        return [tuple(row) for row in cursor.fetchall()]


def _records(query: Query, cursor: Any, found: Sequence[Sequence[Any]]) -> list[dict[str, Any]]:
    names = [column[0] for column in cursor.description]
    converters = _converters(query, names)
    records = []
    for row in found:
        values = list(row)
        for index, convert in converters:
            values[index] = convert(values[index])
        records.append(dict(zip(names, values, strict=True)))
    return records


def rows(
    conn: Connection, query: Query, params: Mapping[str, Any] | None = None
) -> list[dict[str, Any]]:
    cursor = execute(conn, query, params)
    return _records(query, cursor, cursor.fetchall())


def first(
    conn: Connection, query: Query, params: Mapping[str, Any] | None = None
) -> dict[str, Any] | None:
    cursor = execute(conn, query, params)
    row = cursor.fetchone()
    return None if row is None else _records(query, cursor, [row])[0]


def scalar(conn: Connection, query: Query, params: Mapping[str, Any] | None = None) -> Any:
    """The first column of the first row (converted like the rows), or None."""
    record = first(conn, query, params)
    return None if record is None else next(iter(record.values()))
