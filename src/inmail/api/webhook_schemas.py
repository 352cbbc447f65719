"""The webhook routes' bodies (API.md, section 5) as Pydantic models."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, StrictBool
from pydantic.json_schema import SkipJsonSchema

from inmail.api.plain_errors import explain_pattern
from inmail.api.types import Out, PatchBody, RequestBody, Timestamp, text
from inmail.domain.webhooks import DESCRIPTION_MAX, EVENT_TYPES, URL_MAX

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
