"""The forecast's main line against cases worked out by hand, on the domain alone.

Every case: plan Pro (20 a month, cap 60), today 17 January 2026 at 10:00,
a subscription started 17 December 2025 at 10:00, so renewals fall on the
17th at 10:00. Wanted InMail i goes at now + i * 7 days / sends_per_week.
"""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from inmail.domain import forecast, lifecycle
from inmail.domain.errors import ValidationFailed
from inmail.domain.forecast import Assumptions, Situation
from inmail.domain.plans import DEFAULT_PLANS

NOW = datetime(2026, 1, 17, 10, 0, tzinfo=UTC)
STARTED = datetime(2025, 12, 17, 10, 0, tzinfo=UTC)
PRO = DEFAULT_PLANS["pro"]


def at(month, day, hour=10):
    return datetime(2026, month, day, hour, 0, tzinfo=UTC)


def pro_member(balance, *, cancelling=False, awaiting=()):
    sub, _ = lifecycle.start(PRO, STARTED)
    sub, _, _ = lifecycle.advance(sub, 0, DEFAULT_PLANS, NOW)  # the 17 January renewal
    if cancelling:
        sub = lifecycle.cancel(sub)
    return Situation(NOW, balance, sub, tuple(awaiting))


def run(situation, sends_per_week, rate=0.0, days=3, months=1, seed=7):
    return forecast.forecast(
        situation, DEFAULT_PLANS, Assumptions(sends_per_week, rate, days), months, seed=seed
    )


def main_line(result):
    return [
        (r.at, r.kind, r.balance_before, r.granted, r.forfeited, r.balance_after)
        for r in result.renewals
    ]


def advice(result):
    return {p.code: (p.expected_forfeited, p.expected_shortfall) for p in result.plans}


def test_no_sends_fills_up_to_the_cap_and_forfeits_the_rest():
    result = run(pro_member(30), 0, months=3)
    assert main_line(result) == [
        (at(2, 17), "renewal", 30, 20, 0, 50),
        (at(3, 17), "renewal", 50, 20, 10, 60),
        (at(4, 17), "renewal", 60, 20, 20, 60),
    ]
    # With nothing sent there is nothing random: the band is the line.
    assert [(r.p10, r.p90) for r in result.renewals] == [(50, 50), (60, 60), (60, 60)]
    assert (result.runs_out_at, result.shortfall) == (None, 0)
    assert result.send_before_next_renewal == 0  # 30 + 20 is under the cap
    # Teams and Enterprise apply from the next renewal: 60, 90, 120 -> 90
    # and 80, 130, 180 -> 150, each losing 30 as well.
    assert advice(result) == {"pro": (30, 0), "teams": (30, 0), "enterprise": (30, 0)}
    assert result.best_plan == "pro"  # the first plan with no shortfall


def test_sends_above_the_allotment_without_answers_run_out():
    # One a day at 10:00 from 18 January. 5 credits last to 22 January;
    # 23 January to 16 February (9 + 16 days) cannot be sent. The renewal
    # at 10:00 on 17 February comes before that moment's send: 20 sends to
    # 8 March, then 9 to 16 March are short. The send at the horizon (17
    # March, 10:00) is not wanted.
    result = run(pro_member(5), 7, months=2)
    assert main_line(result) == [
        (at(2, 17), "renewal", 0, 20, 0, 20),
        (at(3, 17), "renewal", 0, 20, 0, 20),
    ]
    assert result.runs_out_at == at(1, 22)
    assert result.shortfall == 25 + 8
    # The first month cannot change (a plan applies from the next renewal);
    # from 17 February, 28 sends fit in Teams' 30 and Enterprise's 50.
    assert advice(result) == {"pro": (0, 33), "teams": (0, 25), "enterprise": (0, 25)}
    assert result.best_plan == "teams"  # no plan avoids a shortfall: the smallest, first


def test_every_inmail_answered_keeps_three_credits_out():
    # Daily sends, each refunded 3 days later (a refund before the send of
    # the same moment): 9, 8, 7, then 7 for good, three credits out. The
    # renewal adds 20 and the three stay out: 27 until the next one.
    result = run(pro_member(10), 7, rate=1.0, months=2)
    assert main_line(result) == [
        (at(2, 17), "renewal", 7, 20, 0, 27),
        (at(3, 17), "renewal", 27, 20, 0, 47),
    ]
    assert (result.runs_out_at, result.shortfall) == (None, 0)


def test_a_member_at_the_cap_loses_what_the_renewal_cannot_hold():
    # Two a week: every 3.5 days, 8 sends before 17 February (the 9th would
    # be on day 31.5). 52 + 20 = 72: 12 over the cap.
    result = run(pro_member(60), 2, months=1)
    assert main_line(result) == [(at(2, 17), "renewal", 52, 20, 12, 60)]
    assert result.send_before_next_renewal == 20  # 60 + 20 - 60, at today's balance
    assert advice(result)["pro"] == (12, 0)


def test_a_cancelling_subscription_runs_to_its_end():
    # Every 2 days from 19 January: 15 sends to 16 February; the end on 17
    # February forfeits the 15 left, and nothing lies beyond it.
    result = run(pro_member(30, cancelling=True), 3.5, months=6)
    assert main_line(result) == [(at(2, 17), "end", 15, 0, 15, 0)]
    assert (result.status, result.ends_at, result.horizon) == ("cancelling", at(2, 17), at(2, 17))
    assert result.send_before_next_renewal == 30  # the end forfeits the whole balance
    # Each plan takes the cancel back: Pro's 20 a month covers 15 a month.
    assert result.best_plan == "pro"
    assert advice(result)["pro"][1] == 0


def test_a_refund_above_the_cap_is_trimmed_at_the_next_renewal():
    # At the cap, one InMail sent 10 January awaits an answer: answered
    # after 10 days (20 January), its credit comes back in full (61); the
    # renewal trims 61 + 20 to 60. One sent 2 January, already past its
    # usual answer time (12 January), is not counted on.
    result = run(pro_member(60, awaiting=[at(1, 2), at(1, 10)]), 0, rate=1.0, days=10)
    assert main_line(result) == [(at(2, 17), "renewal", 61, 20, 21, 60)]


def test_no_subscription_has_nothing_ahead_and_advice_starts_each_plan():
    result = run(Situation(NOW, 0, None), 8, rate=0.25, months=3)
    assert (result.status, result.renewals, result.shortfall) == ("none", [], 0)
    assert result.send_before_next_renewal == 0
    assert [p.code for p in result.plans] == ["pro", "teams", "enterprise"]
    # 8 a week is about 35 a month; with a quarter back, Pro's 20 is short.
    assert advice(result)["pro"][1] > 0
    assert result.best_plan == "teams"


def test_a_made_up_member_starts_with_the_first_grant():
    result = run(forecast.made_up(PRO, NOW), 0, months=2)
    assert main_line(result) == [
        (at(2, 17), "renewal", 20, 20, 0, 40),
        (at(3, 17), "renewal", 40, 20, 0, 60),
    ]
    assert (result.status, result.plan, result.send_before_next_renewal) == ("active", "pro", 0)


def test_the_same_request_gives_the_same_answer_and_the_band_holds_the_line():
    situation = pro_member(12)
    first = run(situation, 8, rate=0.25, months=12, seed=42)
    assert run(situation, 8, rate=0.25, months=12, seed=42) == first
    for row in first.renewals:
        assert 0 <= row.p10 <= row.p90 <= PRO.max_balance + 30


def test_every_kth_inmail_is_answered():
    assert [j for j in range(1, 13) if forecast.answered(j, 0.25)] == [4, 8, 12]
    assert [j for j in range(1, 11) if forecast.answered(j, 0.1)] == [10]
    assert sum(forecast.answered(j, 0.7) for j in range(1, 101)) == 70


@pytest.mark.parametrize(
    "values",
    [(-1, 0.5, 3), (501, 0.5, 3), (1, -0.1, 3), (1, 1.5, 3), (1, 0.5, 0), (1, 0.5, 90)],
)
def test_assumptions_out_of_range_are_refused(values):
    with pytest.raises(ValidationFailed):
        Assumptions(*values)


@pytest.mark.parametrize("months", [0, 25])
def test_months_out_of_range_are_refused(months):
    with pytest.raises(ValidationFailed):
        run(pro_member(10), 1, months=months)


def test_a_plan_change_applies_from_the_next_renewal():
    situation = pro_member(50)
    assert situation.subscription is not None
    teams = lifecycle.change_plan(situation.subscription, DEFAULT_PLANS["teams"], NOW)
    result = run(replace(situation, subscription=teams), 0, months=2)
    assert main_line(result) == [
        (at(2, 17), "renewal", 50, 30, 0, 80),
        (at(3, 17), "renewal", 80, 30, 20, 90),
    ]
    assert result.plan == "teams"


def test_send_times_are_the_ones_a_client_computes():
    result = run(pro_member(1), 3, months=1)
    # 1 credit: the first send (now + 7/3 days) takes it; the second is short.
    assert result.runs_out_at == NOW + timedelta(days=7) / 3


def test_a_pace_too_slow_to_send_within_the_horizon_sends_nothing():
    from inmail.service.forecast import simulate

    now = datetime(2026, 1, 15, 9, 30, tzinfo=UTC)
    slow = simulate(dict(DEFAULT_PLANS), "pro", now, Assumptions(2.2e-311, 0.5, 3), 24)
    none = simulate(dict(DEFAULT_PLANS), "pro", now, Assumptions(0, 0.5, 3), 24)
    assert [r.balance_after for r in slow.renewals] == [r.balance_after for r in none.renewals]
    assert slow.shortfall == 0 and slow.runs_out_at is None
