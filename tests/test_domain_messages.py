"""What a message costs, for every kind of pair of members, and the checks'
order."""

from datetime import UTC, datetime, timedelta

import pytest

from inmail.domain.errors import (
    InsufficientCredits,
    NoActiveSubscription,
    RecipientOptedOut,
    ValidationFailed,
)
from inmail.domain.messages import (
    Charge,
    Status,
    charge_for,
    check_inmail_allowed,
    check_text,
    effective_status,
    refund_deadline,
    refunds,
    reminder_at,
)

T0 = datetime(2026, 1, 1, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("connected", "wrote_before", "open_profile", "expected"),
    [
        (True, False, False, Charge.CONNECTION),
        (True, True, False, Charge.CONNECTION),
        (True, False, True, Charge.CONNECTION),
        (False, True, False, Charge.ANSWERED),
        (False, True, True, Charge.ANSWERED),
        (False, False, True, Charge.OPEN_PROFILE),
        (False, False, False, Charge.INMAIL),
    ],
)
def test_charge_for_every_kind_of_pair(connected, wrote_before, open_profile, expected):
    charge = charge_for(
        connected=connected, recipient_wrote_before=wrote_before, open_profile=open_profile
    )
    assert charge is expected


def test_only_a_paid_inmail_costs_a_credit():
    assert [c.credits for c in Charge] == [0, 0, 0, 1]
    assert [c.is_inmail for c in Charge] == [False, False, True, True]


@pytest.mark.parametrize("charge", [Charge.CONNECTION, Charge.ANSWERED])
def test_free_messages_need_nothing(charge):
    check_inmail_allowed(charge, recipient_opted_out=True, subscribed=False, balance=0)


def test_checks_run_in_order_opt_out_then_subscription_then_balance():
    with pytest.raises(RecipientOptedOut):
        check_inmail_allowed(Charge.INMAIL, recipient_opted_out=True, subscribed=False, balance=0)
    with pytest.raises(NoActiveSubscription):
        check_inmail_allowed(Charge.INMAIL, recipient_opted_out=False, subscribed=False, balance=0)
    with pytest.raises(InsufficientCredits):
        check_inmail_allowed(Charge.INMAIL, recipient_opted_out=False, subscribed=True, balance=0)
    check_inmail_allowed(Charge.INMAIL, recipient_opted_out=False, subscribed=True, balance=1)


def test_open_profile_inmail_needs_a_subscription_but_no_credit():
    with pytest.raises(RecipientOptedOut):
        check_inmail_allowed(
            Charge.OPEN_PROFILE, recipient_opted_out=True, subscribed=True, balance=5
        )
    with pytest.raises(NoActiveSubscription):
        check_inmail_allowed(
            Charge.OPEN_PROFILE, recipient_opted_out=False, subscribed=False, balance=5
        )
    check_inmail_allowed(Charge.OPEN_PROFILE, recipient_opted_out=False, subscribed=True, balance=0)


def test_windows():
    assert refund_deadline(T0, Charge.INMAIL) == T0 + timedelta(days=90)
    assert refund_deadline(T0, Charge.OPEN_PROFILE) is None
    assert reminder_at(T0, Charge.INMAIL) == T0 + timedelta(days=3)
    assert reminder_at(T0, Charge.OPEN_PROFILE) == T0 + timedelta(days=3)
    assert reminder_at(T0, Charge.CONNECTION) is None


def test_refund_deadline_is_exclusive():
    deadline = T0 + timedelta(days=90)
    assert refunds(deadline - timedelta(microseconds=1), deadline)
    assert not refunds(deadline, deadline)
    assert not refunds(T0, None)


def test_effective_status_compares_times():
    deadline = T0 + timedelta(days=90)
    assert effective_status(Status.AWAITING, deadline, deadline) == Status.EXPIRED
    assert effective_status(Status.AWAITING, deadline, T0) == Status.AWAITING
    assert effective_status(Status.AWAITING, None, T0 + timedelta(days=900)) == Status.AWAITING
    assert effective_status(Status.RESPONDED, deadline, deadline) == Status.RESPONDED


@pytest.mark.parametrize(
    ("subject", "body"), [(None, ""), (None, "x" * 2001), ("s" * 201, "hello")]
)
def test_text_limits(subject, body):
    with pytest.raises(ValidationFailed):
        check_text(subject, body)


def test_text_at_the_limits_is_fine():
    check_text("s" * 200, "x" * 2000)
    check_text(None, "x")
