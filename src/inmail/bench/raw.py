"""The plain-SQL side of every figure: the statements a perfect
implementation would send for the same work, on the same driver (sqlite3 or
psycopg), with none of the engine's layers in between.

Statements are written with ``:name`` parameters; on PostgreSQL they become
``%(name)s``. ``conn`` is a driver connection from ``Db.connect()``
(autocommit, so every transaction here is explicit).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from inmail.bench.databases import stored
from inmail.domain.calendar import renewal_at, warning_at
from inmail.domain.messages import REFUND_WINDOW, REMINDER_AFTER
from inmail.domain.plans import Plan

_PARAM = re.compile(r"(?<![:\w]):(\w+)")


def sql(statement: str, backend: str) -> str:
    return _PARAM.sub(r"%(\1)s", statement) if backend == "postgresql" else statement


def backend_of(conn: Any) -> str:
    return "sqlite" if type(conn).__module__.startswith("sqlite3") else "postgresql"


def run(conn: Any, statement: str, params: dict[str, Any] | None = None) -> Any:
    backend = backend_of(conn)
    bound = {
        k: stored(v, backend) if isinstance(v, datetime) else v for k, v in (params or {}).items()
    }
    cursor = conn.cursor()
    cursor.execute(sql(statement, backend), bound)
    return cursor


@contextmanager
def transaction(conn: Any) -> Iterator[None]:
    """BEGIN IMMEDIATE on SQLite (the engine's write transaction); the default
    READ COMMITTED on PostgreSQL."""
    begin = "BEGIN IMMEDIATE" if backend_of(conn) == "sqlite" else "BEGIN"
    conn.execute(begin)
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def _time(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC)  # type: ignore[no-any-return]


# -- figure 1 and 2: one InMail ------------------------------------------------

_ACCOUNTS = (
    "SELECT m.id, m.name, m.balance, m.inmail_opt_out, m.open_profile, m.created_at, m.due_at,"
    " s.plan, s.status, s.started_at, s.renewals_done, s.next_renewal_at, s.warning_due_at,"
    " s.ends_at FROM members m LEFT JOIN subscriptions s ON s.member_id = m.id"
    " WHERE m.id IN (:a, :b) ORDER BY m.id"
)
_PAIR = (
    "SELECT EXISTS (SELECT 1 FROM connections WHERE member_id = :a AND other_id = :b),"
    " EXISTS (SELECT 1 FROM messages WHERE sender_id = :b AND recipient_id = :a)"
)
_INSERT_MESSAGE = (
    "INSERT INTO messages (sender_id, recipient_id, subject, body, kind, charge, quick_reply,"
    " in_reply_to, sent_at, credit_charged, status, refund_deadline, reminder_at,"
    " reminder_due_at, responded_at, refunded, hidden_for_sender, hidden_for_recipient)"
    " VALUES (:a, :b, :subject, :body, 'inmail', 'inmail', NULL, NULL, :now, :yes,"
    " 'awaiting_response', :deadline, :reminder, :reminder, NULL, :no, :no, :no) RETURNING id"
)
_SPEND = (
    "UPDATE members SET balance = balance - 1, due_at = CASE WHEN due_at IS NULL"
    " OR due_at > :deadline THEN :deadline ELSE due_at END"
    " WHERE id = :a AND balance >= 1 RETURNING balance"
)
_SPEND_ENTRY = (
    "INSERT INTO ledger_entries (member_id, at, kind, amount, balance_after, message_id, note)"
    " VALUES (:a, :now, 'spend', -1, :balance, :id, NULL)"
)
_RECEIVED = (
    "INSERT INTO notifications (member_id, kind, at, message_id, data)"
    " VALUES (:b, 'inmail_received', :now, :id, '{}')"
)
_REMINDER_DUE = (
    "UPDATE members SET due_at = :reminder WHERE id = :b AND (due_at IS NULL OR due_at > :reminder)"
)


class Refused(Exception):
    """The raw send met a case the benchmark never sets up."""


def send_inmail(conn: Any, sender: str, recipient: str, body: str, now: datetime) -> dict[str, Any]:
    """One paid InMail in one transaction: exactly the statements the engine
    sends for it (both accounts read and, on PostgreSQL, locked; the price;
    the message; the conditional spend; its entry; the notification; the
    recipient's reminder due time)."""
    backend = backend_of(conn)
    lock = " FOR NO KEY UPDATE OF m" if backend == "postgresql" else ""
    deadline, reminder = now + REFUND_WINDOW, now + REMINDER_AFTER
    p: dict[str, Any] = {"a": sender, "b": recipient}
    with transaction(conn):
        accounts = {row[0]: row for row in run(conn, _ACCOUNTS + lock, p).fetchall()}
        if len(accounts) != 2 or accounts[sender][8] not in ("active", "cancelling"):
            raise Refused("a member is missing or not subscribed")
        if accounts[recipient][3] or accounts[sender][2] < 1:
            raise Refused("opted out or no credit")
        connected, wrote = run(conn, _PAIR, p).fetchone()
        if connected or wrote:
            raise Refused("not an InMail")
        p.update(
            now=now,
            deadline=deadline,
            reminder=reminder,
            subject=None,
            body=body,
            yes=True,
            no=False,
        )
        if backend == "sqlite":
            p.update(yes=1, no=0)
        message_id = run(conn, _INSERT_MESSAGE, p).fetchone()[0]
        row = run(conn, _SPEND, p).fetchone()
        if row is None:
            raise Refused("no credit")
        p.update(id=message_id, balance=row[0])
        run(conn, _SPEND_ENTRY, p)
        run(conn, _RECEIVED, p)
        run(conn, _REMINDER_DUE, p)
    return {
        "id": message_id,
        "from": sender,
        "to": recipient,
        "subject": None,
        "body": body,
        "kind": "inmail",
        "in_reply_to": None,
        "sent_at": now.isoformat().replace("+00:00", "Z"),
        "credit_charged": True,
        "status": "awaiting_response",
        "refund_deadline": deadline.isoformat().replace("+00:00", "Z"),
        "reminder_at": reminder.isoformat().replace("+00:00", "Z"),
        "responded_at": None,
        "refunded": False,
    }


# -- figure 3: every member renewing at once ------------------------------------

# When the account next falls due, besides its subscription: its InMails'
# deadlines and reminders (min() of SQLite skips no NULL argument, hence coalesce).
_MESSAGES_DUE = {
    "sqlite": (
        "min(:warning, coalesce((SELECT min(refund_deadline) FROM messages"
        " WHERE sender_id = members.id AND status = 'awaiting_response'), :warning),"
        " coalesce((SELECT min(reminder_due_at) FROM messages"
        " WHERE recipient_id = members.id), :warning))"
    ),
    "postgresql": (
        "LEAST(:warning, (SELECT min(refund_deadline) FROM messages"
        " WHERE sender_id = members.id AND status = 'awaiting_response'),"
        " (SELECT min(reminder_due_at) FROM messages WHERE recipient_id = members.id))"
    ),
}
_RENEWING = (
    " FROM members m JOIN subscriptions s ON s.member_id = m.id WHERE s.status = 'active'"
    " AND s.next_renewal_at <= :now AND s.warning_due_at IS NULL"
    " AND s.started_at = :started AND s.renewals_done = :done"
)
_JSON = {"sqlite": "json_object", "postgresql": "json_build_object"}
_LEAST = {"sqlite": "min", "postgresql": "LEAST"}
_GREATEST = {"sqlite": "max", "postgresql": "GREATEST"}


def renew_all(conn: Any, plan: Plan, now: datetime) -> None:
    """Every active subscription whose renewal is due by ``now`` (its warning
    decided) renews once, set-based: grants, forfeits over the cap,
    credits_renewed notifications, balances and due times, next dates. One
    statement of each kind per anniversary (started_at and renewals done)."""
    backend = backend_of(conn)
    least, greatest, obj = _LEAST[backend], _GREATEST[backend], _JSON[backend]
    with transaction(conn):
        groups = run(
            conn,
            "SELECT DISTINCT s.started_at, s.renewals_done"
            + _RENEWING.split(" AND s.started_at")[0],
            {"now": now},
        ).fetchall()
        for started_text, done in groups:
            started = _time(started_text)
            assert started is not None
            renewal = renewal_at(started, done + 2)
            p = {
                "now": now,
                "started": started,
                "done": done,
                "monthly": plan.monthly_credits,
                "cap": plan.max_balance,
                "renewal": renewal,
                "warning": warning_at(renewal),
            }
            run(
                conn,
                "INSERT INTO ledger_entries (member_id, at, kind, amount, balance_after, note)"
                " SELECT m.id, s.next_renewal_at, 'grant', :monthly, m.balance + :monthly,"
                " 'monthly renewal'" + _RENEWING + " ORDER BY m.id",
                p,
            )
            run(
                conn,
                "INSERT INTO ledger_entries (member_id, at, kind, amount, balance_after, note)"
                " SELECT m.id, s.next_renewal_at, 'forfeit', :cap - m.balance - :monthly, :cap,"
                " 'over the plan''s cap'" + _RENEWING + " AND m.balance + :monthly > :cap"
                " ORDER BY m.id",
                p,
            )
            run(
                conn,
                "INSERT INTO notifications (member_id, kind, at, message_id, data)"
                f" SELECT m.id, 'credits_renewed', s.next_renewal_at, NULL, {obj}("
                f"'granted', :monthly, 'forfeited', {greatest}(0, m.balance + :monthly - :cap),"
                f" 'balance', {least}(m.balance + :monthly, :cap))" + _RENEWING + " ORDER BY m.id",
                p,
            )
            run(
                conn,
                f"UPDATE members SET balance = {least}(balance + :monthly, :cap),"
                f" due_at = {_MESSAGES_DUE[backend]} WHERE id IN (SELECT m.id" + _RENEWING + ")",
                p,
            )
            run(
                conn,
                "UPDATE subscriptions SET renewals_done = renewals_done + 1,"
                " next_renewal_at = :renewal, warning_due_at = :warning"
                " WHERE status = 'active' AND next_renewal_at <= :now AND warning_due_at IS NULL"
                " AND started_at = :started AND renewals_done = :done",
                p,
            )


# -- figure 4: every InMail reaching its refund deadline at once -----------------

_TRUE_DUE = (
    "(SELECT min(t) FROM ("
    " SELECT next_renewal_at AS t FROM subscriptions WHERE member_id = members.id"
    " UNION ALL SELECT warning_due_at FROM subscriptions WHERE member_id = members.id"
    " UNION ALL SELECT min(refund_deadline) FROM messages"
    " WHERE sender_id = members.id AND status = 'awaiting_response'"
    " UNION ALL SELECT min(reminder_due_at) FROM messages WHERE recipient_id = members.id"
    ") AS due)"
)


def expire_all(conn: Any, now: datetime) -> None:
    """Every InMail past its refund deadline expires, set-based: an
    inmail_expired notification to each sender (dated at the deadline), the
    status, and the senders' next due times."""
    with transaction(conn):
        p = {"now": now}
        run(
            conn,
            "INSERT INTO notifications (member_id, kind, at, message_id, data)"
            " SELECT sender_id, 'inmail_expired', refund_deadline, id, '{}' FROM messages"
            " WHERE status = 'awaiting_response' AND refund_deadline <= :now"
            " ORDER BY refund_deadline, id",
            p,
        )
        run(
            conn,
            "UPDATE messages SET status = 'expired'"
            " WHERE status = 'awaiting_response' AND refund_deadline <= :now",
            p,
        )
        run(conn, f"UPDATE members SET due_at = {_TRUE_DUE} WHERE due_at <= :now", p)


# -- figure 5: the credits summary and the first ledger page ---------------------

_ACCOUNT = (
    "SELECT m.balance, m.due_at, s.plan, s.status, s.next_renewal_at FROM members m"
    " LEFT JOIN subscriptions s ON s.member_id = m.id WHERE m.id = :id"
)
_COUNTS = (
    "SELECT count(*), count(*) FILTER (WHERE status = 'responded'),"
    " count(*) FILTER (WHERE status = 'awaiting_response' AND credit_charged)"
    " FROM messages WHERE sender_id = :id AND kind = 'inmail'"
)
_LEDGER = (
    "SELECT id, at, kind, amount, balance_after, message_id, note FROM ledger_entries"
    " WHERE member_id = :id ORDER BY id DESC LIMIT :limit"
)
_CLOCK = "SELECT now FROM clock WHERE id = 1"


def _rfc3339(value: Any) -> str | None:
    time = _time(value)
    return None if time is None else time.isoformat().replace("+00:00", "Z")


def credits(conn: Any, member_id: str, plans: dict[str, Plan]) -> dict[str, Any] | None:
    """The credits summary: the clock, the account, its InMail counts (one
    read transaction; nothing is due in the benchmark's data)."""
    with transaction_read(conn):
        now = run(conn, _CLOCK).fetchone()[0]
        row = run(conn, _ACCOUNT, {"id": member_id}).fetchone()
        if row is None:
            return None
        sent, responded, awaiting = run(conn, _COUNTS, {"id": member_id}).fetchone()
    balance, _due, plan_code, status, next_renewal = row
    plan = plans[plan_code] if status in ("active", "cancelling") else None
    grant = plan.monthly_credits if plan else 0
    cap = plan.max_balance if plan else 0
    return {
        "balance": balance,
        "plan": plan_code if plan else None,
        "monthly_credits": plan.monthly_credits if plan else None,
        "max_balance": plan.max_balance if plan else None,
        "next_renewal_at": _rfc3339(next_renewal) if plan else None,
        "next_renewal_credits": max(0, min(balance + grant, cap) - balance) if plan else 0,
        "forfeit_at_next_renewal": max(0, balance + grant - cap) if plan else 0,
        "awaiting_response": awaiting,
        "response_rate": responded / sent if sent else None,
        "as_of": _rfc3339(now),
    }


def ledger_page(conn: Any, member_id: str, limit: int = 50) -> dict[str, Any] | None:
    """The newest ``limit`` entries and the cursor to the next page."""
    with transaction_read(conn):
        if run(conn, "SELECT 1 FROM members WHERE id = :id", {"id": member_id}).fetchone() is None:
            return None
        rows = run(conn, _LEDGER, {"id": member_id, "limit": limit + 1}).fetchall()
    entries = [
        {
            "id": r[0],
            "at": _rfc3339(r[1]),
            "kind": r[2],
            "amount": r[3],
            "balance_after": r[4],
            "message_id": r[5],
            "note": r[6],
        }
        for r in rows[:limit]
    ]
    cursor = str(entries[-1]["id"]) if len(rows) > limit else None
    return {"entries": entries, "next_cursor": cursor}


@contextmanager
def transaction_read(conn: Any) -> Iterator[None]:
    conn.execute("BEGIN")
    try:
        yield
    finally:
        conn.execute("COMMIT")


def dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))
