"""Webhook endpoints and their deliveries (API.md, section 5). Admin only."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Response, status

from inmail.api import cursors
from inmail.api.auth import AdminOnly
from inmail.api.cursors import IdCursor
from inmail.api.deps import DEFAULT_LIMIT, CtxDep, Limit
from inmail.api.idempotency import Idempotency, run_idempotent
from inmail.api.openapi import post_problems, problems
from inmail.api.types import Out
from inmail.api.webhook_schemas import (
    DeliveryDetail,
    DeliveryOut,
    DeliveryPage,
    WebhookCreate,
    WebhookCreated,
    WebhookList,
    WebhookOut,
    WebhookPatch,
)
from inmail.service import webhooks

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])

EndpointId = Annotated[
    str, Path(alias="id", pattern=r"^ep_[0-9a-f]{16}$", description="A webhook endpoint id.")
]
DeliveryId = Annotated[int, Path(ge=1, le=cursors.BIGGEST_ID, description="A delivery id.")]
NOT_FOUND = "`not-found`: no such endpoint (or delivery)."
BAD_URL = (
    "`validation-error`: not an http(s) URL, a host that does not resolve or resolves to a"
    " loopback, private or link-local address, or an unknown event type."
)


class Accepted(Out):
    status: Literal["accepted"] = "accepted"


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=WebhookCreated,
    responses=post_problems(401, 403, 413, 422, s422=BAD_URL),
)
def create_webhook(body: WebhookCreate, _: AdminOnly, idem: Idempotency, ctx: CtxDep) -> Response:
    """Who: admin. The answer holds the signing `secret`; no other answer does."""
    return run_idempotent(
        ctx,
        idem,
        lambda: WebhookCreated.of(
            webhooks.create_endpoint(ctx, body.url, body.events, body.description)
        ),
        status_code=status.HTTP_201_CREATED,
    )


@router.get("", responses=problems(401, 403))
def list_webhooks(_: AdminOnly, ctx: CtxDep) -> WebhookList:
    """Who: admin. Without their secrets."""
    return WebhookList(endpoints=[WebhookOut.of(e) for e in webhooks.list_endpoints(ctx)])


@router.get("/{id}", responses=problems(401, 403, 404, 422, s404=NOT_FOUND))
def get_webhook(endpoint_id: EndpointId, _: AdminOnly, ctx: CtxDep) -> WebhookOut:
    """Who: admin."""
    return WebhookOut.of(webhooks.get_endpoint(ctx, endpoint_id))


@router.patch("/{id}", responses=problems(401, 403, 404, 413, 422, s404=NOT_FOUND, s422=BAD_URL))
def update_webhook(
    endpoint_id: EndpointId, body: WebhookPatch, _: AdminOnly, ctx: CtxDep
) -> WebhookOut:
    """Who: admin. Changes what is given; new filters apply to new events."""
    events = body.events if "events" in body.model_fields_set else webhooks.UNSET
    return WebhookOut.of(
        webhooks.update_endpoint(
            ctx,
            endpoint_id,
            url=body.url,
            events=events,
            enabled=body.enabled,
            description=body.description,
        )
    )


@router.delete(
    "/{id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problems(401, 403, 404, 422, s404=NOT_FOUND),
)
def delete_webhook(endpoint_id: EndpointId, _: AdminOnly, ctx: CtxDep) -> Response:
    """Who: admin. Its pending deliveries are dropped."""
    webhooks.delete_endpoint(ctx, endpoint_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{id}/deliveries", responses=problems(401, 403, 404, 422, s404=NOT_FOUND))
def list_deliveries(
    endpoint_id: EndpointId,
    _: AdminOnly,
    ctx: CtxDep,
    status: Annotated[  # noqa: A002 (the contract's name)
        Literal["pending", "delivered", "failed"] | None, Query()
    ] = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: IdCursor = None,
) -> DeliveryPage:
    """Who: admin. Newest first."""
    page = webhooks.list_deliveries(
        ctx, endpoint_id, status=status, limit=limit, cursor=cursors.id_in(cursor)
    )
    return DeliveryPage(
        deliveries=[DeliveryOut.of(d) for d in page.items],
        next_cursor=cursors.id_out(page.next_cursor),
    )


@router.get(
    "/{id}/deliveries/{delivery_id}", responses=problems(401, 403, 404, 422, s404=NOT_FOUND)
)
def get_delivery(
    endpoint_id: EndpointId, delivery_id: DeliveryId, _: AdminOnly, ctx: CtxDep
) -> DeliveryDetail:
    """Who: admin. The delivery with every attempt made of it."""
    return DeliveryDetail.of(webhooks.get_delivery(ctx, endpoint_id, delivery_id))


@router.post(
    "/{id}/deliveries/{delivery_id}/retry",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=Accepted,
    responses=post_problems(401, 403, 404, 413, 422, s404=NOT_FOUND),
)
def retry_delivery(
    endpoint_id: EndpointId,
    delivery_id: DeliveryId,
    _: AdminOnly,
    idem: Idempotency,
    ctx: CtxDep,
) -> Response:
    """Who: admin. One more attempt, now (also for a failed delivery)."""

    def retry() -> Accepted:
        webhooks.retry_delivery(ctx, endpoint_id, delivery_id)
        return Accepted()

    return run_idempotent(ctx, idem, retry, status_code=status.HTTP_202_ACCEPTED)


@router.post(
    "/{id}/ping",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=Accepted,
    responses=post_problems(401, 403, 404, 413, 422, s404=NOT_FOUND),
)
def ping_webhook(endpoint_id: EndpointId, _: AdminOnly, idem: Idempotency, ctx: CtxDep) -> Response:
    """Who: admin. A `ping` event to this endpoint alone."""

    def ping() -> Accepted:
        webhooks.ping(ctx, endpoint_id)
        return Accepted()

    return run_idempotent(ctx, idem, ping, status_code=status.HTTP_202_ACCEPTED)
