"""Webhook rules (API.md, section 5): the event types, the retry schedule,
which endpoints hear an event, and which URLs and addresses are allowed."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from inmail.domain.errors import ValidationFailed
from inmail.domain.notifications import KINDS

# Every notification kind, under the same name, and two of the webhooks' own.
EVENT_TYPES = (*KINDS, "ledger_entry", "subscription_changed")
# Sent only by POST /v1/webhooks/{id}/ping, to that endpoint alone.
PING = "ping"

# The wait after each failed attempt; after the last one the delivery has failed.
RETRY_DELAYS = (
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=10),
)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1

# A 2xx within this long is delivered; only this much of an answer is read.
TIMEOUT_S = 10.0
MAX_RESPONSE_BYTES = 64 * 1024

URL_MAX = 2000
DESCRIPTION_MAX = 500


def next_attempt_at(attempts: int, failed_at: datetime) -> datetime | None:
    """When to try again after the ``attempts``-th attempt failed at
    ``failed_at`` (the service's clock); None: no more tries, it has failed."""
    if attempts < 1:
        raise ValueError("a delivery is retried only after an attempt")
    if attempts > len(RETRY_DELAYS):
        return None
    return failed_at + RETRY_DELAYS[attempts - 1]


def check_events(events: Sequence[str] | None) -> list[str] | None:
    """An endpoint's event filter: None (every type) or known types, each once."""
    if events is None:
        return None
    unknown = sorted(set(events) - set(EVENT_TYPES))
    if unknown:
        raise ValidationFailed(
            f"unknown event types: {', '.join(unknown)}; known: {', '.join(EVENT_TYPES)}"
        )
    if not events:
        raise ValidationFailed("events must name at least one type (leave it out for all)")
    return list(dict.fromkeys(events))


def hears(events: Sequence[str] | None, event_type: str) -> bool:
    """Whether an endpoint with this filter receives events of this type."""
    return events is None or event_type in events


def check_url(url: str) -> str:
    """An endpoint URL: http or https with a host, no credentials in it."""
    url = url.strip()
    if not url or len(url) > URL_MAX:
        raise ValidationFailed(f"url must be 1 to {URL_MAX} characters")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (reading it checks it)
    except ValueError as exc:
        raise ValidationFailed(f"url is not valid: {exc}") from exc
    if parts.scheme not in ("http", "https"):
        raise ValidationFailed("url must start with http:// or https://")
    if not parts.hostname:
        raise ValidationFailed("url must name a host")
    if parts.username or parts.password:
        raise ValidationFailed("url must not carry a user name or password")
    return url


def is_public(address: str) -> bool:
    """Whether an IP address is on the public internet: not loopback,
    private, link-local (cloud metadata lives there), multicast, reserved or
    unspecified. An IPv4 address mapped into IPv6 is judged as IPv4."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast
