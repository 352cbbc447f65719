"""The admin page: members with plans and balances, plan changes, cancels,
adjustments, sign-in tokens, the manual clock, and webhook endpoints with
their recent deliveries."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from inmail.config import parse_time
from inmail.domain.errors import InmailError, ValidationFailed
from inmail.service import due, members, overview, subscriptions, webhooks
from inmail.service.tokens import issue_token
from inmail.web import text
from inmail.web.deps import Admin, State
from inmail.web.render import PageRoute, flash, render, see_other

router = APIRouter(route_class=PageRoute)

Field = Annotated[str, Form()]
UNITS = {"hours": timedelta(hours=1), "days": timedelta(days=1)}


RECENT_DELIVERIES = 20


def _page(
    request: Request,
    web: State,
    cursor: str | None = None,
    token: tuple[str, str] | None = None,
    endpoint: webhooks.EndpointView | None = None,
) -> Response:
    page = overview.list_members(web.ctx, limit=50, cursor=cursor)
    return render(
        request,
        "admin.html",
        members=page.items,
        next_cursor=page.next_cursor,
        first_page=cursor is None,
        plans=list(web.ctx.plans.values()),
        now=due.clock_now(web.ctx),
        manual=web.ctx.clock.manual,
        token=token,
        endpoints=webhooks.list_endpoints(web.ctx),
        deliveries=webhooks.recent_deliveries(web.ctx, RECENT_DELIVERIES),
        new_endpoint=endpoint,
    )


@router.get("/admin")
def admin_page(request: Request, web: State, _: Admin, cursor: str | None = None) -> Response:
    return _page(request, web, cursor)


def _done(request: Request, action, message: str, back: str = "/admin") -> Response:  # type: ignore[no-untyped-def]
    """Run an admin action; say how it went on the admin page."""
    try:
        action()
    except InmailError as exc:
        flash(request, text.friendly(exc), "error")
    else:
        flash(request, message)
    return see_other(back)


# An unticked checkbox sends nothing, so absence means "off".
Checkbox = Annotated[str, Form()]


@router.post("/admin/members")
def create_member(
    request: Request,
    web: State,
    _: Admin,
    member_id: Annotated[str, Form(alias="id")] = "",
    name: Field = "",
    inmail_opt_out: Checkbox = "",
    open_profile: Checkbox = "",
) -> Response:
    member_id = member_id.strip()
    return _done(
        request,
        lambda: members.create_member(
            web.ctx,
            member_id,
            name,
            inmail_opt_out=bool(inmail_opt_out),
            open_profile=bool(open_profile),
        ),
        f"{member_id} was added. Start a plan and give them a sign-in token below.",
    )


@router.post("/admin/connections")
def connect(request: Request, web: State, _: Admin, a: Field = "", b: Field = "") -> Response:
    a, b = a.strip(), b.strip()
    return _done(
        request,
        lambda: members.connect(web.ctx, a, b),
        f"{a} and {b} are 1st-degree connections: messages between them are free.",
    )


@router.post("/admin/members/{member_id}/settings")
def member_settings(
    request: Request,
    web: State,
    _: Admin,
    member_id: str,
    inmail_opt_out: Checkbox = "",
    open_profile: Checkbox = "",
) -> Response:
    return _done(
        request,
        lambda: members.update_member(
            web.ctx,
            member_id,
            inmail_opt_out=bool(inmail_opt_out),
            open_profile=bool(open_profile),
        ),
        f"{member_id}'s settings are saved.",
    )


@router.post("/admin/members/{member_id}/plan")
def set_plan(request: Request, web: State, _: Admin, member_id: str, plan: Field = "") -> Response:
    return _done(
        request,
        lambda: subscriptions.put_subscription(web.ctx, member_id, plan),
        f"{member_id} is on the {plan} plan.",
    )


@router.post("/admin/members/{member_id}/cancel")
def cancel(request: Request, web: State, _: Admin, member_id: str) -> Response:
    return _done(
        request,
        lambda: subscriptions.cancel_subscription(web.ctx, member_id),
        f"{member_id}'s subscription ends at its next renewal date.",
    )


def _whole_number(value: str) -> int:
    try:
        return int(value.strip().replace("\u2212", "-"))
    except ValueError as exc:
        raise ValidationFailed("the amount must be a whole number, like 5 or -3") from exc


@router.post("/admin/members/{member_id}/adjust")
def adjust(
    request: Request,
    web: State,
    _: Admin,
    member_id: str,
    amount: Field = "",
    reason: Field = "",
) -> Response:
    def act() -> None:
        subscriptions.adjust_credits(web.ctx, member_id, _whole_number(amount), reason)

    return _done(request, act, f"{member_id}'s balance was adjusted by {amount.strip()}.")


@router.post("/admin/members/{member_id}/token")
def token(request: Request, web: State, _: Admin, member_id: str) -> Response:
    # Shown in this answer only, never put in the (readable) session cookie.
    return _page(request, web, token=(member_id, issue_token(web.ctx, member_id)))


@router.post("/admin/clock/advance")
def advance(
    request: Request, web: State, _: Admin, amount: Field = "", unit: Field = "days"
) -> Response:
    def act() -> None:
        count = _whole_number(amount)
        step = UNITS.get(unit)
        if step is None or count <= 0:
            raise ValidationFailed("advance by a positive number of hours or days")
        due.move_clock(web.ctx, advance=step * count)

    return _done(request, act, f"The clock moved forward {amount.strip()} {unit}.")


@router.post("/admin/clock/set")
def set_clock(request: Request, web: State, _: Admin, to: Field = "") -> Response:
    def act() -> None:
        try:
            when = parse_time(to.strip())
        except ValueError as exc:
            raise ValidationFailed("give a date and time, like 2026-03-03T09:30") from exc
        due.move_clock(web.ctx, when)

    return _done(request, act, f"The clock is set to {to.strip()} UTC.")


@router.post("/admin/webhooks")
def add_webhook(
    request: Request, web: State, _: Admin, url: Field = "", description: Field = ""
) -> Response:
    try:
        endpoint = webhooks.create_endpoint(web.ctx, url, description=description)
    except InmailError as exc:
        flash(request, text.friendly(exc), "error")
        return see_other("/admin#webhooks")
    # The secret is shown in this answer only, never put in the session cookie.
    return _page(request, web, endpoint=endpoint)


@router.post("/admin/webhooks/{endpoint_id}/deliveries/{delivery_id}/retry")
def retry_delivery(
    request: Request, web: State, _: Admin, endpoint_id: str, delivery_id: int
) -> Response:
    return _done(
        request,
        lambda: webhooks.retry_delivery(web.ctx, endpoint_id, delivery_id),
        f"Delivery {delivery_id} will be tried again now.",
        back="/admin#webhooks",
    )


@router.post("/admin/webhooks/{endpoint_id}/delete")
def delete_webhook(request: Request, web: State, _: Admin, endpoint_id: str) -> Response:
    return _done(
        request,
        lambda: webhooks.delete_endpoint(web.ctx, endpoint_id),
        "The endpoint was removed; its pending deliveries were dropped.",
        back="/admin#webhooks",
    )
