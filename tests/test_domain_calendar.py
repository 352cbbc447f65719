"""The renewal calendar: anniversaries clamp to short months and never drift."""

from datetime import UTC, datetime

import pytest

from inmail.domain.calendar import add_months, renewal_at, warning_at


def at(y, m, d, hh=0, mm=0, ss=0):
    return datetime(y, m, d, hh, mm, ss, tzinfo=UTC)


def test_jan_31_renews_on_the_last_day_of_each_short_month_and_returns_to_31():
    start = at(2026, 1, 31, 10)
    assert [renewal_at(start, n) for n in range(1, 6)] == [
        at(2026, 2, 28, 10),
        at(2026, 3, 31, 10),
        at(2026, 4, 30, 10),
        at(2026, 5, 31, 10),
        at(2026, 6, 30, 10),
    ]


def test_feb_29_in_a_leap_year():
    assert renewal_at(at(2028, 1, 31), 1) == at(2028, 2, 29)
    assert renewal_at(at(2028, 1, 29), 1) == at(2028, 2, 29)


def test_started_on_feb_29_renews_on_the_29th_where_it_exists_and_feb_28_otherwise():
    start = at(2028, 2, 29, 8)
    assert renewal_at(start, 1) == at(2028, 3, 29, 8)
    assert renewal_at(start, 12) == at(2029, 2, 28, 8)
    assert renewal_at(start, 48) == at(2032, 2, 29, 8)


def test_february_of_a_common_year():
    assert renewal_at(at(2027, 1, 30), 1) == at(2027, 2, 28)
    assert renewal_at(at(2027, 1, 28), 1) == at(2027, 2, 28)


def test_december_rolls_into_january_of_the_next_year():
    assert renewal_at(at(2026, 12, 15, 7), 1) == at(2027, 1, 15, 7)
    assert renewal_at(at(2026, 11, 30), 3) == at(2027, 2, 28)


def test_same_time_of_day_even_at_23_59_59():
    start = at(2026, 3, 31, 23, 59, 59)
    assert renewal_at(start, 1) == at(2026, 4, 30, 23, 59, 59)
    assert renewal_at(start, 2) == at(2026, 5, 31, 23, 59, 59)


def test_anchored_to_the_original_day_never_drifting_over_many_years():
    start = at(2026, 1, 31, 12)
    for n in range(1, 240):
        renewal = renewal_at(start, n)
        assert renewal.hour == 12
        expected_day = min(31, _days_in(renewal.year, renewal.month))
        assert renewal.day == expected_day


def _days_in(year, month):
    import calendar

    return calendar.monthrange(year, month)[1]


def test_microseconds_are_kept():
    start = datetime(2026, 5, 31, 1, 2, 3, 456789, tzinfo=UTC)
    assert renewal_at(start, 1) == datetime(2026, 6, 30, 1, 2, 3, 456789, tzinfo=UTC)


def test_add_months_zero_and_renewals_numbered_from_one():
    assert add_months(at(2026, 1, 31), 0) == at(2026, 1, 31)
    with pytest.raises(ValueError):
        renewal_at(at(2026, 1, 31), 0)


def test_warning_is_seven_days_before_the_renewal():
    assert warning_at(at(2026, 3, 1, 9)) == at(2026, 2, 22, 9)
