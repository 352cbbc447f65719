"""The credit forecast: a member's balance over the next renewals, and which
plan would suit their pace (API.md, section 4).

It replays the engine's own rules over a made-up future, never a copy of
them: the renewals, the cap, the end of a cancelled subscription and plan
changes through :func:`lifecycle.advance` (and, for the random runs,
:func:`lifecycle.due_date_change`, the function ``advance`` applies); which
answers refund through :func:`messages.refunds` and
:func:`messages.refund_deadline`; a send costs ``Charge.INMAIL.credits`` and
goes only while the balance holds it (inside the horizon the subscription is
always live, the other check of :func:`messages.check_inmail_allowed`).

The main line is deterministic and exact, event by event: the engine, run
with the same sends and answers on a manual clock, ends every renewal with
the same balance. Wanted InMail ``i`` (from 1) goes at ``now + i * 7 days /
sends_per_week``, if the balance allows; of the InMails sent, the ``j``-th
(from 1) is answered iff ``floor(j * rate) > floor((j - 1) * rate)`` (every
k-th, spread evenly), ``response_days`` later. At one instant, a due date
comes first (as the engine settles before it acts), then a refund, then a
send. Sends are wanted strictly before the horizon, the ``months``-th
renewal from now (or the end of a cancelling subscription).

InMails already awaiting a response: their credit may still come back. Each
whose usual answer time (``sent_at + response_days``) is still ahead is
treated like a new one: the same share of them, every k-th in the order they
were sent, is answered then. One already past that time is counted as not
coming back: most answers come sooner, and a late one is a bonus rather than
a promise.

The band (``p10``/``p90``) comes from seeded random runs with the same
averages (domain.forecast_band).
"""

from __future__ import annotations

import math
import random
from collections import deque
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from inmail.domain import calendar, lifecycle, messages
from inmail.domain.errors import ValidationFailed
from inmail.domain.forecast_band import band as random_band
from inmail.domain.lifecycle import Ended, Renewed, Subscription, SubscriptionStatus
from inmail.domain.plans import Plan
from inmail.domain.times import MICROSECOND as _US
from inmail.domain.times import micros_between

MONTHS_DEFAULT = 6
MONTHS_MAX = 24
SENDS_PER_WEEK_MAX = 500.0
RESPONSE_DAYS_MIN, RESPONSE_DAYS_MAX = 1, 89
# The usual answer time when the history has no answer to take a median of.
RESPONSE_DAYS_DEFAULT = 3
# The assumptions not given come from this much of the member's history.
HISTORY = timedelta(days=90)
# Random runs behind p10/p90.
RUNS = 100

WEEK = timedelta(days=7)
_NEVER = 2**62  # later than any horizon, in microseconds from now
_FAR_DAYS = 1_000_000  # a send further off than this is never (far past any horizon)


@dataclass(frozen=True)
class Assumptions:
    sends_per_week: float
    response_rate: float
    response_days: int

    def __post_init__(self) -> None:
        if not 0 <= self.sends_per_week <= SENDS_PER_WEEK_MAX:
            raise ValidationFailed(f"sends_per_week must be 0 to {SENDS_PER_WEEK_MAX:g}")
        if not 0 <= self.response_rate <= 1:
            raise ValidationFailed("response_rate must be 0 to 1")
        if not RESPONSE_DAYS_MIN <= self.response_days <= RESPONSE_DAYS_MAX:
            raise ValidationFailed(
                f"response_days must be {RESPONSE_DAYS_MIN} to {RESPONSE_DAYS_MAX}"
            )


def check_months(months: int) -> None:
    if not 1 <= months <= MONTHS_MAX:
        raise ValidationFailed(f"months must be 1 to {MONTHS_MAX}")


@dataclass(frozen=True)
class Situation:
    """Where a forecast starts: the settled account at ``now``."""

    now: datetime
    balance: int
    subscription: Subscription | None
    # sent_at of the paid InMails awaiting a response, oldest first.
    awaiting: tuple[datetime, ...] = ()
    # A made-up member who starts on this plan at ``now`` (the advice then
    # compares starting on each plan).
    starting: str | None = None


def made_up(plan: Plan, now: datetime) -> Situation:
    """A member with nothing yet who starts on ``plan`` at ``now``."""
    return Situation(now, 0, None, starting=plan.code)


@dataclass(frozen=True)
class Row:
    """A due date ahead: a renewal, or (``kind == "end"``) a cancelling
    subscription's end."""

    at: datetime
    kind: str
    balance_before: int
    granted: int
    forfeited: int
    balance_after: int
    p10: int
    p90: int


@dataclass(frozen=True)
class PlanAdvice:
    code: str
    expected_forfeited: int
    expected_shortfall: int


@dataclass(frozen=True)
class Forecast:
    assumptions: Assumptions
    now: datetime
    balance: int
    # The plan and status the forecast starts from ("none" without a subscription).
    plan: str | None
    status: str
    horizon: datetime
    # When the subscription ends inside the horizon (the forecast stops there).
    ends_at: datetime | None
    renewals: list[Row]
    runs_out_at: datetime | None
    shortfall: int
    send_before_next_renewal: int
    best_plan: str
    plans: list[PlanAdvice]

    @property
    def forfeited(self) -> int:
        return sum(row.forfeited for row in self.renewals)


def answered(j: int, rate: float) -> bool:
    """Is the ``j``-th (from 1) of a run of InMails answered? Every k-th,
    spread evenly, so that ``rate`` of them are. (The tiny slack keeps 0.1 * 30
    a whole 3 in floating point.)"""
    return math.floor(j * rate + 1e-9) > math.floor((j - 1) * rate + 1e-9)


class _Sends:
    """The wanted sends of the main line: the ``i``-th (from 1) at ``i * 7 days
    / sends_per_week`` after now, in microseconds (timedelta's own rounding,
    so the times are exactly those a client would compute). Kept as they are
    computed: every plan's line asks for the same ones."""

    def __init__(self, sends_per_week: float) -> None:
        self.per_week = sends_per_week
        self._times: dict[int, int] = {}

    def at(self, i: int) -> int:
        if self.per_week <= 0:
            return _NEVER
        t = self._times.get(i)
        if t is None:
            # A pace so slow that timedelta would overflow: never, in effect.
            far = 7 * i / self.per_week > _FAR_DAYS
            t = self._times[i] = _NEVER if far else (WEEK * i / self.per_week) // _US
        return t

    def first_from(self, t: int) -> int:
        """The index of the first send at or after ``t``."""
        if self.per_week <= 0:
            return 1
        i = max(1, math.ceil(t * self.per_week / (WEEK // _US)))
        while i > 1 and self.at(i - 1) >= t:
            i -= 1
        while self.at(i) < t:
            i += 1
        return i


@dataclass
class _Line:
    """A main line: its rows (without the band), its shortfall, and the due
    dates with the subscription just before each, for the random runs."""

    rows: list[Row]
    runs_out_at: datetime | None
    shortfall: int
    schedule: list[tuple[int, Subscription]]


def horizon(sub: Subscription | None, now: datetime, months: int) -> datetime:
    """The ``months``-th renewal from now; a cancelling subscription's end;
    ``now`` itself without a live subscription (nothing lies ahead)."""
    if sub is None or not sub.status.live or sub.next_renewal_at is None:
        return now
    if sub.status is SubscriptionStatus.CANCELLING:
        return sub.next_renewal_at
    return calendar.renewal_at(sub.started_at, sub.renewals_done + months)


def _awaiting_answers(situation: Situation, a: Assumptions, end: int) -> list[int]:
    """When (microseconds from now) the awaiting InMails of the main line are
    answered with a refund, in order (see the module's docstring)."""
    delay = timedelta(days=a.response_days)
    times = []
    candidates = [s for s in situation.awaiting if s + delay > situation.now]
    for j, sent_at in enumerate(candidates, start=1):
        answer_at = sent_at + delay
        deadline = messages.refund_deadline(sent_at, messages.Charge.INMAIL)
        if answered(j, a.response_rate) and messages.refunds(answer_at, deadline):
            t = micros_between(situation.now, answer_at)
            if t < end:
                times.append(t)
    return times


def _due(sub: Subscription | None, now: datetime) -> int:
    """The next due date (a renewal or the end), in microseconds from now."""
    if sub is None or not sub.status.live or sub.next_renewal_at is None:
        return _NEVER
    return micros_between(now, sub.next_renewal_at)


def _main_line(
    sub: Subscription | None,
    balance: int,
    situation: Situation,
    plans: dict[str, Plan],
    a: Assumptions,
    end_at: datetime,
    sends: _Sends,
) -> _Line:
    now = situation.now
    end = micros_between(now, end_at)
    delay = timedelta(days=a.response_days)
    delay_us = delay // _US
    # Every new answer comes response_days after its send, well inside the window.
    new_answers_refund = messages.refunds(
        now + delay, messages.refund_deadline(now, messages.Charge.INMAIL)
    )
    refunds = deque(_awaiting_answers(situation, a, end))
    rows: list[Row] = []
    schedule: list[tuple[int, Subscription]] = []
    i, sent, shortfall = 1, 0, 0
    cost = messages.Charge.INMAIL.credits
    zero_at: int | None = 0 if balance == 0 else None
    runs_out: int | None = None
    t_send = sends.at(i)
    t_due = _due(sub, now)
    while True:
        t_refund = refunds[0] if refunds else _NEVER
        if t_send >= end:
            t_send = _NEVER
        if t_due <= t_refund and t_due <= t_send:
            if t_due > end:
                break
            assert sub is not None and sub.next_renewal_at is not None
            before, previous = balance, sub
            sub, balance, events = lifecycle.advance(sub, balance, plans, sub.next_renewal_at)
            event = events[-1]
            assert isinstance(event, Renewed | Ended)
            granted = event.grant if isinstance(event, Renewed) else 0
            kind = "renewal" if isinstance(event, Renewed) else "end"
            rows.append(
                Row(event.at, kind, before, granted, event.forfeit, balance, balance, balance)
            )
            schedule.append((t_due, previous))
            if balance == 0 and zero_at is None:
                zero_at = t_due
            elif balance > 0:
                zero_at = None
            if t_due >= end or not sub.status.live:
                break
            t_due = _due(sub, now)
        elif t_refund <= t_send:
            if t_refund >= end:
                break
            refunds.popleft()
            balance += 1
            zero_at = None
        elif t_send == _NEVER:
            break
        elif balance >= cost:
            # Inside the horizon the subscription is live: the balance decides.
            balance -= cost
            sent += 1
            if new_answers_refund and answered(sent, a.response_rate):
                refunds.append(t_send + delay_us)
            if balance == 0:
                zero_at = t_send
            i += 1
            t_send = sends.at(i)
        else:
            # Nothing can go until the next refund or due date: every send
            # wanted before then is short, counted at once.
            if runs_out is None:
                runs_out = zero_at if zero_at is not None else t_send
            upto = sends.first_from(min(t_due, t_refund, end))
            shortfall += upto - i
            i = upto
            t_send = sends.at(i)
    return _Line(
        rows,
        None if runs_out is None else now + timedelta(microseconds=runs_out),
        shortfall,
        schedule,
    )


def _advice_start(situation: Situation, plan: Plan) -> tuple[Subscription, int]:
    """The member's situation on ``plan``: a plan change on a live
    subscription (from the next renewal; a cancel taken back), else a new
    subscription from now with its first grant."""
    sub = situation.subscription
    if sub is None or not sub.status.live:
        new, first_grant = lifecycle.start(plan, situation.now)
        return new, situation.balance + first_grant
    if sub.status is SubscriptionStatus.ACTIVE and sub.plan == plan.code:
        return sub, situation.balance
    return lifecycle.change_plan(sub, plan, situation.now), situation.balance


def forecast(
    situation: Situation,
    plans: dict[str, Plan],
    assumptions: Assumptions,
    months: int = MONTHS_DEFAULT,
    *,
    seed: int,
    runs: int = RUNS,
) -> Forecast:
    """The forecast of section 4; the same arguments give the same answer."""
    check_months(months)
    sends = _Sends(assumptions.sends_per_week)
    if situation.starting is not None:
        sub, balance = _advice_start(situation, plans[situation.starting])
    else:
        sub, balance = situation.subscription, situation.balance
    end = horizon(sub, situation.now, months)
    line = _main_line(sub, balance, situation, plans, assumptions, end, sends)
    # Seeded on purpose: the same request gives the same answer.
    rng = random.Random(seed)  # noqa: S311
    band = random_band(
        line.schedule, situation.now, situation.awaiting, balance, plans, assumptions, rng, runs
    )
    rows = [
        replace(row, p10=low, p90=high) for row, (low, high) in zip(line.rows, band, strict=True)
    ]
    advice = []
    for plan in plans.values():
        plan_sub, plan_balance = _advice_start(situation, plan)
        plan_line = line
        if (plan_sub, plan_balance) != (sub, balance):
            plan_end = horizon(plan_sub, situation.now, months)
            plan_line = _main_line(
                plan_sub, plan_balance, situation, plans, assumptions, plan_end, sends
            )
        advice.append(
            PlanAdvice(
                plan.code,
                sum(r.forfeited for r in plan_line.rows),
                plan_line.shortfall,
            )
        )
    best = next((p for p in advice if p.expected_shortfall == 0), None) or min(
        advice, key=lambda p: p.expected_shortfall
    )
    live = sub is not None and sub.status.live
    plan = plans[sub.plan] if sub is not None and live else None
    ends = rows[-1].at if rows and rows[-1].kind == "end" else None
    return Forecast(
        assumptions=assumptions,
        now=situation.now,
        balance=balance,
        plan=plan.code if plan else None,
        status=sub.status.value if sub is not None and live else "none",
        horizon=end,
        ends_at=ends,
        renewals=rows,
        runs_out_at=line.runs_out_at,
        shortfall=line.shortfall,
        send_before_next_renewal=lifecycle.outlook(sub, balance, plan).forfeit,
        best_plan=best.code,
        plans=advice,
    )
