"""What every use case needs: the database, the clock and the plans, and the
unit of work that binds one transaction to one reading of the clock and opens
the accounts an operation touches (settling them first)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import timedelta

from inmail.clock import Clock, ManualClock
from inmail.domain.errors import NotFound, PlansFileError
from inmail.domain.plans import DEFAULT_PLANS, Plan
from inmail.service import outbox
from inmail.service.accounts import Account, open_accounts
from inmail.service.webhook_config import WebhookConfig
from inmail.service.work import Work
from inmail.store import accounts as account_store
from inmail.store import stats
from inmail.store.database import Database

__all__ = ["Context", "Work"]

_current: ContextVar[Work | None] = ContextVar("inmail_current_work", default=None)


@dataclass
class Context:
    database: Database
    clock: Clock
    plans: dict[str, Plan] = field(default_factory=lambda: dict(DEFAULT_PLANS))
    # How long a stored idempotent answer is kept (service.idempotency).
    idempotency_retention: timedelta = timedelta(days=7)
    webhooks: WebhookConfig = field(default_factory=WebhookConfig)

    @contextmanager
    def unit_of_work(self, *, write: bool = True, accounts: Sequence[str] = ()) -> Iterator[Work]:
        """A transaction that commits when the block ends and rolls back if it
        raises, with ``accounts`` locked and settled on ``work.accounts`` (a
        missing one is NotFound). Opened inside another one (an idempotent
        request stores its answer with its effect), it joins it as a savepoint."""
        outer = _current.get()
        if outer is not None:
            gathered = len(outer.events)
            try:
                with outer.conn.begin_nested():
                    if accounts:
                        open_accounts(outer, accounts)
                    yield outer
            except BaseException:
                del outer.events[gathered:]  # their cause was rolled back
                raise
            return
        with self.database.transaction(write=write) as conn:
            work = Work(conn=conn, now=self.clock.now(conn), plans=self.plans, clock=self.clock)
            token = _current.set(work)
            try:
                if accounts:
                    open_accounts(work, accounts)
                yield work
                outbox.flush(work)  # the events commit with their causes, or not at all
            finally:
                _current.reset(token)

    @contextmanager
    def reading(self, member_id: str) -> Iterator[Work]:
        """A unit of work that reads ``member_id``'s account: a read-only
        transaction that locks nothing when nothing is due for it, else a
        write that settles it first. Either way ``work.accounts`` holds it."""
        with self.unit_of_work(write=False) as work:
            row = account_store.read(work.conn, member_id)
            if row is None:
                raise NotFound(f"no member {member_id!r}")
            account = Account.of(row)
            if not account.is_due(work.now):
                work.accounts[member_id] = account
                yield work
                return
        with self.unit_of_work(accounts=[member_id]) as work:
            yield work

    def check_plans(self) -> None:
        """Refuse to run with a plans file that lacks a plan still in use."""
        with self.unit_of_work(write=isinstance(self.clock, ManualClock)) as work:
            used = stats.plans_in_use(work.conn)
        missing = sorted(used - set(self.plans))
        if missing:
            raise PlansFileError(
                "subscriptions use plans missing from the plans file: " + ", ".join(missing)
            )
