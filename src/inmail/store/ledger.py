"""The only ways a balance changes, each with its immutable ledger entry in
the same transaction: :func:`post` (one conditional write and its entry) and
:func:`append` (the entries of balances settling computed under the lock)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select

from inmail.store.sql import Query, execute, execute_rows
from inmail.store.tables import ledger_entries

KINDS = ("grant", "forfeit", "spend", "refund", "adjustment")

_CONDITIONAL = " WHERE id = :id AND balance + :amount >= 0 RETURNING balance"
POST = Query("UPDATE members SET balance = balance + :amount" + _CONDITIONAL)
# A spend also makes its InMail's deadline due for the sender.
POST_DUE = Query(
    "UPDATE members SET balance = balance + :amount,"
    " due_at = CASE WHEN due_at IS NULL OR due_at > :due_at THEN :due_at ELSE due_at END"
    + _CONDITIONAL
)
_COLUMNS = "member_id, at, kind, amount, balance_after, message_id, note"
ENTRY = Query(
    f"INSERT INTO ledger_entries ({_COLUMNS})"
    " VALUES (:member_id, :at, :kind, :amount, :balance_after, :message_id, :note)"
)
ENTRIES = Query(
    f"INSERT INTO ledger_entries ({_COLUMNS}) SELECT {_COLUMNS} FROM"
    " {rows:member_id text, at timestamp, kind text, amount integer, balance_after integer,"
    " message_id bigint, note text}"
)


def post(
    conn: Connection,
    member_id: str,
    kind: str,
    amount: int,
    at: datetime,
    *,
    message_id: int | None = None,
    note: str | None = None,
    due_at: datetime | None = None,
) -> int | None:
    """Add ``amount`` to the member's balance and record the entry.

    The balance update is conditional (``balance + amount >= 0``), so two
    concurrent spends can never both take the last credit. ``due_at``, when
    given, is something that now falls due for the account. Returns the new
    balance, or None when the balance would go below zero (nothing written).
    """
    check(kind, amount)
    params: dict[str, Any] = {"id": member_id, "amount": amount}
    if due_at is not None:
        params["due_at"] = due_at
    row = execute(conn, POST if due_at is None else POST_DUE, params).fetchone()
    if row is None:
        return None
    balance_after = int(row[0])
    execute(conn, ENTRY, entry(member_id, kind, amount, at, balance_after, message_id, note))
    return balance_after


def entry(
    member_id: str,
    kind: str,
    amount: int,
    at: datetime,
    balance_after: int,
    message_id: int | None = None,
    note: str | None = None,
) -> dict[str, Any]:
    check(kind, amount)
    if balance_after < 0:
        raise ValueError("a balance is never below zero")
    return {
        "member_id": member_id,
        "at": at,
        "kind": kind,
        "amount": amount,
        "balance_after": balance_after,
        "message_id": message_id,
        "note": note,
    }


def append(conn: Connection, entries: Sequence[dict[str, Any]]) -> None:
    """Write entries made with :func:`entry`, in order, with one statement."""
    execute_rows(conn, ENTRIES, entries)


def check(kind: str, amount: int) -> None:
    if kind not in KINDS:
        raise ValueError(f"unknown ledger entry kind {kind!r}")
    if amount == 0:
        raise ValueError("a ledger entry moves at least one credit")


def page(conn: Connection, member_id: str, *, before_id: int | None, limit: int) -> list[Any]:
    """Up to ``limit`` of the member's entries, newest first, older than ``before_id``."""
    L = ledger_entries.c
    query = select(ledger_entries).where(L.member_id == member_id)
    if before_id is not None:
        query = query.where(L.id < before_id)
    return list(conn.execute(query.order_by(L.id.desc()).limit(limit)).mappings())


def last_entry_at(conn: Connection, member_id: str) -> datetime | None:
    L = ledger_entries.c
    return conn.execute(select(func.max(L.at)).where(L.member_id == member_id)).scalar()  # type: ignore[no-any-return]


def entry_at(conn: Connection, member_id: str, entry_id: int) -> datetime | None:
    L = ledger_entries.c
    query = select(L.at).where(L.member_id == member_id, L.id == entry_id)
    return conn.execute(query).scalar()  # type: ignore[no-any-return]
