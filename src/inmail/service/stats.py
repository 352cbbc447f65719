"""What the metrics read from the database at scrape time: the ledger's
credit totals (the ledger is append-only, so its sums are true counters,
and they include what every process did)."""

from __future__ import annotations

from sqlalchemy import func, select

from inmail.service.context import Context
from inmail.store.tables import ledger_entries


def ledger_totals(ctx: Context, kinds: list[str]) -> dict[str, int]:
    """The sum of the amounts of each ledger entry kind (signed)."""
    L = ledger_entries.c
    # A plain read transaction: no clock reading is needed for a sum.
    with ctx.database.transaction(write=False) as conn:
        rows = conn.execute(
            select(L.kind, func.coalesce(func.sum(L.amount), 0))
            .where(L.kind.in_(kinds))
            .group_by(L.kind)
        ).all()
    return {kind: int(total) for kind, total in rows}
