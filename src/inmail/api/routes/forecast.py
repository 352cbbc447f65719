"""A member's credit forecast and plan advice (API.md, section 4)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from inmail.api.auth import SelfOrAdmin
from inmail.api.deps import CtxDep
from inmail.api.forecast_schemas import ForecastOut
from inmail.api.openapi import problems
from inmail.domain import forecast as rules
from inmail.service import forecast

router = APIRouter(tags=["forecast"])

Months = Annotated[
    int,
    Query(
        ge=1,
        le=rules.MONTHS_MAX,
        description=f"How many renewals to look ahead (1 to {rules.MONTHS_MAX}).",
    ),
]
SendsPerWeek = Annotated[
    float | None,
    Query(
        ge=0,
        le=rules.SENDS_PER_WEEK_MAX,
        allow_inf_nan=False,
        description="InMails the member wants to send a week (0 to 500). "
        "Default: the last 90 days' pace.",
    ),
]
ResponseRate = Annotated[
    float | None,
    Query(
        ge=0,
        le=1,
        allow_inf_nan=False,
        description="The share of InMails answered in time (0 to 1). Default: the last 90 days'.",
    ),
]
ResponseDays = Annotated[
    int | None,
    Query(
        ge=rules.RESPONSE_DAYS_MIN,
        le=rules.RESPONSE_DAYS_MAX,
        description="Days from an InMail to its answer (1 to 89). "
        "Default: the last 90 days' median, else 3.",
    ),
]


@router.get(
    "/v1/members/{id}/forecast",
    responses=problems(401, 403, 404, 422, s422="`validation-error`: a parameter out of range."),
)
def get_forecast(
    member_id: SelfOrAdmin,
    ctx: CtxDep,
    months: Months = rules.MONTHS_DEFAULT,
    sends_per_week: SendsPerWeek = None,
    response_rate: ResponseRate = None,
    response_days: ResponseDays = None,
) -> ForecastOut:
    """Who: self, admin. The balance over the next renewals (the main line and
    its p10/p90 band), when it runs out, and which plan would suit the pace."""
    result = forecast.member_forecast(
        ctx,
        member_id,
        months=months,
        sends_per_week=sends_per_week,
        response_rate=response_rate,
        response_days=response_days,
    )
    return ForecastOut.of_forecast(result.forecast, result.from_history)
