"""The only way a balance changes: one immutable ledger entry written in the
same statement pair as the balance it explains."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, insert, update

from inmail.store.tables import ledger_entries, members

KINDS = ("grant", "forfeit", "spend", "refund", "adjustment")


def post(
    conn: Connection,
    member_id: str,
    kind: str,
    amount: int,
    at: datetime,
    *,
    message_id: int | None = None,
    note: str | None = None,
) -> int | None:
    """Add ``amount`` to the member's balance and record the entry.

    The balance update is conditional (``balance + amount >= 0``), so two
    concurrent spends can never both take the last credit. Returns the new
    balance, or None when the balance would go below zero (nothing written).
    """
    if kind not in KINDS:
        raise ValueError(f"unknown ledger entry kind {kind!r}")
    if amount == 0:
        raise ValueError("a ledger entry moves at least one credit")
    balance_after = conn.execute(
        update(members)
        .where(members.c.id == member_id, members.c.balance + amount >= 0)
        .values(balance=members.c.balance + amount)
        .returning(members.c.balance)
    ).scalar()
    if balance_after is None:
        return None
    conn.execute(
        insert(ledger_entries).values(
            member_id=member_id,
            at=at,
            kind=kind,
            amount=amount,
            balance_after=balance_after,
            message_id=message_id,
            note=note,
        )
    )
    return int(balance_after)
