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
from inmail.domain.webhooks import DESCRIPTION_MAX, EVENT_TYPES, URL_MAX
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


# ---- forecast ---------------------------------------------------------------


class ForecastAssumptions(Out):
    sends_per_week: float
    response_rate: float
    response_days: int
    from_history: bool = Field(
        description="Some assumption was not given and came from the member's last 90 days."
    )
    from_history_fields: list[str] = Field(
        description="Which ones: sends_per_week, response_rate, response_days."
    )


class ForecastRenewal(Out):
    at: Timestamp
    kind: Literal["renewal", "end"] = Field(
        description="`end`: a cancelling subscription's end, which forfeits the balance."
    )
    balance_before: int
    granted: int
    forfeited: int
    balance_after: int
    p10: int
    p90: int


class PlanAdviceOut(Out):
    code: str
    expected_forfeited: int
    expected_shortfall: int


class ForecastAdvice(Out):
    best_plan: str
    plans: list[PlanAdviceOut]


class ForecastOut(Out):
    assumptions: ForecastAssumptions
    status: Literal["active", "cancelling", "none"] = Field(
        description="The subscription the forecast starts from."
    )
    plan: str | None
    balance: int
    as_of: Timestamp
    horizon: Timestamp = Field(description="The last renewal looked at, or the end.")
    ends_at: Timestamp | None = Field(description="The subscription's end, when it comes first.")
    renewals: list[ForecastRenewal]
    runs_out_at: Timestamp | None
    shortfall: int
    send_before_next_renewal: int
    advice: ForecastAdvice

    @classmethod
    def of_forecast(cls, result: Any, from_history: tuple[str, ...]) -> ForecastOut:
        a = result.assumptions
        return cls(
            assumptions=ForecastAssumptions(
                sends_per_week=a.sends_per_week,
                response_rate=a.response_rate,
                response_days=a.response_days,
                from_history=bool(from_history),
                from_history_fields=list(from_history),
            ),
            status=result.status,
            plan=result.plan,
            balance=result.balance,
            as_of=result.now,
            horizon=result.horizon,
            ends_at=result.ends_at,
            renewals=[ForecastRenewal.of(row) for row in result.renewals],
            runs_out_at=result.runs_out_at,
            shortfall=result.shortfall,
            send_before_next_renewal=result.send_before_next_renewal,
            advice=ForecastAdvice(
                best_plan=result.best_plan, plans=[PlanAdviceOut.of(p) for p in result.plans]
            ),
        )


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


# ---- webhooks ---------------------------------------------------------------

EventType = Literal[EVENT_TYPES]  # type: ignore[valid-type]
# http(s), a host name or IPv4 address (an IPv6 literal is left out: the
# pattern could not tell a valid one), a port of 0..65535, then anything
# without spaces.
_PORT = r"(6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[0-9]{1,4})"
URL_PATTERN = explain_pattern(
    r"^https?://[A-Za-z0-9._~-]+(:" + _PORT + r")?([/?#][^\s]*)?$",
    "must be an http:// or https:// URL with a host and no user name or password",
)
WebhookUrl = text(min_length=1, max_length=URL_MAX, pattern=URL_PATTERN)
Description = text(max_length=DESCRIPTION_MAX)


class WebhookCreate(RequestBody):
    url: WebhookUrl = Field(examples=["https://example.com/inmail-events"])
    events: list[EventType] | None = Field(
        default=None, min_length=1, description="The event types to send; default all."
    )
    description: Description | None = None


class WebhookPatch(PatchBody):
    """Leave a field out to keep it; `events: null` means every type again."""

    NULLABLE = frozenset({"events"})

    url: WebhookUrl | SkipJsonSchema[None] = None
    events: list[EventType] | None = Field(default=None, min_length=1)
    enabled: StrictBool | SkipJsonSchema[None] = None
    description: Description | SkipJsonSchema[None] = None


class WebhookOut(Out):
    id: str
    url: str
    events: list[str] | None = Field(description="null: every event type.")
    description: str
    enabled: bool
    created_at: Timestamp


class WebhookCreated(WebhookOut):
    secret: str = Field(
        description="`whsec_` + base64 of the signing key. Shown only in this answer."
    )


class WebhookList(Out):
    endpoints: list[WebhookOut]


class AttemptOut(Out):
    at: Timestamp
    status_code: int | None
    error: str | None
    duration_ms: int


class DeliveryOut(Out):
    id: int
    event_id: str
    type: str
    status: Literal["pending", "delivered", "failed"]
    attempts: int
    next_attempt_at: Timestamp | None
    last_status_code: int | None
    last_error: str | None
    created_at: Timestamp
    delivered_at: Timestamp | None


class DeliveryDetail(DeliveryOut):
    attempt_log: list[AttemptOut] = Field(description="Every attempt, oldest first.")


class DeliveryPage(Out):
    deliveries: list[DeliveryOut]
    next_cursor: str | None
