"""The one family of errors the engine raises.

Each subclass's docstring is its default message and ``code`` is the
contract's problem ``type``; the HTTP layer maps codes to statuses.
"""

from __future__ import annotations


class InmailError(Exception):
    """Something went wrong."""

    code = "error"

    def __init__(self, detail: str | None = None) -> None:
        self.detail = detail or (self.__doc__ or "").strip()
        super().__init__(self.detail)


class NotFound(InmailError):
    """No such resource."""

    code = "not-found"


class ValidationFailed(InmailError):
    """The request is not valid."""

    code = "validation-error"


class Conflict(InmailError):
    """The request conflicts with the current state."""

    code = "conflict"


class Forbidden(InmailError):
    """You may not do this."""

    code = "forbidden"


class InsufficientCredits(InmailError):
    """Not enough InMail credits: this message needs 1."""

    code = "insufficient-credits"


class NoActiveSubscription(InmailError):
    """Sending an InMail needs an active subscription."""

    code = "no-active-subscription"


class RecipientOptedOut(InmailError):
    """This member does not accept InMails."""

    code = "recipient-opted-out"


class ClockNotManual(InmailError):
    """The clock can only be moved when it is manual."""

    code = "clock-not-manual"


class PlansFileError(InmailError):
    """The plans file is not valid."""

    code = "plans-file-error"


class IdempotencyConflict(InmailError):
    """This Idempotency-Key was already used for another request."""

    code = "idempotency-conflict"
