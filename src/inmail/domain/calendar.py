"""The renewal calendar: monthly anniversaries of a subscription's start.

Renewal ``n`` is always computed from the original ``started_at`` (never from
the previous renewal), so a start on the 31st renews on Feb 28 (29) and then
on Mar 31 again: the day is clamped per month and never drifts.
"""

from __future__ import annotations

import calendar
from datetime import datetime, timedelta

# A cap-forfeit warning goes out this long before a renewal.
FORFEIT_WARNING_BEFORE = timedelta(days=7)


def add_months(start: datetime, months: int) -> datetime:
    """``start`` moved by whole calendar months, the day clamped to the month's end."""
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return start.replace(year=year, month=month, day=day)


def renewal_at(started_at: datetime, number: int) -> datetime:
    """When renewal ``number`` (1 for the first anniversary) of a subscription falls."""
    if number < 1:
        raise ValueError("renewals are numbered from 1")
    return add_months(started_at, number)


def warning_at(renewal: datetime) -> datetime:
    """When the cap-forfeit warning for ``renewal`` is due."""
    return renewal - FORFEIT_WARNING_BEFORE
