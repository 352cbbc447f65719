"""My Premium Page: balance, plan, renewal, forfeit warning, InMails awaiting a
response, response rate, the balance chart and the paged ledger."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from inmail.domain.errors import NotFound
from inmail.service import overview, subscriptions
from inmail.service.members import get_member
from inmail.service.paging import decode_id_cursor
from inmail.service.views import LedgerEntryView, MessageView
from inmail.web import chart, text
from inmail.web.deps import SignedIn, State
from inmail.web.render import PageRoute, render, see_other

router = APIRouter(route_class=PageRoute)

LEDGER_PAGE = 15
CHART_ENTRIES = 200


def _history_rows(
    entries: list[LedgerEntryView], expired: list[MessageView]
) -> list[LedgerEntryView | MessageView]:
    """Ledger entries and expiries in one list, newest first (an expiry at
    its deadline). Sorting is stable, so entries keep the ledger's order."""
    rows: list[LedgerEntryView | MessageView] = [*entries, *expired]
    return sorted(
        rows,
        key=lambda r: r.at if isinstance(r, LedgerEntryView) else r.refund_deadline,
        reverse=True,
    )


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
    extra = overview.history_context(
        ctx,
        subject,
        ledger.items,
        cursor_id=decode_id_cursor(cursor),
        last_page=ledger.next_cursor is None,
    )
    history = subscriptions.list_ledger(ctx, subject, limit=CHART_ENTRIES).items[::-1]
    awaiting = overview.awaiting_inmails(ctx, subject)
    names = overview.member_names(
        ctx,
        {m.recipient for m in awaiting}
        | set(extra.others.values())
        | {m.recipient for m in extra.expired},
    )
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
        rows=_history_rows(ledger.items, extra.expired),
        others=extra.others,
        first_page=cursor is None,
        kinds=text.LEDGER_KINDS,
        chart=chart.build(history, credits.as_of, credits.max_balance),
        admin_view=viewer.is_admin,
        query_member=f"&member={subject}" if viewer.is_admin else "",
    )
