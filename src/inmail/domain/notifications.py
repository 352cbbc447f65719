"""The kinds of notification a member gets (API.md, section 1)."""

from __future__ import annotations

KINDS = (
    "inmail_received",
    "inmail_reminder",
    "response_received",
    "credit_refunded",
    "inmail_expired",
    "credits_renewed",
    "cap_forfeit_warning",
)
