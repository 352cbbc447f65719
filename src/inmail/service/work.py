"""One open transaction, the one ``now`` it acts at, and the accounts it
opened (locked and settled, or read with nothing due)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from inmail.clock import Clock
from inmail.domain.plans import Plan

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from inmail.service.accounts import Account


@dataclass
class Work:
    conn: Connection
    now: datetime
    plans: dict[str, Plan]
    clock: Clock
    accounts: dict[str, Account] = field(default_factory=dict)
    # Webhook events to write before the commit (service.outbox), and the
    # enabled endpoints with their filters, read once when first needed.
    events: list[Any] = field(default_factory=list)
    listeners: list[tuple[str, list[str] | None]] | None = None

    def refresh_now(self) -> None:
        """Read the clock again after waiting for account locks.

        On PostgreSQL a transaction that read ``now`` and then queued behind
        another writer of the same account would otherwise act at a time
        earlier than what that writer committed (a response queued behind the
        expiry at its deadline would be dated before it). SQLite takes its
        write lock before the clock is first read, so it needs no second look.
        """
        if self.conn.dialect.name != "sqlite":
            self.now = max(self.now, self.clock.now(self.conn))
