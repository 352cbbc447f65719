"""My Premium Page: balance, plan, renewal, forfeit warning, InMails awaiting a
response, response rate, the balance chart and the paged ledger."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from inmail.domain.errors import NotFound
from inmail.service import overview, subscriptions
from inmail.service.members import get_member
from inmail.web import chart, text
from inmail.web.deps import SignedIn, State
from inmail.web.render import PageRoute, render, see_other

router = APIRouter(route_class=PageRoute)

LEDGER_PAGE = 15
CHART_ENTRIES = 200


@router.get("/credits")
def credits_page(
    request: Request,
    web: State,
    viewer: SignedIn,
    cursor: str | None = None,
    member: str | None = None,
) -> Response:
    # The admin may look at any member's page; a member only at their own.
    subject = member if viewer.is_admin and member else viewer.member_id
    if subject is None:
        return see_other("/admin")
    ctx = web.ctx
    person = get_member(ctx, subject)
    credits = subscriptions.get_credits(ctx, subject)
    try:
        sub = subscriptions.get_subscription(ctx, subject)
    except NotFound:
        sub = None
    ledger = subscriptions.list_ledger(ctx, subject, limit=LEDGER_PAGE, cursor=cursor)
    history = subscriptions.list_ledger(ctx, subject, limit=CHART_ENTRIES).items[::-1]
    awaiting = overview.awaiting_inmails(ctx, subject)
    names = overview.member_names(ctx, {m.recipient for m in awaiting})
    cancelling = sub is not None and sub.status == "cancelling"
    return render(
        request,
        "credits.html",
        person=person,
        credits=credits,
        sub=sub,
        plan_name=ctx.plans[credits.plan].name if credits.plan in ctx.plans else None,
        warning=text.forfeit_warning(credits, cancelling=cancelling),
        renewal=text.renewal_text(credits) if credits.next_renewal_at else None,
        response_rate_text=text.response_rate_text(credits),
        awaiting=awaiting,
        names=names,
        ledger=ledger,
        first_page=cursor is None,
        kinds=text.LEDGER_KINDS,
        chart=chart.build(history, credits.as_of, credits.max_balance),
        admin_view=viewer.is_admin,
        query_member=f"&member={subject}" if viewer.is_admin else "",
    )
