"""A member's subscription, credits summary, ledger and admin adjustments."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from inmail.api import cursors
from inmail.api.auth import AdminOnly, SelfOrAdmin
from inmail.api.cursors import IdCursor
from inmail.api.deps import DEFAULT_LIMIT, CtxDep, Limit, MemberId
from inmail.api.idempotency import Idempotency, run_idempotent
from inmail.api.openapi import post_problems, problems
from inmail.api.schemas import (
    AdjustmentIn,
    CreditsOut,
    LedgerEntryOut,
    LedgerPage,
    SubscriptionOut,
    SubscriptionPut,
)
from inmail.service import subscriptions

router = APIRouter(tags=["subscriptions"])


@router.put(
    "/v1/members/{id}/subscription",
    responses=problems(
        401, 403, 404, 413, 422, s422="`validation-error`: unknown plan, or started_at ahead."
    ),
)
def put_subscription(
    member_id: MemberId, body: SubscriptionPut, _: AdminOnly, ctx: CtxDep
) -> SubscriptionOut:
    """Who: admin. Starts a subscription (with its first grant), takes back a
    pending cancel, or changes the plan from the next renewal on."""
    return SubscriptionOut.of(
        subscriptions.put_subscription(ctx, member_id, body.plan, body.started_at)
    )


@router.get(
    "/v1/members/{id}/subscription",
    responses=problems(401, 403, 404, 422, s404="`not-found`: no such member or subscription."),
)
def get_subscription(member_id: SelfOrAdmin, ctx: CtxDep) -> SubscriptionOut:
    """Who: self, admin."""
    return SubscriptionOut.of(subscriptions.get_subscription(ctx, member_id))


@router.delete(
    "/v1/members/{id}/subscription",
    responses=problems(
        401, 403, 404, 409, 422, s409="`conflict`: the subscription is already cancelled."
    ),
)
def cancel_subscription(member_id: MemberId, _: AdminOnly, ctx: CtxDep) -> SubscriptionOut:
    """Who: admin. The cancel takes effect at the next renewal date (`ends_at`)."""
    return SubscriptionOut.of(subscriptions.cancel_subscription(ctx, member_id))


@router.get("/v1/members/{id}/credits", responses=problems(401, 403, 404, 422))
def get_credits(member_id: SelfOrAdmin, ctx: CtxDep) -> CreditsOut:
    """Who: self, admin."""
    return CreditsOut.of(subscriptions.get_credits(ctx, member_id))


@router.get("/v1/members/{id}/ledger", responses=problems(401, 403, 404, 422))
def list_ledger(
    member_id: SelfOrAdmin, ctx: CtxDep, limit: Limit = DEFAULT_LIMIT, cursor: IdCursor = None
) -> LedgerPage:
    """Who: self, admin. Newest first."""
    page = subscriptions.list_ledger(ctx, member_id, limit=limit, cursor=cursors.id_in(cursor))
    return LedgerPage(
        entries=[LedgerEntryOut.of(entry) for entry in page.items],
        next_cursor=cursors.id_out(page.next_cursor),
    )


@router.post(
    "/v1/members/{id}/credits/adjustments",
    status_code=status.HTTP_201_CREATED,
    response_model=LedgerEntryOut,
    responses=post_problems(
        401, 403, 404, 413, 422, s409="`conflict`: the balance would go below 0."
    ),
)
def adjust_credits(
    member_id: MemberId, body: AdjustmentIn, _: AdminOnly, idem: Idempotency, ctx: CtxDep
) -> Response:
    """Who: admin. May pass the cap (trimmed at the next renewal)."""
    return run_idempotent(
        ctx,
        idem,
        lambda: LedgerEntryOut.of(
            subscriptions.adjust_credits(ctx, member_id, body.amount, body.reason)
        ),
        status_code=status.HTTP_201_CREATED,
    )
