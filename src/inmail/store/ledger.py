"""The only ways a balance changes, each with its immutable ledger entry in
the same transaction: :func:`post` (one conditional write and its entry) and
:func:`append` (the entries of balances settling computed under the lock)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select

from inmail.store.sql import Query, execute, execute_rows, returned_rows
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
    " RETURNING id"
)
ENTRIES = Query(
    f"INSERT INTO ledger_entries ({_COLUMNS}) SELECT {_COLUMNS} FROM"
    " {rows:member_id text, at timestamp, kind text, amount integer, balance_after integer,"
    " message_id bigint, note text}"
)
# The same, returning the new ids (for the webhooks' ledger_entry events).
ENTRIES_IDS = Query(ENTRIES.sql + " RETURNING id")


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
) -> dict[str, Any] | None:
    """Add ``amount`` to the member's balance and record the entry.

    The balance update is conditional (``balance + amount >= 0``), so two
    concurrent spends can never both take the last credit. ``due_at``, when
    given, is something that now falls due for the account. Returns the entry
    written (with its ``id``), or None when the balance would go below zero
    (nothing written).
    """
    check(kind, amount)
    params: dict[str, Any] = {"id": member_id, "amount": amount}
    if due_at is not None:
        params["due_at"] = due_at
    row = execute(conn, POST if due_at is None else POST_DUE, params).fetchone()
    if row is None:
        return None
    written = entry(member_id, kind, amount, at, int(row[0]), message_id, note)
    written["id"] = int(execute(conn, ENTRY, written).fetchone()[0])
    return written


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


def append(conn: Connection, entries: Sequence[dict[str, Any]], *, ids: bool = False) -> None:
    """Write entries made with :func:`entry`, in order, with one statement;
    with ``ids``, set each entry's new ``id`` on it."""
    if not ids:
        execute_rows(conn, ENTRIES, entries)
        return
    # Ids are handed out in the order the rows are inserted, which is the
    # batch's order; RETURNING itself promises no order, so sort them.
    new_ids = sorted(row[0] for row in returned_rows(conn, ENTRIES_IDS, entries))
    for written, new_id in zip(entries, new_ids, strict=True):
        written["id"] = int(new_id)


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
