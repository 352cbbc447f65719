"""Bulk rows for the benchmarks, written as plain SQL (``executemany`` on
SQLite, ``COPY`` on PostgreSQL), never through the service one by one.

Every member row's ``due_at`` is what the engine keeps: the earliest of its
subscription's warning and renewal, the refund deadlines of the InMails it
sent that await a response, and the reminders due of those it received.
Every balance has the ledger entries that sum to it, so the audit holds.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from inmail.bench.databases import Db, stored
from inmail.domain.calendar import add_months, renewal_at, warning_at
from inmail.domain.messages import REFUND_WINDOW, REMINDER_AFTER
from inmail.domain.plans import DEFAULT_PLANS

PLAN = DEFAULT_PLANS["pro"]  # every benchmark member is on one plan: 20 a month, cap 60
# Senders in the send benchmarks never run out.
SEND_BALANCE = 1_000_000

_MEMBER = ("id", "name", "inmail_opt_out", "open_profile", "created_at", "balance", "due_at")
_SUBSCRIPTION = (
    "member_id",
    "plan",
    "status",
    "started_at",
    "renewals_done",
    "next_renewal_at",
    "warning_due_at",
    "ends_at",
)
_ENTRY = ("member_id", "at", "kind", "amount", "balance_after", "message_id", "note")
_MESSAGE = (
    "id",
    "sender_id",
    "recipient_id",
    "subject",
    "body",
    "kind",
    "charge",
    "quick_reply",
    "in_reply_to",
    "sent_at",
    "credit_charged",
    "status",
    "refund_deadline",
    "reminder_at",
    "reminder_due_at",
    "responded_at",
    "refunded",
    "hidden_for_sender",
    "hidden_for_recipient",
)


def member_id(i: int) -> str:
    return f"m{i:07d}"


@dataclass(frozen=True)
class Schedule:
    """A subscription's anniversary and the renewal it waits for."""

    started_at: datetime
    renewals_done: int
    next_renewal_at: datetime
    warning_due_at: datetime | None

    @classmethod
    def after(cls, started_at: datetime, now: datetime) -> Schedule:
        """The schedule at ``now``: the next renewal after it, its warning
        still due only if its moment is after ``now``."""
        done = 0
        while renewal_at(started_at, done + 1) <= now:
            done += 1
        renewal = renewal_at(started_at, done + 1)
        warning = warning_at(renewal)
        return cls(started_at, done, renewal, warning if warning > now else None)

    @property
    def due_at(self) -> datetime:
        return min(t for t in (self.warning_due_at, self.next_renewal_at) if t is not None)


class Writer:
    """Rows into one database: ``executemany`` on SQLite (one transaction),
    ``COPY`` on PostgreSQL."""

    def __init__(self, db: Db) -> None:
        self.db = db
        self.conn = db.connect()
        if db.backend == "sqlite":
            self.conn.execute("PRAGMA synchronous=OFF")  # a bulk load, not a credit change
            self.conn.execute("BEGIN")
        else:
            self.conn.autocommit = False

    def rows(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        backend = self.db.backend
        converted = (tuple(_value(v, backend) for v in row) for row in rows)
        if backend == "sqlite":
            marks = ", ".join("?" for _ in columns)
            self.conn.executemany(
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",  # noqa: S608
                converted,
            )
            return
        with (
            self.conn.cursor() as cursor,
            cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy,
        ):
            for row in converted:
                copy.write_row(row)

    def execute(self, statement: str, params: Sequence[Any] = ()) -> None:
        if self.db.backend == "postgresql":
            statement = statement.replace("?", "%s")
        self.conn.execute(statement, params)

    def close(self) -> None:
        if self.db.backend == "sqlite":
            self.conn.execute("COMMIT")
        else:
            self.conn.commit()
            self.conn.autocommit = True
            self.conn.execute("ANALYZE")
        self.conn.close()


def _value(value: Any, backend: str) -> Any:
    if isinstance(value, datetime):
        return stored(value, backend)
    if isinstance(value, dict):
        return json.dumps(value)
    if isinstance(value, bool) and backend == "sqlite":
        return int(value)
    return value


def _member(i: int, created_at: datetime, balance: int, due_at: datetime | None) -> tuple:
    return (member_id(i), f"Member {i}", False, False, created_at, balance, due_at)


def _subscription(i: int, schedule: Schedule) -> tuple:
    return (
        member_id(i),
        PLAN.code,
        "active",
        schedule.started_at,
        schedule.renewals_done,
        schedule.next_renewal_at,
        schedule.warning_due_at,
        None,
    )


def set_clock(writer: Writer, now: datetime) -> None:
    writer.execute("INSERT INTO clock (id, now) VALUES (1, ?)", [stored(now, writer.db.backend)])


def senders(db: Db, count: int, now: datetime) -> None:
    """``count`` subscribed members, none connected, each holding
    SEND_BALANCE credits (one grant), with nothing due for a while after
    ``now``: the send benchmarks' network."""
    schedule = Schedule.after(now - timedelta(days=5), now)
    writer = Writer(db)
    try:
        started = schedule.started_at
        writer.rows(
            "members",
            _MEMBER,
            (_member(i, started, SEND_BALANCE, schedule.due_at) for i in range(count)),
        )
        writer.rows(
            "subscriptions", _SUBSCRIPTION, (_subscription(i, schedule) for i in range(count))
        )
        writer.rows(
            "ledger_entries",
            _ENTRY,
            (
                (member_id(i), started, "grant", SEND_BALANCE, SEND_BALANCE, None, "first grant")
                for i in range(count)
            ),
        )
    finally:
        writer.close()


def renewal_balance(i: int) -> int:
    """Three members in ten are near the cap (their renewal forfeits), the
    rest anywhere from 0 to 40."""
    return PLAN.max_balance - 10 + i % 11 if i % 10 < 3 else (i * 7) % 41


def renewing(db: Db, count: int, at: datetime) -> None:
    """``count`` members whose subscriptions all renew at ``at``, the warning
    of that renewal already decided; the manual clock just before ``at``."""
    schedule = Schedule(add_months(at, -1), 0, at, None)
    writer = Writer(db)
    try:
        set_clock(writer, at - timedelta(minutes=1))
        created = schedule.started_at
        writer.rows(
            "members",
            _MEMBER,
            (_member(i, created, renewal_balance(i), at) for i in range(count)),
        )
        writer.rows(
            "subscriptions", _SUBSCRIPTION, (_subscription(i, schedule) for i in range(count))
        )
        writer.rows(
            "ledger_entries",
            _ENTRY,
            (
                (member_id(i), created, "grant", b, b, None, "first grant")
                for i in range(count)
                if (b := renewal_balance(i)) > 0
            ),
        )
    finally:
        writer.close()


@dataclass(frozen=True)
class Network:
    """The expiry and read benchmarks' network: every member sent
    ``per_sender`` InMails (one to each of the next members) that all reach
    their refund deadline at ``at``, and has a history of ``history``
    renewals at the cap (a grant and a forfeit each)."""

    members: int
    per_sender: int
    history: int
    at: datetime

    @property
    def messages(self) -> int:
        return self.members * self.per_sender

    @property
    def entries(self) -> int:
        return self.members * (1 + 2 * self.history + self.per_sender)

    def balance(self, i: int) -> int:
        return (i * 7) % 41

    def write(self, db: Db) -> None:
        at = self.at
        schedule = Schedule.after(at - timedelta(days=100), at + timedelta(days=8))
        first = schedule.started_at
        writer = Writer(db)
        try:
            set_clock(writer, at - timedelta(days=1))
            writer.rows(
                "members",
                _MEMBER,
                (
                    _member(i, first, self.balance(i), min(at, schedule.due_at))
                    for i in range(self.members)
                ),
            )
            writer.rows(
                "subscriptions",
                _SUBSCRIPTION,
                (_subscription(i, schedule) for i in range(self.members)),
            )
            writer.rows("messages", _MESSAGE, self._messages())
            writer.rows("ledger_entries", _ENTRY, self._entries(first))
            if db.backend == "postgresql":
                writer.execute(
                    "SELECT setval(pg_get_serial_sequence('messages', 'id'), ?)", [self.messages]
                )
        finally:
            writer.close()

    def _messages(self) -> Iterator[tuple]:
        sent = self.at - REFUND_WINDOW
        for i in range(self.members):
            for j in range(self.per_sender):
                yield (
                    self._message_id(i, j),
                    member_id(i),
                    member_id((i + j + 1) % self.members),
                    "Hello",
                    "Would you be open to a chat about a role?",
                    "inmail",
                    "inmail",
                    None,
                    None,
                    sent,
                    True,
                    "awaiting_response",
                    self.at,
                    sent + REMINDER_AFTER,
                    None,  # the reminder has gone out
                    None,
                    False,
                    False,
                    False,
                )

    def _message_id(self, i: int, j: int) -> int:
        return i * self.per_sender + j + 1

    def _entries(self, first: datetime) -> Iterator[tuple]:
        """Per member: a grant, its history (grant then forfeit at the cap's
        edge), then one spend per InMail; the balance ends at balance(i)."""
        sent = self.at - REFUND_WINDOW
        for i in range(self.members):
            mid = member_id(i)
            balance = self.balance(i) + self.per_sender
            yield (mid, first, "grant", balance, balance, None, "first grant")
            for h in range(self.history):
                when = first + timedelta(days=h)
                yield (
                    mid,
                    when,
                    "grant",
                    PLAN.monthly_credits,
                    balance + PLAN.monthly_credits,
                    None,
                    "monthly renewal",
                )
                yield (
                    mid,
                    when,
                    "forfeit",
                    -PLAN.monthly_credits,
                    balance,
                    None,
                    "over the plan's cap",
                )
            for j in range(self.per_sender):
                balance -= 1
                yield (mid, sent, "spend", -1, balance, self._message_id(i, j), None)
