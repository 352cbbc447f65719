"""Named SQL statements for the hot paths, run on the driver's own cursor.

Building and compiling a SQLAlchemy statement costs more than SQLite takes to
run it: a send through Core statements spent most of its time there (see
docs/benchmarks.md). So the statements every request or worker batch runs
are written out here once, as procrastinate keeps its SQL, with ``:name``
parameters, and run on the DBAPI cursor of the SQLAlchemy connection (inside
its transaction). Cold paths keep using SQLAlchemy Core.

The two databases differ in a few words, written as ``{placeholders}``:
``{lock}`` and ``{skip_locked}`` (row locks exist only on PostgreSQL; SQLite
holds its one write lock for the whole transaction) and ``{ids}``, a list
parameter named ``ids``. Times go in and come out as aware UTC datetimes and
are stored as SQLAlchemy's ``UTCDateTime`` stores them (naive UTC), so both
ways of writing read the same rows.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection

FRAGMENTS = {
    "sqlite": {
        "lock": "",
        "skip_locked": "",
        "ids": "(SELECT value FROM json_each(:ids))",
    },
    "postgresql": {
        "lock": "FOR NO KEY UPDATE",
        "skip_locked": "FOR NO KEY UPDATE SKIP LOCKED",
        "ids": "(SELECT unnest(CAST(:ids AS text[])))",
    },
}
_PARAM = re.compile(r"(?<![:\w]):(\w+)")


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
            text = self.sql.format(**FRAGMENTS[dialect])
            if dialect == "postgresql":
                text = _PARAM.sub(r"%(\1)s", text.replace("%", "%%"))
            self._text[dialect] = text
        return text


def _bind(dialect: str, params: Mapping[str, Any]) -> dict[str, Any]:
    bound = {}
    for name, value in params.items():
        if isinstance(value, datetime):
            value = value.astimezone(UTC).replace(tzinfo=None)
            if dialect == "sqlite":  # the text SQLAlchemy's DateTime writes
                value = value.isoformat(" ", "microseconds")
        elif isinstance(value, dict):
            value = json.dumps(value)
        elif name == "ids" and dialect == "sqlite":
            value = json.dumps(list(value))
        elif name == "ids":
            value = list(value)
        bound[name] = value
    return bound


def _time(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC)  # type: ignore[no-any-return]


def _document(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _cursor(conn: Connection) -> Any:
    return conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]


def execute(conn: Connection, query: Query, params: Mapping[str, Any] | None = None) -> Any:
    """Run ``query``; returns the driver's cursor (``rowcount``, ``fetch*``)."""
    dialect = conn.dialect.name
    cursor = _cursor(conn)
    cursor.execute(query.text(dialect), _bind(dialect, params or {}))
    return cursor


def execute_many(conn: Connection, query: Query, rows: Sequence[Mapping[str, Any]]) -> int:
    """Run ``query`` once per parameter set, in one call to the driver (psycopg
    pipelines them); returns the rows changed."""
    if not rows:
        return 0
    dialect = conn.dialect.name
    cursor = _cursor(conn)
    cursor.executemany(query.text(dialect), [_bind(dialect, row) for row in rows])
    return int(cursor.rowcount)


def _convert(query: Query, names: list[str], row: Sequence[Any]) -> dict[str, Any]:
    record = dict(zip(names, row, strict=True))
    for name in query.times:
        if name in record:
            record[name] = _time(record[name])
    for name in query.flags:
        if name in record and record[name] is not None:
            record[name] = bool(record[name])
    for name in query.documents:
        if name in record:
            record[name] = _document(record[name])
    return record


def rows(
    conn: Connection, query: Query, params: Mapping[str, Any] | None = None
) -> list[dict[str, Any]]:
    cursor = execute(conn, query, params)
    names = [column[0] for column in cursor.description]
    return [_convert(query, names, row) for row in cursor.fetchall()]


def first(
    conn: Connection, query: Query, params: Mapping[str, Any] | None = None
) -> dict[str, Any] | None:
    cursor = execute(conn, query, params)
    row = cursor.fetchone()
    if row is None:
        return None
    return _convert(query, [column[0] for column in cursor.description], row)


def scalar(conn: Connection, query: Query, params: Mapping[str, Any] | None = None) -> Any:
    """The first column of the first row (converted like the rows), or None."""
    record = first(conn, query, params)
    return None if record is None else next(iter(record.values()))
