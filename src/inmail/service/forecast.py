"""The credit forecast of a member (API.md, section 4), and of a made-up one.

The assumptions not given come from the member's last 90 days of paid
InMails: sends a week, the share answered in time (InMails still awaiting an
answer count as not answered yet, as in the credits summary's response rate)
and the median days to an answer (3 when there is none). The InMails
awaiting a response are handed to the domain, which counts on the same share
of them coming back (see :mod:`inmail.domain.forecast`).
"""

from __future__ import annotations

import hashlib
import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta

from inmail.domain import forecast
from inmail.domain.errors import ValidationFailed
from inmail.domain.forecast import Assumptions, Forecast, Situation
from inmail.domain.plans import Plan
from inmail.service.context import Context
from inmail.store import history

ASSUMPTIONS = ("sends_per_week", "response_rate", "response_days")


@dataclass(frozen=True)
class MemberForecast:
    forecast: Forecast
    # Which assumptions came from the member's history, in ASSUMPTIONS' order.
    from_history: tuple[str, ...]


def seed_of(*parts: object) -> int:
    """A seed for the random runs from what the request says: the same
    request gives the same answer (Python's hash() is salted per process)."""
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big")


def _from_history(sent: int, answered: int, delays: list[timedelta]) -> tuple[float, float, int]:
    weeks = forecast.HISTORY / timedelta(weeks=1)
    per_week = min(forecast.SENDS_PER_WEEK_MAX, round(sent / weeks, 2))
    rate = round(answered / sent, 3) if sent else 0.0
    days = forecast.RESPONSE_DAYS_DEFAULT
    if delays:
        median = statistics.median(d / timedelta(days=1) for d in delays)
        days = min(forecast.RESPONSE_DAYS_MAX, max(forecast.RESPONSE_DAYS_MIN, round(median)))
    return per_week, rate, days


def member_forecast(
    ctx: Context,
    member_id: str,
    *,
    months: int = forecast.MONTHS_DEFAULT,
    sends_per_week: float | None = None,
    response_rate: float | None = None,
    response_days: int | None = None,
) -> MemberForecast:
    """The forecast of a member's settled account; assumptions left out come
    from their last 90 days."""
    forecast.check_months(months)
    given = (sends_per_week, response_rate, response_days)
    with ctx.reading(member_id) as work:
        account = work.accounts[member_id]
        awaiting = history.awaiting_sent_at(work.conn, member_id)
        guessed: tuple[float, float, int] | None = None
        if None in given:
            since = work.now - forecast.HISTORY
            sent, answered = history.recent_counts(work.conn, member_id, since)
            delays = [r - s for s, r in history.recent_answers(work.conn, member_id, since)]
            guessed = _from_history(sent, answered, delays)
        now = work.now
    values = [
        value if value is not None else guessed[i] if guessed else None
        for i, value in enumerate(given)
    ]
    assumptions = Assumptions(float(values[0]), float(values[1]), int(values[2]))
    situation = Situation(now, account.balance, account.subscription, tuple(awaiting))
    sub = account.subscription
    a = assumptions  # as numbers of one type each, so 8 and 8.0 seed alike
    seed = seed_of(
        member_id,
        months,
        a.sends_per_week,
        a.response_rate,
        a.response_days,
        account.balance,
        sub.next_renewal_at if sub else None,
    )
    result = forecast.forecast(situation, ctx.plans, assumptions, months, seed=seed)
    return MemberForecast(
        result, tuple(name for name, g in zip(ASSUMPTIONS, given, strict=True) if g is None)
    )


def simulate(
    plans: dict[str, Plan],
    plan_code: str,
    now: datetime,
    assumptions: Assumptions,
    months: int = forecast.MONTHS_DEFAULT,
) -> Forecast:
    """The forecast of a made-up member who starts on ``plan_code`` at ``now``
    (no database: ``inmail simulate`` needs only the plans)."""
    if plan_code not in plans:
        raise ValidationFailed(f"unknown plan {plan_code!r}; plans: {', '.join(plans)}")
    situation = forecast.made_up(plans[plan_code], now)
    a = assumptions
    seed = seed_of(plan_code, months, a.sends_per_week, a.response_rate, a.response_days)
    return forecast.forecast(situation, plans, assumptions, months, seed=seed)
