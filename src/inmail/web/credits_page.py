"""My Premium Page: balance, plan, renewal, forfeit warning, InMails awaiting a
response, response rate, the balance chart and the paged ledger."""

from __future__ import annotations

import math
from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import Response

from inmail.domain import forecast as rules
from inmail.domain.errors import NotFound, ValidationFailed
from inmail.service import forecast, overview, subscriptions
from inmail.service.members import get_member
from inmail.service.paging import decode_id_cursor
from inmail.service.views import LedgerEntryView, MessageView
from inmail.web import chart, forecast_chart, text
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


FORECAST_MONTHS = (3, 6, 12, 24)


@dataclass(frozen=True)
class ForecastForm:
    """The "try other assumptions" form, as typed: every field is optional
    (left empty, it comes from the last 90 days) and the response rate is a
    percentage, as people say it."""

    months: int = rules.MONTHS_DEFAULT
    sends_per_week: float | None = None
    response_rate: float | None = None
    response_days: int | None = None
    error: str | None = None

    @classmethod
    def parse(
        cls, months: str | None, sends: str | None, answered: str | None, days: str | None
    ) -> ForecastForm:
        try:
            return cls(
                months=int(months) if months else rules.MONTHS_DEFAULT,
                sends_per_week=float(sends) if sends else None,
                response_rate=float(answered) / 100 if answered else None,
                response_days=int(days) if days else None,
            )._checked()
        except (ValueError, ValidationFailed):
            return cls(
                error="Those assumptions could not be used: months 1 to 24, up to 500 "
                "InMails a week, 0 to 100 % answered, 1 to 89 days to an answer. "
                "Showing your own pace instead."
            )

    def _checked(self) -> ForecastForm:
        """The domain's own limits, on the values given (a missing one is
        checked later, as it comes from the history)."""
        rules.check_months(self.months)
        given = (self.sends_per_week, self.response_rate, self.response_days)
        usable = (0.0, 0.0, rules.RESPONSE_DAYS_MIN)  # stand-ins within the limits
        values = [usable[i] if v is None else v for i, v in enumerate(given)]
        if not all(math.isfinite(v) for v in values):
            raise ValueError("not a number")
        rules.Assumptions(float(values[0]), float(values[1]), int(values[2]))
        return self


@router.get("/credits")
def credits_page(
    request: Request,
    web: State,
    viewer: SignedIn,
    cursor: str | None = None,
    member: str | None = None,
    months: str | None = None,
    sends_per_week: str | None = None,
    answered: str | None = None,
    response_days: str | None = None,
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
    form = ForecastForm.parse(months, sends_per_week, answered, response_days)
    ahead = forecast.member_forecast(
        ctx,
        subject,
        months=form.months,
        sends_per_week=form.sends_per_week,
        response_rate=form.response_rate,
        response_days=form.response_days,
    )
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
        forecast=ahead.forecast,
        forecast_form=form,
        forecast_months=FORECAST_MONTHS,
        forecast_from_history=ahead.from_history,
        forecast_chart=forecast_chart.build(ahead.forecast, credits.max_balance),
        advice=text.forecast_advice(ahead.forecast, ctx.plans),
        plan_names={code: plan.name for code, plan in ctx.plans.items()},
        admin_view=viewer.is_admin,
        query_member=f"&member={subject}" if viewer.is_admin else "",
    )
