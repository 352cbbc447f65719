"""What the metrics read from the database at scrape time."""

from __future__ import annotations

from inmail.service.context import Context
from inmail.store import stats


def ledger_totals(ctx: Context, kinds: list[str]) -> dict[str, int]:
    """The sum of the amounts of each ledger entry kind (signed)."""
    # A plain read transaction: no clock reading is needed for a sum.
    with ctx.database.transaction(write=False) as conn:
        return stats.ledger_totals(conn, kinds)
