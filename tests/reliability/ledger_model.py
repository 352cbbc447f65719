"""A small reference model of the balances, for replaying acknowledged
requests in the order they were acknowledged.

Written from the product contract's rules, not from the engine, and only as much of it as
balances need: first grants, renewals (grant up to the cap), the end of a
cancelled subscription (the balance forfeited), InMail spends and refunds,
and adjustments. Notifications, reminders and expiries move no credit, so
they are left out (an expired InMail is simply one whose refund window
closed). Each operation is applied at the server's own time for it, so due
events (renewals, ends) land before it exactly as settle-before-act applies
them.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import datetime, timedelta

PLANS = {"pro": (20, 60), "teams": (30, 90), "enterprise": (50, 150)}
REFUND_WINDOW = timedelta(days=90)


def anniversary(start: datetime, months: int) -> datetime:
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    return start.replace(year=year, month=month, day=min(start.day, monthrange(year, month)))


def monthrange(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


@dataclass
class Sub:
    plan: str
    started_at: datetime
    renewals_done: int = 0
    status: str = "active"
    ends_at: datetime | None = None

    @property
    def next_at(self) -> datetime:
        return anniversary(self.started_at, self.renewals_done + 1)


@dataclass
class InMail:
    sender: str
    recipient: str
    deadline: datetime
    charged: bool
    responded: bool = False
    refunded: bool = False


@dataclass
class Model:
    balances: dict[str, int] = field(default_factory=dict)
    subs: dict[str, Sub] = field(default_factory=dict)
    inmails: dict[int, InMail] = field(default_factory=dict)
    wrote: set[tuple[str, str]] = field(default_factory=set)
    connected: set[frozenset[str]] = field(default_factory=set)
    mismatches: list[str] = field(default_factory=list)

    def add_member(self, member_id: str) -> None:
        self.balances[member_id] = 0

    def connect(self, a: str, b: str) -> None:
        self.connected.add(frozenset((a, b)))

    def advance(self, member: str, to: datetime, *, strict: bool = False) -> None:
        """Apply the member's renewals and end due at ``to`` (before it, if strict)."""
        sub = self.subs.get(member)
        while sub is not None and sub.status != "cancelled":
            due = sub.next_at
            if due > to or (strict and due == to):
                return
            if sub.status == "cancelling":
                assert sub.ends_at == due, (member, sub, due)
                self.balances[member] = 0
                sub.status = "cancelled"
                return
            monthly, cap = PLANS[sub.plan]
            self.balances[member] = min(self.balances[member] + monthly, cap)
            sub.renewals_done += 1

    # ---- the acknowledged operations ----------------------------------------

    def send(self, at: datetime, sender: str, to: str, message_id: int, charged: bool) -> None:
        self.advance(sender, at)
        self.advance(to, at)
        inmail = frozenset((sender, to)) not in self.connected and (to, sender) not in self.wrote
        if inmail != charged:  # no open profiles here: every InMail is paid
            self.mismatches.append(f"message {message_id}: model charge {inmail}, server {charged}")
        if inmail:
            self.balances[sender] -= 1
            self.inmails[message_id] = InMail(sender, to, at + REFUND_WINDOW, True)
        self.wrote.add((sender, to))
        self._respond(at, responder=sender, inmail_sender=to)

    def _respond(self, at: datetime, *, responder: str, inmail_sender: str) -> None:
        for inmail in self.inmails.values():
            if (inmail.sender, inmail.recipient) != (inmail_sender, responder):
                continue
            if inmail.responded:
                continue
            inmail.responded = True
            if inmail.charged and at < inmail.deadline:
                self.advance(inmail_sender, at)
                self.balances[inmail_sender] += 1
                inmail.refunded = True

    def adjust(self, at: datetime, member: str, amount: int) -> None:
        self.advance(member, at)
        self.balances[member] += amount

    def put_subscription(
        self, member: str, plan: str, started_at: datetime, next_renewal_at: datetime
    ) -> None:
        sub = self.subs.get(member)
        if sub is not None and sub.status != "cancelled" and sub.started_at == started_at:
            # Taking a cancel back (or nothing): somewhere before next_renewal_at.
            self.advance(member, next_renewal_at, strict=True)
            if sub.status == "cancelled":
                self.mismatches.append(f"{member}: resumed a subscription that had ended")
            sub.status, sub.ends_at, sub.plan = "active", None, plan
            return
        self.advance(member, started_at)
        sub = self.subs.get(member)
        if sub is not None and sub.status != "cancelled":
            self.mismatches.append(f"{member}: a new start at {started_at} over {sub}")
        self.subs[member] = Sub(plan=plan, started_at=started_at)
        self.balances[member] += PLANS[plan][0]

    def cancel(self, member: str, ends_at: datetime) -> None:
        self.advance(member, ends_at, strict=True)
        sub = self.subs[member]
        if sub.status == "cancelling":
            if sub.ends_at != ends_at:
                self.mismatches.append(f"{member}: cancelled twice, ends {sub.ends_at}/{ends_at}")
            return
        if sub.next_at != ends_at:
            self.mismatches.append(f"{member}: ends_at {ends_at}, model {sub.next_at}")
        sub.status, sub.ends_at = "cancelling", ends_at

    def refunded_ids(self) -> set[int]:
        return {i for i, m in self.inmails.items() if m.refunded}

    def charged_ids(self) -> set[int]:
        return {i for i, m in self.inmails.items() if m.charged}
