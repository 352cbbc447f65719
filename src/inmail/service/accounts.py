"""Opening accounts: lock them, read each once, and apply what fell due
("settle before act"); the worker applies due events with the same code.

Every event is dated at its due time, so no answer depends on when a worker
last ran. The events of many accounts are written together: a few statements
for a whole worker batch, not a round trip per account.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from inmail.domain import due
from inmail.domain.errors import NotFound
from inmail.domain.lifecycle import Ended, Renewed, Subscription, SubscriptionStatus, Warned
from inmail.domain.plans import Plan
from inmail.domain.times import rfc3339
from inmail.service import outbox
from inmail.service.work import Work
from inmail.store import accounts as store
from inmail.store import ledger, notify
from inmail.store import messages as message_store

_STATUSES = {status.value: status for status in SubscriptionStatus}


@dataclass(frozen=True)
class Account:
    """A member's row and subscription, as read once under the lock."""

    id: str
    name: str
    balance: int
    inmail_opt_out: bool
    open_profile: bool
    created_at: datetime
    due_at: datetime | None
    subscription: Subscription | None

    @classmethod
    def of(cls, row: dict[str, Any]) -> Account:
        sub = None
        if row["status"] is not None:
            sub = Subscription(
                plan=row["plan"],
                status=_STATUSES[row["status"]],
                started_at=row["started_at"],
                renewals_done=row["renewals_done"],
                next_renewal_at=row["next_renewal_at"],
                warning_due_at=row["warning_due_at"],
                ends_at=row["ends_at"],
            )
        return cls(
            id=row["id"],
            name=row["name"],
            balance=row["balance"],
            inmail_opt_out=row["inmail_opt_out"],
            open_profile=row["open_profile"],
            created_at=row["created_at"],
            due_at=row["due_at"],
            subscription=sub,
        )

    def settled(self, settlement: due.Settlement, due_at: datetime | None) -> Account:
        # Built directly: dataclasses.replace costs more, a million times a peak.
        return Account(
            self.id,
            self.name,
            settlement.balance,
            self.inmail_opt_out,
            self.open_profile,
            self.created_at,
            due_at,
            settlement.subscription,
        )

    def is_due(self, now: datetime) -> bool:
        return self.due_at is not None and self.due_at <= now

    @property
    def subscribed(self) -> bool:
        """May send InMails: an active or cancelling subscription."""
        return self.subscription is not None and self.subscription.status.live

    def plan(self, plans: dict[str, Plan]) -> Plan | None:
        """The plan of a live subscription."""
        return plans[self.subscription.plan] if self.subscribed else None  # type: ignore[union-attr]


def open_accounts(work: Work, ids: Sequence[str]) -> dict[str, Account]:
    """Lock the accounts, settle them, and keep them on ``work``. A missing
    one is NotFound, checked in the order given."""
    locked = lock(work, ids)
    for member_id in ids:
        if member_id not in locked:
            raise NotFound(f"no member {member_id!r}")
    settled = settle(work, list(locked.values()))
    work.accounts.update(settled)
    return settled


def lock(work: Work, ids: Iterable[str]) -> dict[str, Account]:
    """Lock and read the accounts that exist, without settling them."""
    locked = {mid: Account.of(row) for mid, row in store.lock(work.conn, ids).items()}
    work.refresh_now()
    return locked


def settle(work: Work, accounts: Sequence[Account]) -> dict[str, Account]:
    """Apply every event due at or before ``work.now`` to these locked
    accounts; returns them as they are after it. Accounts with nothing due
    cost nothing."""
    settled = {a.id: a for a in accounts}
    owed = [a for a in accounts if a.is_due(work.now)]
    if not owed:
        return settled
    writes = _Writes()
    ids = [a.id for a in owed]
    deadlines, reminders = _by_member(*store.due_messages(work.conn, ids, work.now))
    next_deadline, next_reminder = store.next_message_times(work.conn, ids, work.now)
    for account in owed:
        settlement = due.settle(
            account.subscription,
            account.balance,
            work.plans,
            work.now,
            deadlines=deadlines[account.id],
            reminders=reminders[account.id],
        )
        writes.events(account, settlement)
        due_at = due.next_due_at(
            settlement.subscription, next_deadline.get(account.id), next_reminder.get(account.id)
        )
        writes.account(account, settlement, due_at)
        settled[account.id] = account.settled(settlement, due_at)
    writes.flush(work)
    return settled


def _by_member(
    *found: list[dict[str, Any]],
) -> list[defaultdict[str, list[tuple[datetime, int]]]]:
    grouped = []
    for rows in found:
        by_member: defaultdict[str, list[tuple[datetime, int]]] = defaultdict(list)
        for row in rows:
            by_member[row["member_id"]].append((row["at"], row["id"]))
        grouped.append(by_member)
    return grouped


class _Writes:
    """What settling many accounts writes, gathered to be written together."""

    def __init__(self) -> None:
        self.entries: list[dict[str, Any]] = []
        self.notifications: list[dict[str, Any]] = []
        self.balances: list[dict[str, Any]] = []
        self.subscriptions: list[dict[str, Any]] = []
        self.expired: list[int] = []
        self.reminded: list[int] = []
        self.ended: list[tuple[str, Subscription, datetime]] = []

    def events(self, account: Account, settlement: due.Settlement) -> None:
        member, balance = account.id, account.balance

        def post(kind: str, amount: int, at: datetime, note: str) -> None:
            nonlocal balance
            balance += amount
            self.entries.append(ledger.entry(member, kind, amount, at, balance, note=note))

        for event in settlement.events:
            if isinstance(event, Renewed):
                post("grant", event.grant, event.at, "monthly renewal")
                if event.forfeit:
                    post("forfeit", -event.forfeit, event.at, "over the plan's cap")
                data = {"granted": event.grant, "forfeited": event.forfeit, "balance": balance}
                self.notifications.append(
                    notify.notification(member, "credits_renewed", event.at, data=data)
                )
            elif isinstance(event, Ended):
                if event.forfeit:
                    post("forfeit", -event.forfeit, event.at, "subscription ended")
                assert settlement.subscription is not None
                self.ended.append((member, settlement.subscription, event.at))
            elif isinstance(event, Warned):
                data = {
                    "renewal_at": rfc3339(event.renewal_at),
                    "balance": event.balance,
                    "monthly_credits": event.plan.monthly_credits,
                    "max_balance": event.plan.max_balance,
                    "forfeit": event.forfeit,
                }
                self.notifications.append(
                    notify.notification(member, "cap_forfeit_warning", event.at, data=data)
                )
            elif isinstance(event, due.Expired):
                self.expired.append(event.message_id)
                self.notifications.append(
                    notify.notification(
                        member, "inmail_expired", event.at, message_id=event.message_id
                    )
                )
            else:
                self.reminded.append(event.message_id)
                self.notifications.append(
                    notify.notification(
                        member, "inmail_reminder", event.at, message_id=event.message_id
                    )
                )
        assert balance == settlement.balance, (member, balance, settlement.balance)

    def account(
        self, account: Account, settlement: due.Settlement, due_at: datetime | None
    ) -> None:
        self.balances.append(
            {
                "id": account.id,
                "balance": settlement.balance,
                "old": account.balance,
                "due_at": due_at,
            }
        )
        sub = settlement.subscription
        if sub is not None and sub != account.subscription:
            self.subscriptions.append(subscription_row(account.id, sub))

    def flush(self, work: Work) -> None:
        store.write_settled(work.conn, self.balances)
        store.write_subscriptions(work.conn, self.subscriptions)
        outbox.append_entries(work, self.entries)
        message_store.mark_due(work.conn, expired=self.expired, reminded=self.reminded)
        notify.append(work.conn, self.notifications)
        outbox.notified(work, self.notifications)
        for member_id, sub, at in self.ended:
            outbox.subscription_changed(work, member_id, sub, at)


def subscription_row(member_id: str, sub: Subscription) -> dict[str, Any]:
    return {
        "member_id": member_id,
        "plan": sub.plan,
        "status": sub.status.value,
        "started_at": sub.started_at,
        "renewals_done": sub.renewals_done,
        "next_renewal_at": sub.next_renewal_at,
        "warning_due_at": sub.warning_due_at,
        "ends_at": sub.ends_at,
    }
