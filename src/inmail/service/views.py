"""What the use cases return: plain, immutable records with the contract's
field names (``sender``/``recipient`` stand for the contract's from/to)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

from inmail.domain.messages import effective_status

T = TypeVar("T")


@dataclass(frozen=True)
class MemberView:
    id: str
    name: str
    inmail_opt_out: bool
    open_profile: bool
    created_at: datetime

    @classmethod
    def of(cls, row: Mapping[str, Any]) -> MemberView:
        return cls(
            id=row["id"],
            name=row["name"],
            inmail_opt_out=row["inmail_opt_out"],
            open_profile=row["open_profile"],
            created_at=row["created_at"],
        )


@dataclass(frozen=True)
class SubscriptionView:
    member_id: str
    plan: str
    status: str
    started_at: datetime
    next_renewal_at: datetime | None
    ends_at: datetime | None
    monthly_credits: int
    max_balance: int


@dataclass(frozen=True)
class CreditsView:
    member_id: str
    balance: int
    plan: str | None
    monthly_credits: int | None
    max_balance: int | None
    next_renewal_at: datetime | None
    next_renewal_credits: int
    forfeit_at_next_renewal: int
    awaiting_response: int
    response_rate: float | None
    as_of: datetime


@dataclass(frozen=True)
class LedgerEntryView:
    id: int
    member_id: str
    at: datetime
    kind: str
    amount: int
    balance_after: int
    message_id: int | None
    note: str | None

    @classmethod
    def of(cls, row: Mapping[str, Any]) -> LedgerEntryView:
        return cls(**{name: row[name] for name in cls.__dataclass_fields__})


@dataclass(frozen=True)
class MessageView:
    id: int
    sender: str
    recipient: str
    subject: str | None
    body: str
    kind: str
    charge: str
    quick_reply: str | None
    in_reply_to: int | None
    sent_at: datetime
    credit_charged: bool
    status: str
    refund_deadline: datetime | None
    reminder_at: datetime | None
    responded_at: datetime | None
    refunded: bool

    @classmethod
    def of(cls, row: Mapping[str, Any], now: datetime) -> MessageView:
        """The message as of ``now``: an InMail past its deadline reads as expired
        even before its expiry has been processed."""
        return cls(
            id=row["id"],
            sender=row["sender_id"],
            recipient=row["recipient_id"],
            subject=row["subject"],
            body=row["body"],
            kind=row["kind"],
            charge=row["charge"],
            quick_reply=row["quick_reply"],
            in_reply_to=row["in_reply_to"],
            sent_at=row["sent_at"],
            credit_charged=row["credit_charged"],
            status=effective_status(row["status"], row["refund_deadline"], now),
            refund_deadline=row["refund_deadline"],
            reminder_at=row["reminder_at"],
            responded_at=row["responded_at"],
            refunded=row["refunded"],
        )


@dataclass(frozen=True)
class NotificationView:
    id: int
    member_id: str
    at: datetime
    kind: str
    message_id: int | None
    data: dict[str, Any]

    @classmethod
    def of(cls, row: Mapping[str, Any]) -> NotificationView:
        return cls(**{name: row[name] for name in cls.__dataclass_fields__})


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


@dataclass(frozen=True)
class AuditReport:
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)
