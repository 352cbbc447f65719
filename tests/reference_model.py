"""A reference model of the product contract's rules, in plain Python.

It is written from the contract, not from the engine: everything lives in
dicts and lists, time moves only through :meth:`Model.move_clock`, and every
rule is one short, literal piece of code. Speed does not matter here.

How time is modelled: the contract says that due events (renewals, the
cap-forfeit warning, the end of a cancelled subscription, expiries and
reminders) are applied before any operation that touches an account, each at
its own due time, so no answer may depend on when a worker ran. The model
therefore applies them *eagerly*, in due-time order, whenever the clock
moves: a reminder whose time has come goes out, dated at that time, even if
a response follows before any worker runs.

Where the contract leaves a choice open, the model takes the engine's
reading:

- a response is any message from an InMail's recipient to its sender; it
  answers every InMail of that sender to that recipient that had no response
  yet; ``response_received`` goes once per message that answers at least one;
- the first grant sends no ``credits_renewed``; the end of a cancelled
  subscription forfeits the whole balance and sends nothing;
- ``cap_forfeit_warning`` is decided at renewal - 7 days with that moment's
  balance and plan, only if the subscription is active (not cancelling) then;
- ``started_at`` earlier than the member's latest ledger entry, or than the
  end of their previous subscription, is refused;
- ``response_rate`` is InMails with status ``responded`` (answered inside the
  window, or an open-profile InMail answered at all) over every InMail sent;
  ``awaiting_response`` counts paid InMails still awaiting;
- while cancelling, the credits summary shows ``next_renewal_credits`` 0 and
  ``forfeit_at_next_renewal`` the whole balance; a cancelled subscription
  keeps its plan and ``ends_at`` and has no ``next_renewal_at``.

Refused operations raise :class:`Refused` with the contract's error code and
change nothing.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

# plan code: (monthly credits, most a balance can hold)
PLANS: dict[str, tuple[int, int]] = {"pro": (20, 60), "teams": (30, 90), "enterprise": (50, 150)}
REMINDER_AFTER = timedelta(days=3)
REFUND_WINDOW = timedelta(days=90)
WARNING_BEFORE = timedelta(days=7)
QUICK_REPLIES = ("interested", "maybe_later", "not_interested")
BODY_MAX = 2000
SUBJECT_MAX = 200
REASON_MAX = 500
ADJUSTMENT_MAX = 1_000_000


class Refused(Exception):
    """The operation is refused with the contract's error ``code``."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def anniversary(start: datetime, months: int) -> datetime:
    """``start`` plus whole calendar months; a month without that day uses its last day."""
    month_index = start.month - 1 + months
    year = start.year + month_index // 12
    month = month_index % 12 + 1
    last_day = calendar.monthrange(year, month)[1]
    return start.replace(year=year, month=month, day=min(start.day, last_day))


@dataclass
class Entry:
    kind: str
    amount: int
    at: datetime
    balance_after: int
    message_id: int | None


@dataclass
class Notification:
    kind: str
    at: datetime
    message_id: int | None


@dataclass
class Member:
    id: str
    inmail_opt_out: bool
    open_profile: bool
    created_at: datetime
    balance: int = 0
    entries: list[Entry] = field(default_factory=list)
    notifications: list[Notification] = field(default_factory=list)


@dataclass
class Subscription:
    plan: str
    status: str  # active, cancelling, cancelled
    started_at: datetime
    renewals_done: int = 0
    ends_at: datetime | None = None
    # whether the warning moment (renewal - 7 days) of the next renewal has passed
    warning_decided: bool = False

    @property
    def monthly(self) -> int:
        return PLANS[self.plan][0]

    @property
    def cap(self) -> int:
        return PLANS[self.plan][1]

    @property
    def next_renewal_at(self) -> datetime | None:
        if self.status == "cancelled":
            return None
        return anniversary(self.started_at, self.renewals_done + 1)


@dataclass
class Message:
    id: int
    sender: str
    recipient: str
    subject: str | None
    body: str
    kind: str  # "inmail" or "message"
    credit_charged: bool
    sent_at: datetime
    in_reply_to: int | None
    quick_reply: str | None
    responded_at: datetime | None = None
    refunded: bool = False
    expired: bool = False
    reminded: bool = False
    hidden_for_sender: bool = False
    hidden_for_recipient: bool = False

    @property
    def refund_deadline(self) -> datetime | None:
        return self.sent_at + REFUND_WINDOW if self.credit_charged else None

    @property
    def reminder_at(self) -> datetime | None:
        return self.sent_at + REMINDER_AFTER if self.kind == "inmail" else None

    @property
    def status(self) -> str:
        if self.kind != "inmail":
            return "delivered"
        if self.expired:
            return "expired"
        if self.responded_at is not None:
            return "responded"
        return "awaiting_response"


class Model:
    def __init__(self, now: datetime) -> None:
        self.now = now
        self.members: dict[str, Member] = {}
        self.connections: set[frozenset[str]] = set()
        self.subscriptions: dict[str, Subscription] = {}
        self.messages: dict[int, Message] = {}

    # -- small helpers -------------------------------------------------------

    def _member(self, member_id: str) -> Member:
        if member_id not in self.members:
            raise Refused("not-found")
        return self.members[member_id]

    def _post(
        self, member_id: str, kind: str, amount: int, at: datetime, message_id: int | None = None
    ) -> None:
        member = self.members[member_id]
        member.balance += amount
        assert member.balance >= 0, (member_id, kind, amount)
        member.entries.append(Entry(kind, amount, at, member.balance, message_id))

    def _notify(
        self, member_id: str, kind: str, at: datetime, message_id: int | None = None
    ) -> None:
        self.members[member_id].notifications.append(Notification(kind, at, message_id))

    # -- time ----------------------------------------------------------------

    def move_clock(self, to: datetime, *, process: bool = True) -> None:
        if to < self.now:
            raise Refused("validation-error")
        self._apply_due_events(to)
        self.now = to
        if process:
            self.run_due()

    def run_due(self) -> None:
        """The worker adds nothing to settling: every due event is applied already."""
        self._apply_due_events(self.now)

    def _due_events(self, until: datetime) -> list[tuple[datetime, int, Any]]:
        events: list[tuple[datetime, int, Any]] = []
        for member_id, sub in self.subscriptions.items():
            renewal = sub.next_renewal_at
            if renewal is None:
                continue
            if not sub.warning_decided and renewal - WARNING_BEFORE <= until:
                events.append((renewal - WARNING_BEFORE, len(events), ("warning", member_id)))
            if renewal <= until:
                events.append((renewal, len(events), ("renewal", member_id)))
        for message in self.messages.values():
            deadline = message.refund_deadline
            if (
                deadline is not None
                and deadline <= until
                and message.responded_at is None
                and not message.expired
            ):
                events.append((deadline, len(events), ("expiry", message.id)))
            reminder = message.reminder_at
            if (
                reminder is not None
                and reminder <= until
                and message.responded_at is None
                and not message.reminded
            ):
                events.append((reminder, len(events), ("reminder", message.id)))
        return events

    def _apply_due_events(self, until: datetime) -> None:
        while True:
            events = self._due_events(until)
            if not events:
                return
            at, _, (what, key) = min(events)
            if what == "warning":
                self._warning(key, at)
            elif what == "renewal":
                self._renewal(key, at)
            elif what == "reminder":
                self._reminder(key, at)
            else:
                self._expiry(key, at)

    def _warning(self, member_id: str, at: datetime) -> None:
        sub = self.subscriptions[member_id]
        sub.warning_decided = True
        balance = self.members[member_id].balance
        if sub.status == "active" and balance + sub.monthly > sub.cap:
            self._notify(member_id, "cap_forfeit_warning", at)

    def _renewal(self, member_id: str, at: datetime) -> None:
        sub = self.subscriptions[member_id]
        member = self.members[member_id]
        if sub.status == "cancelling":
            if member.balance > 0:
                self._post(member_id, "forfeit", -member.balance, at)
            sub.status = "cancelled"
            return
        self._post(member_id, "grant", sub.monthly, at)
        if member.balance > sub.cap:
            self._post(member_id, "forfeit", sub.cap - member.balance, at)
        self._notify(member_id, "credits_renewed", at)
        sub.renewals_done += 1
        sub.warning_decided = False

    def _reminder(self, message_id: int, at: datetime) -> None:
        message = self.messages[message_id]
        message.reminded = True
        self._notify(message.recipient, "inmail_reminder", at, message_id)

    def _expiry(self, message_id: int, at: datetime) -> None:
        message = self.messages[message_id]
        message.expired = True
        self._notify(message.sender, "inmail_expired", at, message_id)

    # -- members and connections ---------------------------------------------

    def create_member(self, member_id: str, *, inmail_opt_out: bool, open_profile: bool) -> None:
        if member_id in self.members:
            raise Refused("conflict")
        self.members[member_id] = Member(member_id, inmail_opt_out, open_profile, self.now)

    def update_member(
        self, member_id: str, *, inmail_opt_out: bool | None, open_profile: bool | None
    ) -> None:
        member = self._member(member_id)
        if inmail_opt_out is not None:
            member.inmail_opt_out = inmail_opt_out
        if open_profile is not None:
            member.open_profile = open_profile

    def _check_pair(self, a: str, b: str) -> None:
        self._member(a)
        self._member(b)
        if a == b:
            raise Refused("validation-error")

    def connect(self, a: str, b: str) -> None:
        self._check_pair(a, b)
        self.connections.add(frozenset((a, b)))

    def disconnect(self, a: str, b: str) -> None:
        self._check_pair(a, b)
        self.connections.discard(frozenset((a, b)))

    def connections_of(self, member_id: str) -> list[str]:
        self._member(member_id)
        return sorted(
            other
            for pair in self.connections
            if member_id in pair
            for other in pair
            if other != member_id
        )

    # -- subscriptions and credits -------------------------------------------

    def put_subscription(self, member_id: str, plan: str, started_at: datetime | None) -> None:
        if plan not in PLANS:
            raise Refused("validation-error")
        member = self._member(member_id)
        if started_at is not None and started_at > self.now:
            raise Refused("validation-error")
        sub = self.subscriptions.get(member_id)
        if sub is not None and sub.status != "cancelled":
            # a plan change (and, if cancelling, the cancel taken back)
            sub.plan = plan
            sub.status = "active"
            sub.ends_at = None
            return
        start = started_at if started_at is not None else self.now
        if member.entries and start < max(entry.at for entry in member.entries):
            raise Refused("validation-error")
        if sub is not None and sub.ends_at is not None and start < sub.ends_at:
            raise Refused("validation-error")  # a new start never overlaps the last period
        sub = Subscription(plan=plan, status="active", started_at=start)
        self.subscriptions[member_id] = sub
        self._post(member_id, "grant", sub.monthly, start)  # the first grant: no trim
        self._apply_due_events(self.now)  # a start in the past replays every renewal since

    def cancel_subscription(self, member_id: str) -> None:
        self._member(member_id)
        sub = self.subscriptions.get(member_id)
        if sub is None:
            raise Refused("not-found")
        if sub.status == "cancelled":
            raise Refused("conflict")
        if sub.status == "active":
            sub.status = "cancelling"
            sub.ends_at = sub.next_renewal_at

    def subscription(self, member_id: str) -> dict[str, Any]:
        self._member(member_id)
        sub = self.subscriptions.get(member_id)
        if sub is None:
            raise Refused("not-found")
        return {
            "plan": sub.plan,
            "status": sub.status,
            "started_at": sub.started_at,
            "next_renewal_at": sub.next_renewal_at,
            "ends_at": sub.ends_at,
            "monthly_credits": sub.monthly,
            "max_balance": sub.cap,
        }

    def credits(self, member_id: str) -> dict[str, Any]:
        member = self._member(member_id)
        balance = member.balance
        sub = self.subscriptions.get(member_id)
        live = sub if sub is not None and sub.status != "cancelled" else None
        if live is None:
            next_credits, forfeit = 0, 0
        elif live.status == "cancelling":
            next_credits, forfeit = 0, balance  # the end forfeits the whole balance
        else:
            after = min(balance + live.monthly, live.cap)
            next_credits = max(0, after - balance)
            forfeit = max(0, balance + live.monthly - live.cap)
        inmails = [
            m for m in self.messages.values() if m.sender == member_id and m.kind == "inmail"
        ]
        responded = [m for m in inmails if m.status == "responded"]
        awaiting = [m for m in inmails if m.credit_charged and m.status == "awaiting_response"]
        return {
            "balance": balance,
            "plan": live.plan if live else None,
            "monthly_credits": live.monthly if live else None,
            "max_balance": live.cap if live else None,
            "next_renewal_at": live.next_renewal_at if live else None,
            "next_renewal_credits": next_credits,
            "forfeit_at_next_renewal": forfeit,
            "awaiting_response": len(awaiting),
            "response_rate": len(responded) / len(inmails) if inmails else None,
            "as_of": self.now,
        }

    def adjust_credits(self, member_id: str, amount: int, reason: str) -> None:
        if amount == 0 or abs(amount) > ADJUSTMENT_MAX:
            raise Refused("validation-error")
        if not reason.strip() or len(reason.strip()) > REASON_MAX:
            raise Refused("validation-error")
        member = self._member(member_id)
        if member.balance + amount < 0:
            raise Refused("conflict")
        self._post(member_id, "adjustment", amount, self.now)

    # -- messages ------------------------------------------------------------

    def send_message(
        self,
        sender: str,
        recipient: str,
        body: str,
        subject: str | None = None,
        *,
        new_id: int,
        in_reply_to: int | None = None,
        quick_reply: str | None = None,
    ) -> Message:
        """``new_id`` is the id the message gets if it is sent (the engine's)."""
        if not 1 <= len(body) <= BODY_MAX:
            raise Refused("validation-error")
        if subject is not None and len(subject) > SUBJECT_MAX:
            raise Refused("validation-error")
        if sender == recipient:
            raise Refused("validation-error")
        self._member(sender)
        to = self._member(recipient)
        connected = frozenset((sender, recipient)) in self.connections
        written_before = any(
            m.sender == recipient and m.recipient == sender for m in self.messages.values()
        )
        if connected or written_before:
            kind, paid = "message", False
        else:
            kind = "inmail"
            if to.inmail_opt_out:
                raise Refused("recipient-opted-out")
            sub = self.subscriptions.get(sender)
            if sub is None or sub.status not in ("active", "cancelling"):
                raise Refused("no-active-subscription")
            paid = not to.open_profile
            if paid and self.members[sender].balance < 1:
                raise Refused("insufficient-credits")
        assert new_id not in self.messages
        message = Message(
            id=new_id,
            sender=sender,
            recipient=recipient,
            subject=subject,
            body=body,
            kind=kind,
            credit_charged=paid,
            sent_at=self.now,
            in_reply_to=in_reply_to,
            quick_reply=quick_reply,
        )
        self.messages[new_id] = message
        if paid:
            self._post(sender, "spend", -1, self.now, new_id)
        if kind == "inmail":
            self._notify(recipient, "inmail_received", self.now, new_id)
        self._responded(responder=sender, to=recipient, response_id=new_id)
        return message

    def _responded(self, *, responder: str, to: str, response_id: int) -> None:
        """``responder`` wrote to ``to``: that answers every InMail ``to`` sent
        ``responder`` that had no response yet."""
        answered = [
            m
            for m in self.messages.values()
            if m.kind == "inmail"
            and m.sender == to
            and m.recipient == responder
            and m.responded_at is None
        ]
        for inmail in answered:
            inmail.responded_at = self.now
            deadline = inmail.refund_deadline
            if deadline is not None and self.now < deadline:
                assert not inmail.expired
                inmail.refunded = True
                self._post(to, "refund", 1, self.now, inmail.id)
                self._notify(to, "credit_refunded", self.now, inmail.id)
        if answered:
            self._notify(to, "response_received", self.now, response_id)

    def reply(
        self,
        message_id: int,
        *,
        body: str | None = None,
        quick_reply: str | None = None,
        new_id: int,
    ) -> Message:
        if (body is None) == (quick_reply is None):
            raise Refused("validation-error")
        if quick_reply is not None and quick_reply not in QUICK_REPLIES:
            raise Refused("validation-error")
        if body is not None and not 1 <= len(body) <= BODY_MAX:
            raise Refused("validation-error")
        original = self.messages.get(message_id)
        if original is None:
            raise Refused("not-found")
        if quick_reply is not None and original.kind != "inmail":
            raise Refused("validation-error")
        return self.send_message(
            original.recipient,
            original.sender,
            body if body is not None else f"(quick reply: {quick_reply})",
            new_id=new_id,
            in_reply_to=message_id,
            quick_reply=quick_reply,
        )

    def delete_message(self, message_id: int, member_id: str) -> None:
        message = self.messages.get(message_id)
        if message is None:
            raise Refused("not-found")
        if member_id == message.sender:
            message.hidden_for_sender = True
        elif member_id == message.recipient:
            message.hidden_for_recipient = True
        else:
            raise Refused("not-found")

    def inbox(self, member_id: str) -> list[int]:
        self._member(member_id)
        return sorted(
            (
                m.id
                for m in self.messages.values()
                if m.recipient == member_id and not m.hidden_for_recipient
            ),
            reverse=True,
        )

    def sent(self, member_id: str) -> list[int]:
        self._member(member_id)
        return sorted(
            (
                m.id
                for m in self.messages.values()
                if m.sender == member_id and not m.hidden_for_sender
            ),
            reverse=True,
        )
