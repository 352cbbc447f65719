"""The pages' wording and the chart's geometry, without a database."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from inmail.domain.errors import InsufficientCredits, ValidationFailed
from inmail.service.views import CreditsView, LedgerEntryView
from inmail.web import chart, text

NOW = datetime(2026, 2, 20, 9, 30, tzinfo=UTC)


def credits(balance, forfeit, *, plan=("pro", 20, 60), renewal=datetime(2026, 3, 3, tzinfo=UTC)):
    code, monthly, cap = plan
    return CreditsView(
        member_id="maya",
        balance=balance,
        plan=code,
        monthly_credits=monthly,
        max_balance=cap,
        next_renewal_at=renewal,
        next_renewal_credits=max(0, monthly - forfeit),
        forfeit_at_next_renewal=forfeit,
        awaiting_response=0,
        response_rate=None,
        as_of=NOW,
    )


def test_forfeit_warning_in_plain_words():
    assert text.forfeit_warning(credits(58, 18)) == (
        "You have 58 of 60 credits: 18 of your next 20 credits will be lost on 3 March "
        "unless you use them."
    )
    assert text.forfeit_warning(credits(40, 0)) is None
    assert "your next 20 credits and 5 of the ones you have" in text.forfeit_warning(
        credits(65, 25)
    )
    assert text.forfeit_warning(credits(12, 12), cancelling=True) == (
        "Your subscription ends on 3 March: your 12 credits will be lost then unless you use them."
    )
    next_year = credits(58, 18, renewal=datetime(2027, 1, 3, tzinfo=UTC))
    assert "lost on 3 January 2027" in text.forfeit_warning(next_year)


def test_friendly_errors():
    assert text.friendly(InsufficientCredits()).startswith("You have no InMail credits left")
    assert text.friendly(ValidationFailed("body must be 1 to 2000 characters")) == (
        "Body must be 1 to 2000 characters."
    )
    assert text.status_of(InsufficientCredits()) == 402
    assert text.signed(-1) == "\u22121" and text.signed(20) == "+20"


def entry(n, at, amount, after, kind="grant"):
    return LedgerEntryView(n, "maya", at, kind, amount, after, None, None)


def test_chart_draws_steps_with_words_for_screen_readers():
    start = NOW - timedelta(days=90)
    renewal = start + timedelta(days=31)
    drawn = chart.build(
        [
            entry(1, start, 20, 20),
            entry(2, renewal, 20, 40),
            entry(3, renewal + timedelta(days=31), 20, 60),
            entry(4, renewal + timedelta(days=31), 20, 80),
            entry(5, renewal + timedelta(days=31), -20, 60, "forfeit"),
        ],
        NOW,
        60,
    )
    assert drawn is not None
    assert drawn.description.startswith("From 20 credits on 22 Nov 2025 to 60 on 23 Jan 2026")
    # One instant's grant and forfeit are one change: no spike above the cap.
    assert [v for _, v in drawn.rows] == [20, 40, 60]
    assert drawn.cap is not None and drawn.cap.text == "cap 60"
    assert [t.text for t in drawn.ticks] == ["Dec", "Jan", "Feb"]
    assert drawn.steps[0].x1 == "2.00%" and drawn.steps[-1].x2 == "97.00%"
    assert chart.build([], NOW, 60) is None


def test_the_renewal_says_what_it_adds_or_trims():
    assert text.renewal_text(credits(30, 0)) == "Adds 20 credits on 3 March."
    assert text.renewal_text(credits(58, 18)) == (
        "Adds 2 of your 20 monthly credits on 3 March: 18 would pass your cap of 60."
    )
    # Above the cap a renewal adds nothing: it trims the balance back to the cap.
    assert text.renewal_text(credits(62, 22)) == (
        "62 of 60: 2 will be trimmed on 3 March, and no credits are added."
    )
    assert text.renewal_text(credits(60, 20)) == (
        "60 of 60: you are at your cap, so nothing is added on 3 March."
    )


def test_the_response_rate_says_what_it_counts():
    view = credits(30, 0)
    assert text.response_rate_text(view) == "You have not sent an InMail yet."
    view = replace(view, response_rate=0.5, awaiting_response=3)
    assert text.response_rate_text(view) == (
        "of the InMails you sent were answered within 90 days. "
        "The 3 still awaiting an answer count as not answered yet."
    )


def test_an_inbox_row_shows_the_start_of_a_message_on_one_line():
    assert text.snippet("Thursday works.\n\nTalk then!") == "Thursday works. Talk then!"
    long = "Hi Omar, following up on the platform lead role: it is still open, and " * 3
    cut = text.snippet(long, 40)
    assert cut == "Hi Omar, following up on the platform…"
    assert len(cut) <= 41
    assert text.snippet("x" * 50, 10) == "x" * 10 + "…"  # no word to cut at


def test_an_inbox_row_times_today_by_the_clock_and_earlier_by_the_day():
    assert text.recent(NOW.replace(hour=7, minute=5), NOW) == "07:05"
    assert text.recent(NOW - timedelta(days=1), NOW) == "19 Feb"
    assert text.recent(datetime(2025, 12, 24, 9, 0, tzinfo=UTC), NOW) == "24 Dec 2025"
