"""Webhook endpoints and their deliveries, as the operator manages them
(API.md, section 5). Sending is service.delivery's job."""

from __future__ import annotations

import secrets
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from inmail.domain import webhooks as rules
from inmail.domain.errors import NotFound, ValidationFailed
from inmail.service import outbox
from inmail.service.context import Context
from inmail.service.paging import check_limit, decode_id_cursor, encode_cursor
from inmail.service.secret_box import new_secret
from inmail.service.views import Page
from inmail.service.work import Work
from inmail.store import webhooks as store

STATUSES = ("pending", "delivered", "failed")


@dataclass(frozen=True)
class EndpointView:
    id: str
    url: str
    events: list[str] | None
    description: str
    enabled: bool
    created_at: datetime
    # Only in the answer that creates the endpoint.
    secret: str | None = None

    @classmethod
    def of(cls, row: dict[str, Any], secret: str | None = None) -> EndpointView:
        return cls(
            id=row["id"],
            url=row["url"],
            events=row["events"],
            description=row["description"],
            enabled=row["enabled"],
            created_at=row["created_at"],
            secret=secret,
        )


@dataclass(frozen=True)
class AttemptView:
    at: datetime
    status_code: int | None
    error: str | None
    duration_ms: int


@dataclass(frozen=True)
class DeliveryView:
    id: int
    endpoint_id: str
    event_id: str
    type: str
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None
    # Filled in for one delivery; a list leaves it out.
    attempt_log: list[AttemptView] | None = None
    url: str | None = None

    @classmethod
    def of(cls, row: dict[str, Any], log: list[AttemptView] | None = None) -> DeliveryView:
        return cls(
            id=row["id"],
            endpoint_id=row["endpoint_id"],
            event_id=row["event_id"],
            type=row["type"],
            status=row["status"],
            attempts=row["attempts"],
            next_attempt_at=row["next_attempt_at"] if row["status"] == "pending" else None,
            last_status_code=row["last_status_code"],
            last_error=row["last_error"],
            created_at=row["created_at"],
            delivered_at=row["delivered_at"],
            attempt_log=log,
            url=row.get("url"),
        )


def private_address(url: str) -> str | None:
    """The first loopback, private or link-local address the URL's host
    resolves to, or None (also when it does not resolve: a delivery then
    fails on its own, and every attempt checks again)."""
    host = urlsplit(url).hostname or ""
    try:
        found = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return None
    for *_, sockaddr in found:
        if not rules.is_public(str(sockaddr[0])):
            return str(sockaddr[0])
    return None


def check_address(url: str, *, allow_private: bool) -> None:
    """Refuse a URL whose host resolves to a loopback, private or link-local
    address, unless allowed."""
    if allow_private:
        return
    address = private_address(url)
    if address is not None:
        raise ValidationFailed(
            f"url's host {urlsplit(url).hostname!r} resolves to {address}, a loopback, private"
            " or link-local address; set INMAIL_WEBHOOK_ALLOW_PRIVATE=true to allow such"
            " addresses"
        )


def _description(text: str | None) -> str:
    text = (text or "").strip()
    if len(text) > rules.DESCRIPTION_MAX:
        raise ValidationFailed(f"description must be at most {rules.DESCRIPTION_MAX} characters")
    return text


def create_endpoint(
    ctx: Context, url: str, events: Sequence[str] | None = None, description: str | None = None
) -> EndpointView:
    """A new endpoint; its secret is in this answer and never again."""
    url = rules.check_url(url)
    chosen = rules.check_events(events)
    text = _description(description)
    check_address(url, allow_private=ctx.webhooks.allow_private)
    secret = new_secret()
    with ctx.unit_of_work() as work:
        row = {
            "id": "ep_" + secrets.token_hex(8),
            "url": url,
            "description": text,
            "events": chosen,
            "enabled": True,
            "secret_sealed": ctx.webhooks.box.seal(secret),
            "created_at": work.now,
        }
        store.add_endpoint(work.conn, row)
    return EndpointView.of(row, secret=secret)


def list_endpoints(ctx: Context) -> list[EndpointView]:
    with ctx.unit_of_work(write=False) as work:
        return [EndpointView.of(row) for row in store.endpoints(work.conn)]


def _endpoint(work: Work, endpoint_id: str) -> dict[str, Any]:
    row = store.endpoint(work.conn, endpoint_id)
    if row is None:
        raise NotFound(f"no webhook endpoint {endpoint_id!r}")
    return row


def get_endpoint(ctx: Context, endpoint_id: str) -> EndpointView:
    with ctx.unit_of_work(write=False) as work:
        return EndpointView.of(_endpoint(work, endpoint_id))


UNSET: Any = object()


def update_endpoint(
    ctx: Context,
    endpoint_id: str,
    *,
    url: str | None = None,
    events: Sequence[str] | None = UNSET,
    enabled: bool | None = None,
    description: str | None = None,
) -> EndpointView:
    """Change what is given; ``events=None`` means every type again."""
    values: dict[str, Any] = {}
    if url is not None:
        values["url"] = rules.check_url(url)
        check_address(values["url"], allow_private=ctx.webhooks.allow_private)
    if events is not UNSET:
        values["events"] = rules.check_events(events)
    if enabled is not None:
        values["enabled"] = enabled
    if description is not None:
        values["description"] = _description(description)
    with ctx.unit_of_work() as work:
        _endpoint(work, endpoint_id)
        if values:
            store.change_endpoint(work.conn, endpoint_id, values)
        return EndpointView.of(_endpoint(work, endpoint_id))


def delete_endpoint(ctx: Context, endpoint_id: str) -> None:
    with ctx.unit_of_work() as work:
        _endpoint(work, endpoint_id)
        store.remove_endpoint(work.conn, endpoint_id)


def list_deliveries(
    ctx: Context,
    endpoint_id: str,
    *,
    status: str | None = None,
    limit: int | None = None,
    cursor: str | None = None,
) -> Page[DeliveryView]:
    """Newest first."""
    if status is not None and status not in STATUSES:
        raise ValidationFailed(f"status must be one of {', '.join(STATUSES)}")
    limit = check_limit(limit)
    before = decode_id_cursor(cursor)
    with ctx.unit_of_work(write=False) as work:
        _endpoint(work, endpoint_id)
        rows = store.deliveries_page(
            work.conn, endpoint_id, status=status, before_id=before, limit=limit + 1
        )
    items = [DeliveryView.of(row) for row in rows[:limit]]
    return Page(items, encode_cursor(items[-1].id) if len(rows) > limit else None)


def get_delivery(ctx: Context, endpoint_id: str, delivery_id: int) -> DeliveryView:
    """One delivery with every attempt made of it, oldest first."""
    with ctx.unit_of_work(write=False) as work:
        row = store.delivery(work.conn, endpoint_id, delivery_id)
        if row is None:
            raise NotFound(f"no delivery {delivery_id} of endpoint {endpoint_id!r}")
        log = [
            AttemptView(a["at"], a["status_code"], a["error"], a["duration_ms"])
            for a in store.attempts(work.conn, delivery_id)
        ]
    return DeliveryView.of(row, log)


def recent_deliveries(ctx: Context, limit: int = 20) -> list[DeliveryView]:
    with ctx.unit_of_work(write=False) as work:
        return [DeliveryView.of(row) for row in store.recent_deliveries(work.conn, limit)]


def retry_delivery(ctx: Context, endpoint_id: str, delivery_id: int) -> None:
    """One more attempt, now: a failed delivery gets exactly one."""
    with ctx.unit_of_work() as work:
        if store.delivery(work.conn, endpoint_id, delivery_id) is None:
            raise NotFound(f"no delivery {delivery_id} of endpoint {endpoint_id!r}")
        store.retry_now(work.conn, delivery_id, work.now)


def ping(ctx: Context, endpoint_id: str) -> None:
    """A ``ping`` event to this endpoint alone."""
    with ctx.unit_of_work() as work:
        _endpoint(work, endpoint_id)
        outbox.emit(
            work,
            outbox.Event(rules.PING, work.now, None, {"endpoint_id": endpoint_id}, endpoint_id),
        )


@dataclass(frozen=True)
class DeliveryStats:
    by_status: dict[str, int]
    oldest_pending_age_s: float


def stats(ctx: Context) -> DeliveryStats:
    """For the metrics: deliveries by outcome and how long the oldest still
    pending one has waited (service time)."""
    with ctx.unit_of_work(write=False) as work:
        counts = store.counts_by_status(work.conn)
        oldest = store.oldest_pending_at(work.conn)
        now = work.now
    age = max(0.0, (now - oldest).total_seconds()) if oldest is not None else 0.0
    return DeliveryStats({s: counts.get(s, 0) for s in STATUSES}, age)
