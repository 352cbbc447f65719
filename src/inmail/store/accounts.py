"""An account is a member row and its subscription: read together, locked
together (the member row's lock orders every writer of the account), and
written back together after its due events are applied.

``members.due_at`` is the earliest time anything may fall due for the account
(its subscription's warning, renewal or end, the deadlines of the InMails it
sent, the reminders of those it received). It may be earlier than the truth
(a response leaves it be), never later; settling sets it exactly. So
"anything due?" is one comparison on a row already read, and the worker finds
due accounts with one indexed range scan.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from inmail.store.sql import Query, execute, execute_many, execute_rows, first, rows

_ACCOUNT = """
SELECT m.id, m.name, m.balance, m.inmail_opt_out, m.open_profile, m.created_at, m.due_at,
       s.plan, s.status, s.started_at, s.renewals_done, s.next_renewal_at,
       s.warning_due_at, s.ends_at
FROM members m LEFT JOIN subscriptions s ON s.member_id = m.id
"""
_TIMES = ("created_at", "due_at", "started_at", "next_renewal_at", "warning_due_at", "ends_at")
_FLAGS = ("inmail_opt_out", "open_profile")

READ = Query(_ACCOUNT + "WHERE m.id = :id", times=_TIMES, flags=_FLAGS)
READ_MANY = Query(_ACCOUNT + "WHERE m.id IN {ids} ORDER BY m.id", times=_TIMES, flags=_FLAGS)
# Row locks exist on PostgreSQL only ({lock} is empty on SQLite, whose
# BEGIN IMMEDIATE already holds the one write lock).
LOCK = Query("SELECT id FROM members WHERE id IN {ids} ORDER BY id {lock}")
# The worker's claim: due accounts, oldest first, skipping those another
# worker or a request holds (they are being settled right now).
CLAIM_DUE = Query(
    "SELECT id FROM members WHERE due_at <= :now ORDER BY due_at, id LIMIT :limit {skip_locked}"
)
OLDEST_DUE = Query(
    "SELECT min(due_at) AS due_at FROM members WHERE due_at <= :now", times=["due_at"]
)

DUE_NO_LATER = Query(
    "UPDATE members SET due_at = :due_at WHERE id = :id AND (due_at IS NULL OR due_at > :due_at)"
)
# Settling writes the balance it computed under the lock; the old balance in
# the condition asserts nobody else wrote it meanwhile.
SETTLED = Query(
    "UPDATE members SET balance = r.balance, due_at = r.due_at"
    " FROM {rows:id text, balance integer, old integer, due_at timestamp}"
    " WHERE members.id = r.id AND members.balance = r.old"
)
SUBSCRIPTION_SET = Query(
    "UPDATE subscriptions SET plan = r.plan, status = r.status, started_at = r.started_at,"
    " renewals_done = r.renewals_done, next_renewal_at = r.next_renewal_at,"
    " warning_due_at = r.warning_due_at, ends_at = r.ends_at"
    " FROM {rows:member_id text, plan text, status text, started_at timestamp,"
    " renewals_done integer, next_renewal_at timestamp, warning_due_at timestamp,"
    " ends_at timestamp} WHERE subscriptions.member_id = r.member_id"
)
SUBSCRIPTION_NEW = Query(
    "INSERT INTO subscriptions (member_id, plan, status, started_at, renewals_done,"
    " next_renewal_at, warning_due_at, ends_at) VALUES (:member_id, :plan, :status,"
    " :started_at, :renewals_done, :next_renewal_at, :warning_due_at, :ends_at)"
)

# What of the accounts' InMails is due, and when the rest next falls due.
DUE_DEADLINES = Query(
    "SELECT sender_id AS member_id, refund_deadline AS at, id FROM messages"
    " WHERE sender_id IN {ids} AND status = 'awaiting_response' AND refund_deadline <= :now"
    " ORDER BY refund_deadline, id",
    times=["at"],
)
DUE_REMINDERS = Query(
    "SELECT recipient_id AS member_id, reminder_due_at AS at, id FROM messages"
    " WHERE recipient_id IN {ids} AND reminder_due_at <= :now ORDER BY reminder_due_at, id",
    times=["at"],
)
NEXT_DEADLINES = Query(
    "SELECT sender_id AS member_id, min(refund_deadline) AS at FROM messages"
    " WHERE sender_id IN {ids} AND status = 'awaiting_response' AND refund_deadline > :now"
    " GROUP BY sender_id",
    times=["at"],
)
NEXT_REMINDERS = Query(
    "SELECT recipient_id AS member_id, min(reminder_due_at) AS at FROM messages"
    " WHERE recipient_id IN {ids} AND reminder_due_at > :now GROUP BY recipient_id",
    times=["at"],
)


def read(conn: Connection, member_id: str) -> dict[str, Any] | None:
    """The account without a lock (for reads that find nothing due)."""
    return first(conn, READ, {"id": member_id})


def lock(conn: Connection, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Lock the accounts in id order (so two writers never deadlock) and read
    those that exist.

    On PostgreSQL the lock is ``FOR NO KEY UPDATE``: writers of one account
    queue on it, but the foreign-key checks of other transactions (``FOR KEY
    SHARE`` on the member, when they insert a notification or a ledger entry
    for it) do not wait on it. The accounts are read by a second statement:
    one that waited for the lock would see the member row as the previous
    holder left it but the subscription as it was when the statement began."""
    ordered = sorted(set(ids))
    if conn.dialect.name != "sqlite":
        execute(conn, LOCK, {"ids": ordered})
    return _read_many(conn, ordered)


def claim_due(conn: Connection, now: datetime, limit: int) -> list[dict[str, Any]]:
    """Lock up to ``limit`` due accounts that nobody else holds, and read them
    (as they are now: another worker may have settled one meanwhile)."""
    claimed = [row[0] for row in execute(conn, CLAIM_DUE, {"now": now, "limit": limit})]
    return list(_read_many(conn, claimed).values()) if claimed else []


def _read_many(conn: Connection, ids: list[str]) -> dict[str, dict[str, Any]]:
    return {row["id"]: row for row in rows(conn, READ_MANY, {"ids": ids})}


def oldest_due(conn: Connection, now: datetime) -> datetime | None:
    row = first(conn, OLDEST_DUE, {"now": now})
    return row["due_at"] if row else None


def due_messages(
    conn: Connection, ids: Sequence[str], now: datetime
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(deadlines, reminders) of these accounts due by ``now``, in due order."""
    params = {"ids": ids, "now": now}
    return rows(conn, DUE_DEADLINES, params), rows(conn, DUE_REMINDERS, params)


def next_message_times(
    conn: Connection, ids: Sequence[str], now: datetime
) -> tuple[dict[str, datetime], dict[str, datetime]]:
    """The earliest deadline and reminder after ``now`` of each account."""
    params = {"ids": ids, "now": now}
    return (
        {r["member_id"]: r["at"] for r in rows(conn, NEXT_DEADLINES, params)},
        {r["member_id"]: r["at"] for r in rows(conn, NEXT_REMINDERS, params)},
    )


def due_no_later(conn: Connection, member_id: str, at: datetime | None) -> None:
    """Something new falls due for the account at ``at``."""
    if at is not None:
        execute(conn, DUE_NO_LATER, {"id": member_id, "due_at": at})


def write_settled(conn: Connection, accounts: Sequence[dict[str, Any]]) -> None:
    """Write balances and due times as settling computed them, for many
    accounts in one call. Each row: id, balance, old (the balance read under
    the lock), due_at."""
    changed = execute_rows(conn, SETTLED, accounts)
    if changed != len(accounts):  # the lock was not held: never write on
        raise AssertionError(f"settled {len(accounts)} accounts but wrote {changed}")


def write_subscriptions(
    conn: Connection, subscriptions: Sequence[dict[str, Any]], *, new: bool = False
) -> None:
    if new:
        execute_many(conn, SUBSCRIPTION_NEW, subscriptions)
    else:
        execute_rows(conn, SUBSCRIPTION_SET, subscriptions)
