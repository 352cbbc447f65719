"""Totals over the whole database: the ledger's credit totals for the
metrics (the ledger is append-only, so its sums are true counters, and they
include what every process did) and the plans in use."""

from __future__ import annotations

from sqlalchemy import Connection, func, select

from inmail.store.tables import ledger_entries, subscriptions


def ledger_totals(conn: Connection, kinds: list[str]) -> dict[str, int]:
    """The sum of the amounts of each ledger entry kind (signed)."""
    L = ledger_entries.c
    rows = conn.execute(
        select(L.kind, func.coalesce(func.sum(L.amount), 0))
        .where(L.kind.in_(kinds))
        .group_by(L.kind)
    ).all()
    return {kind: int(total) for kind, total in rows}


def plans_in_use(conn: Connection) -> set[str]:
    return set(conn.execute(select(subscriptions.c.plan).distinct()).scalars())
