"""The contract's bodies as Pydantic models.

Requests forbid unknown fields and take JSON types strictly (``"5"`` is not a
number, ``"true"`` not a boolean): a credit API should not guess. Responses
are built from the engine's views; times are written as RFC 3339 UTC with a
``Z`` (see ``inmail.api.types``). The engine checks every rule again; the
limits here are what the OpenAPI document shows and what FastAPI refuses
first.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, Field, StrictBool, StrictInt, model_validator
from pydantic.json_schema import SkipJsonSchema

from inmail.api.plain_errors import explain_pattern
from inmail.api.types import Out, PatchBody, RequestBody, Text, TimeIn, Timestamp
from inmail.domain.messages import BODY_MAX, SUBJECT_MAX
from inmail.service.due import MAX_MOVE
from inmail.service.members import MEMBER_ID, NAME_MAX
from inmail.service.subscriptions import NOTE_MAX

# Copied from the engine's pattern with \Z semantics (Pydantic's $ never
# matches before a trailing newline, Python's re does).
MEMBER_ID_PATTERN = explain_pattern(
    MEMBER_ID.pattern,
    "must be a member id: 1 to 64 of a-z, 0-9, '_', '.' and '-', "
    "starting with a letter or a digit",
)
# The engine's bound on one clock move (also keeps the sum from overflowing).
MAX_ADVANCE = MAX_MOVE


# ---- errors -----------------------------------------------------------------


class Problem(BaseModel):
    """An RFC 9457 problem: `type` is one of the contract's codes."""

    type: str = Field(examples=["not-found"])
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
    id: Annotated[Text, Field(pattern=MEMBER_ID_PATTERN, examples=["alice"])]
    name: Annotated[Text, Field(min_length=1, max_length=NAME_MAX)]
    inmail_opt_out: StrictBool = False
    open_profile: StrictBool = False


class MemberPatch(PatchBody):
    # None only stands for "left out", so the schema does not offer null.
    name: Annotated[Text, Field(min_length=1, max_length=NAME_MAX)] | SkipJsonSchema[None] = None
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
    amount: StrictInt = Field(description="Signed; may pass the cap, never below 0.")
    reason: Annotated[Text, Field(min_length=1, max_length=NOTE_MAX)]


# ---- messages ---------------------------------------------------------------

Body = Annotated[Text, Field(min_length=1, max_length=BODY_MAX)]


class SendMessageIn(RequestBody):
    sender: Text = Field(alias="from")
    to: Text
    subject: Annotated[Text, Field(max_length=SUBJECT_MAX)] | None = None
    body: Body


class ReplyIn(RequestBody):
    body: Body | None = None
    quick_reply: Literal["interested", "maybe_later", "not_interested"] | None = Field(
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
    quick_reply: str | None
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
    kind: str
    message_id: int | None
    data: dict[str, Any]


class NotificationPage(Out):
    notifications: list[NotificationOut]
    next_cursor: str | None


# ---- admin ------------------------------------------------------------------


class ClockOut(Out):
    now: Timestamp
    mode: Literal["system", "manual"]


class ClockMoveIn(RequestBody):
    advance_seconds: (
        Annotated[
            float, Field(strict=True, ge=0, le=MAX_ADVANCE.total_seconds(), allow_inf_nan=False)
        ]
        | None
    ) = None
    to: TimeIn | None = Field(default=None, description="Never in the past.")

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
