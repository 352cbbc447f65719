"""What a message costs, and the refund and reminder windows of an InMail."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from inmail.domain.errors import (
    InsufficientCredits,
    NoActiveSubscription,
    RecipientOptedOut,
    ValidationFailed,
)

REFUND_WINDOW = timedelta(days=90)
REMINDER_AFTER = timedelta(days=3)
SUBJECT_MAX = 200
BODY_MAX = 2000


class Charge(enum.Enum):
    """Why a message costs what it costs."""

    CONNECTION = "connection"  # 1st-degree connection: a free message
    ANSWERED = "answered"  # the recipient has written to the sender before: free
    OPEN_PROFILE = "open_profile"  # an InMail, but free: needs a subscription
    INMAIL = "inmail"  # an InMail that costs one credit

    @property
    def is_inmail(self) -> bool:
        return self in (Charge.OPEN_PROFILE, Charge.INMAIL)

    @property
    def credits(self) -> int:
        return 1 if self is Charge.INMAIL else 0


class QuickReply(enum.Enum):
    INTERESTED = "interested"
    MAYBE_LATER = "maybe_later"
    NOT_INTERESTED = "not_interested"

    @property
    def text(self) -> str:
        return {
            QuickReply.INTERESTED: "Interested. Let's talk.",
            QuickReply.MAYBE_LATER: "Maybe later. Thanks for reaching out.",
            QuickReply.NOT_INTERESTED: "Not interested, thank you.",
        }[self]


class Status(enum.StrEnum):
    AWAITING = "awaiting_response"
    RESPONDED = "responded"
    EXPIRED = "expired"
    DELIVERED = "delivered"


def charge_for(*, connected: bool, recipient_wrote_before: bool, open_profile: bool) -> Charge:
    """The charge rule: connections and answered senders write for free; otherwise
    it is an InMail, free only to an open profile."""
    if connected:
        return Charge.CONNECTION
    if recipient_wrote_before:
        return Charge.ANSWERED
    return Charge.OPEN_PROFILE if open_profile else Charge.INMAIL


def check_inmail_allowed(
    charge: Charge, *, recipient_opted_out: bool, subscribed: bool, balance: int
) -> None:
    """Raise the first failing check of an InMail, in the contract's order:
    opt-out, subscription, balance. Free messages pass every check."""
    if not charge.is_inmail:
        return
    if recipient_opted_out:
        raise RecipientOptedOut()
    if not subscribed:
        raise NoActiveSubscription()
    if balance < charge.credits:
        raise InsufficientCredits()


def check_text(subject: str | None, body: str) -> None:
    """The body is 1..2000 characters and the subject at most 200."""
    if not body or len(body) > BODY_MAX:
        raise ValidationFailed(f"body must be 1 to {BODY_MAX} characters")
    if subject is not None and len(subject) > SUBJECT_MAX:
        raise ValidationFailed(f"subject must be at most {SUBJECT_MAX} characters")


def refund_deadline(sent_at: datetime, charge: Charge) -> datetime | None:
    """A paid InMail's credit comes back for a response before this time
    (exclusive); open-profile InMails and free messages have none."""
    return sent_at + REFUND_WINDOW if charge is Charge.INMAIL else None


def reminder_at(sent_at: datetime, charge: Charge) -> datetime | None:
    """Every InMail, paid or open-profile, has one reminder 3 days after sending."""
    return sent_at + REMINDER_AFTER if charge.is_inmail else None


def refunds(response_at: datetime, deadline: datetime | None) -> bool:
    """A response refunds iff it comes strictly before the deadline: compare times,
    never a stored status."""
    return deadline is not None and response_at < deadline


def past_deadline(deadline: datetime | None, now: datetime) -> bool:
    """The refund window is over at ``now``: the InMail expires then."""
    return deadline is not None and not refunds(now, deadline)


def effective_status(status: str, deadline: datetime | None, now: datetime) -> str:
    """The status as of ``now``: an InMail still marked awaiting past its deadline
    is expired, whether or not its expiry has been processed yet."""
    if status == Status.AWAITING and past_deadline(deadline, now):
        return Status.EXPIRED
    return status


@dataclass(frozen=True)
class Answer:
    """What a response at some moment does to one unanswered InMail."""

    status: Status
    refund: bool


def answer(status: str, deadline: datetime | None, now: datetime) -> Answer:
    """A response at ``now`` to an unanswered InMail: inside its window it is
    ``responded`` and a paid one (the one with a deadline) gives its credit
    back; after it, the InMail stays ``expired`` and nothing comes back."""
    if effective_status(status, deadline, now) == Status.AWAITING:
        return Answer(Status.RESPONDED, refund=refunds(now, deadline))
    return Answer(Status.EXPIRED, refund=False)
