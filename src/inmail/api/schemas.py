"""The contract's bodies as Pydantic models.

Requests forbid unknown fields and take JSON types strictly (``"5"`` is not a
number, ``"true"`` not a boolean): a credit API should not guess. Responses
are built from the engine's views; times are written as RFC 3339 UTC with a
``Z`` (see ``inmail.api.types``). The engine checks every rule again; the
limits here are what the OpenAPI document shows and what FastAPI refuses
first.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, StrictBool, model_validator
from pydantic.json_schema import SkipJsonSchema

from inmail.api.errors import STATUS
from inmail.api.plain_errors import explain_pattern
from inmail.api.types import (
    NOT_BLANK_PATTERN,
    NoNullsBody,
    Out,
    PatchBody,
    RequestBody,
    Text,
    TimeIn,
    Timestamp,
    WholeNumber,
    text,
)
from inmail.domain.messages import BODY_MAX, SUBJECT_MAX
from inmail.domain.notifications import KINDS
from inmail.service.due import MAX_MOVE
from inmail.service.members import MEMBER_ID, NAME_MAX
from inmail.service.subscriptions import ADJUSTMENT_MAX, NOTE_MAX

# Copied from the engine's pattern with \Z semantics (Pydantic's $ never
# matches before a trailing newline, Python's re does).
MEMBER_ID_PATTERN = explain_pattern(
    MEMBER_ID.pattern,
    "must be a member id: 1 to 64 of a-z, 0-9, '_', '.' and '-', starting with a letter or a digit",
)
MemberIdText = text(pattern=MEMBER_ID_PATTERN)
QuickReplyCode = Literal["interested", "maybe_later", "not_interested"]
NotificationKind = Literal[KINDS]  # type: ignore[valid-type]


def exactly_one_of(a: str, b: str) -> Callable[[dict[str, Any]], None]:
    """The schema of a body that takes one of two fields, never both (and
    neither is null: left out is how a field is not given)."""

    def amend(schema: dict[str, Any]) -> None:
        for name in (a, b):
            schema["properties"][name].pop("default", None)
        schema["oneOf"] = [{"required": [a]}, {"required": [b]}]

    return amend


Name = text(min_length=1, max_length=NAME_MAX, pattern=NOT_BLANK_PATTERN)

# The engine's bound on one clock move (also keeps the sum from overflowing).
MAX_ADVANCE = MAX_MOVE


# ---- errors -----------------------------------------------------------------


class Problem(BaseModel):
    """An RFC 9457 problem: `type` is one of the contract's codes."""

    type: str = Field(examples=["not-found"], json_schema_extra={"enum": list(STATUS)})
    title: str = Field(examples=["Not found"])
    status: int = Field(examples=[404])
    detail: str = Field(examples=["no member 'zoe'"])


# ---- system -----------------------------------------------------------------


class Health(Out):
    status: Literal["ok"]


class PlanOut(Out):
    code: str
    name: str
    monthly_credits: int
    max_balance: int


# ---- members ----------------------------------------------------------------


class MemberCreate(RequestBody):
    id: Annotated[MemberIdText, Field(examples=["alice"])]
    name: Name
    inmail_opt_out: StrictBool = False
    open_profile: StrictBool = False


class MemberPatch(PatchBody):
    # None only stands for "left out", so the schema does not offer null.
    name: Name | SkipJsonSchema[None] = None
    inmail_opt_out: StrictBool | SkipJsonSchema[None] = None
    open_profile: StrictBool | SkipJsonSchema[None] = None


class MemberOut(Out):
    id: str
    name: str
    inmail_opt_out: bool
    open_profile: bool
    created_at: Timestamp


class TokenOut(Out):
    token: str = Field(description="Shown once; only its hash is kept.")


class DirectoryEntry(Out):
    id: str
    name: str
    open_profile: bool
    inmail_opt_out: bool


class DirectoryPage(Out):
    members: list[DirectoryEntry]
    next_cursor: str | None


# ---- subscriptions and credits ----------------------------------------------


class SubscriptionPut(RequestBody):
    plan: Text = Field(examples=["pro"])
    started_at: TimeIn | None = Field(
        default=None, description="Read only when a subscription starts; default now."
    )


class SubscriptionOut(Out):
    plan: str
    status: Literal["active", "cancelling", "cancelled"]
    started_at: Timestamp
    next_renewal_at: Timestamp | None
    ends_at: Timestamp | None
    monthly_credits: int
    max_balance: int


class CreditsOut(Out):
    balance: int
    plan: str | None
    monthly_credits: int | None
    max_balance: int | None
    next_renewal_at: Timestamp | None
    next_renewal_credits: int
    forfeit_at_next_renewal: int
    awaiting_response: int
    response_rate: float | None
    as_of: Timestamp


class LedgerEntryOut(Out):
    id: int
    at: Timestamp
    kind: Literal["grant", "forfeit", "spend", "refund", "adjustment"]
    amount: int
    balance_after: int
    message_id: int | None
    note: str | None


class LedgerPage(Out):
    entries: list[LedgerEntryOut]
    next_cursor: str | None


class AdjustmentIn(RequestBody):
    amount: WholeNumber = Field(
        ge=-ADJUSTMENT_MAX,
        le=ADJUSTMENT_MAX,
        description="Signed and not 0; may pass the cap, never below 0.",
        # The engine refuses 0 (an adjustment that changes nothing).
        json_schema_extra={"not": {"const": 0}},
    )
    reason: text(min_length=1, max_length=NOTE_MAX, pattern=NOT_BLANK_PATTERN)


# ---- messages ---------------------------------------------------------------

Body = text(min_length=1, max_length=BODY_MAX)


class SendMessageIn(RequestBody):
    sender: MemberIdText = Field(alias="from")
    to: MemberIdText = Field(description="Another member than `from`.")
    subject: text(max_length=SUBJECT_MAX) | None = None
    body: Body


class ReplyIn(NoNullsBody):
    """Either `body` or `quick_reply`."""

    model_config = ConfigDict(json_schema_extra=exactly_one_of("body", "quick_reply"))

    # None only stands for "left out", so the schema does not offer null.
    body: Body | SkipJsonSchema[None] = None
    quick_reply: QuickReplyCode | SkipJsonSchema[None] = Field(
        default=None, description="Only for the recipient of an InMail."
    )

    @model_validator(mode="after")
    def _one_of(self) -> Self:
        if (self.body is None) == (self.quick_reply is None):
            raise ValueError("give either body or quick_reply")
        return self


class MessageOut(Out):
    id: int
    # The engine says sender/recipient; the contract says from/to.
    sender: str = Field(serialization_alias="from")
    recipient: str = Field(serialization_alias="to")
    subject: str | None
    body: str
    kind: Literal["inmail", "message"]
    quick_reply: QuickReplyCode | None
    in_reply_to: int | None
    sent_at: Timestamp
    credit_charged: bool
    status: Literal["awaiting_response", "responded", "expired", "delivered"]
    refund_deadline: Timestamp | None
    reminder_at: Timestamp | None
    responded_at: Timestamp | None
    refunded: bool


class MessagePage(Out):
    messages: list[MessageOut]
    next_cursor: str | None


class NotificationOut(Out):
    id: int
    at: Timestamp
    kind: NotificationKind
    message_id: int | None
    data: dict[str, Any]


class NotificationPage(Out):
    notifications: list[NotificationOut]
    next_cursor: str | None


# ---- admin ------------------------------------------------------------------


class ClockOut(Out):
    now: Timestamp
    mode: Literal["system", "manual"]


class ClockMoveIn(NoNullsBody):
    """Either `advance_seconds` or `to`."""

    model_config = ConfigDict(json_schema_extra=exactly_one_of("advance_seconds", "to"))

    advance_seconds: (
        Annotated[
            float, Field(strict=True, ge=0, le=MAX_ADVANCE.total_seconds(), allow_inf_nan=False)
        ]
        | SkipJsonSchema[None]
    ) = None
    to: TimeIn | SkipJsonSchema[None] = Field(
        default=None, description="Never before the clock's present time."
    )

    @model_validator(mode="after")
    def _one_of(self) -> Self:
        if (self.advance_seconds is None) == (self.to is None):
            raise ValueError("give either advance_seconds or to")
        return self


class ClockMoved(Out):
    now: Timestamp


class CheckOut(Out):
    name: str
    ok: bool
    detail: str


class AuditOut(Out):
    ok: bool
    checks: list[CheckOut]
