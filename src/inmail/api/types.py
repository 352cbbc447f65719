"""The building blocks of the schemas: how times and text cross the wire,
and the base classes of request and response bodies."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    Strict,
    StrictStr,
    WithJsonSchema,
    model_validator,
)

from inmail.api.plain_errors import explain_pattern
from inmail.domain.times import rfc3339


def _text_only(value: Any) -> Any:
    # Pydantic would take a number as a Unix time; the contract says RFC 3339.
    if not isinstance(value, str):
        raise ValueError("must be an RFC 3339 time string")
    return value


def _as_utc(value: datetime) -> datetime:
    # A time without an offset is read as UTC, as the command line does.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def storable(value: str) -> str:
    """Refuse what no database column can hold: NUL (PostgreSQL text cannot)
    and lone UTF-16 surrogates (a JSON "\\ud800" escape; not encodable)."""
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    if any("\ud800" <= ch <= "\udfff" for ch in value):
        raise ValueError("must be valid Unicode text (no lone surrogates)")
    return value


# The schema's statement of what storable() refuses (the check itself stays
# there, with its plain message).
NO_NUL_PATTERN = explain_pattern(r"^[^\x00]*$", "must not contain NUL characters")
# Python's whitespace (str.strip): names and reasons are stored stripped, so
# one of blanks alone is empty to the engine.
_SPACE = r"\t\n\x0b\x0c\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
NOT_BLANK_PATTERN = explain_pattern(
    rf"^[^\x00]*[^\x00{_SPACE}][^\x00]*$",
    "must contain more than blanks, and no NUL characters",
)


def text(
    *, min_length: int | None = None, max_length: int | None = None, pattern: str = NO_NUL_PATTERN
) -> Any:
    """A request string. Its limits and pattern sit on the string itself, so
    the OpenAPI document shows them (pydantic drops a pattern stated on top
    of a validator) and they are checked first; then storable()."""
    return Annotated[
        StrictStr,
        Field(min_length=min_length, max_length=max_length, pattern=pattern),
        AfterValidator(storable),
    ]


# Every string of a request body without limits of its own.
Text = text()

Timestamp = Annotated[
    datetime,
    PlainSerializer(rfc3339, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "date-time", "example": "2026-01-15T09:30:00Z"}),
]
TimeIn = Annotated[
    datetime,
    BeforeValidator(_text_only),
    AfterValidator(_as_utc),
    WithJsonSchema({"type": "string", "format": "date-time", "example": "2026-01-15T09:30:00Z"}),
]


class RequestBody(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NoNullsBody(RequestBody):
    """A body whose optional fields are given or left out, never null (the
    schema offers no null for them either)."""

    # Fields whose null means something (PATCH /v1/webhooks/{id}: every event type).
    NULLABLE: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="before")
    @classmethod
    def _no_nulls(cls, data: Any) -> Any:
        if isinstance(data, dict):
            nulls = sorted(k for k, v in data.items() if v is None and k not in cls.NULLABLE)
            if nulls:
                raise ValueError(f"{', '.join(nulls)} may be left out but not null")
        return data


class PatchBody(NoNullsBody):
    """Leave a field out to keep it; none of these can be cleared."""


def _whole(value: Any) -> Any:
    # JSON has one number type: 5.0 is the whole number 5 (JSON Schema says
    # so too), while "5" and 5.5 stay refused.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


WholeNumber = Annotated[int, BeforeValidator(_whole), Strict()]


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    @classmethod
    def of(cls, view: Any) -> Self:
        return cls.model_validate(view, from_attributes=True)
