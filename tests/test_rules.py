"""Each rule of the contract, one scenario at a time, on every backend."""

from datetime import timedelta

import pytest

from inmail.domain.errors import (
    Conflict,
    InsufficientCredits,
    NoActiveSubscription,
    NotFound,
    RecipientOptedOut,
    ValidationFailed,
)
from inmail.domain.messages import QuickReply
from inmail.service import members, messages, subscriptions
from inmail.service.due import clock_now, move_clock, run_due
from tests.conftest import START

DAY = timedelta(days=1)


def later(ctx, delta, *, process=True):
    return move_clock(ctx, clock_now(ctx) + delta, process=process)


def balance(ctx, member="alice"):
    return subscriptions.get_credits(ctx, member).balance


def kinds(ctx, member, kind=None):
    return [
        n
        for n in messages.list_notifications(ctx, member, limit=200).items
        if kind is None or n.kind == kind
    ]


def entries(ctx, member="alice"):
    return [
        (e.kind, e.amount)
        for e in reversed(subscriptions.list_ledger(ctx, member, limit=200).items)
    ]


def test_first_grant_and_monthly_renewals_up_to_the_cap(net):
    assert balance(net) == 20
    later(net, timedelta(days=31))  # Feb 15
    later(net, timedelta(days=28))  # Mar 15
    assert balance(net) == 60
    later(net, timedelta(days=31))  # Apr 15: 60 + 20 -> 60, 20 forfeited
    assert balance(net) == 60
    assert entries(net)[-2:] == [("grant", 20), ("forfeit", -20)]
    renewed = kinds(net, "alice", "credits_renewed")
    assert len(renewed) == 3 and renewed[0].at == START.replace(month=4)


def test_first_grant_is_not_trimmed(net):
    subscriptions.adjust_credits(net, "bob", 55, "goodwill")
    subscriptions.put_subscription(net, "bob", "pro")
    assert balance(net, "bob") == 75


def test_connection_and_answered_messages_are_free_and_need_no_subscription(net):
    sent = messages.send_message(net, "erin", "alice", "hi")
    assert (sent.kind, sent.credit_charged, sent.status) == ("message", False, "delivered")
    assert sent.refund_deadline is None and sent.reminder_at is None
    inmail = messages.send_message(net, "alice", "bob", "hello")
    answer = messages.reply(net, inmail.id, body="hi")  # bob has no subscription
    assert answer.kind == "message" and not answer.credit_charged
    follow_up = messages.send_message(net, "alice", "bob", "great")
    assert follow_up.kind == "message"


def test_inmail_costs_one_and_a_response_refunds_it(net):
    inmail = messages.send_message(net, "alice", "bob", "hello", subject="Role")
    assert inmail.kind == "inmail" and inmail.credit_charged
    assert inmail.refund_deadline == START + timedelta(days=90)
    assert inmail.reminder_at == START + timedelta(days=3)
    assert balance(net) == 19
    assert [n.kind for n in kinds(net, "bob")] == ["inmail_received"]
    later(net, 10 * DAY)
    messages.reply(net, inmail.id, quick_reply=QuickReply.INTERESTED)
    assert balance(net) == 20
    after = messages.get_message(net, inmail.id)
    assert (after.status, after.refunded) == ("responded", True)
    assert after.responded_at == START + 10 * DAY
    assert {n.kind for n in kinds(net, "alice")} >= {"response_received", "credit_refunded"}
    credits = subscriptions.get_credits(net, "alice")
    assert credits.response_rate == 1.0 and credits.awaiting_response == 0


def test_every_inmail_of_the_conversation_is_refunded_exactly_once(net):
    first = messages.send_message(net, "alice", "bob", "one")
    later(net, DAY)
    messages.send_message(net, "alice", "bob", "two")
    assert balance(net) == 18
    assert subscriptions.get_credits(net, "alice").awaiting_response == 2
    later(net, DAY)
    messages.send_message(net, "bob", "alice", "hello back")  # a new message is a response too
    assert balance(net) == 20
    messages.reply(net, first.id, body="again")
    assert balance(net) == 20
    assert [k for k, _ in entries(net)].count("refund") == 2


def test_response_at_the_deadline_refunds_nothing(net):
    inmail = messages.send_message(net, "alice", "bob", "hello")
    later(net, timedelta(days=90) - timedelta(microseconds=1), process=False)
    assert messages.get_message(net, inmail.id).status == "awaiting_response"
    later(net, timedelta(microseconds=1), process=False)
    assert messages.get_message(net, inmail.id).status == "expired"
    messages.reply(net, inmail.id, body="too late")
    after = messages.get_message(net, inmail.id)
    assert (after.status, after.refunded) == ("expired", False)
    assert after.responded_at is not None
    assert "refund" not in [k for k, _ in entries(net)]
    expired = kinds(net, "alice", "inmail_expired")
    assert [n.at for n in expired] == [START + timedelta(days=90)]


def test_response_just_inside_the_window_refunds(net):
    inmail = messages.send_message(net, "alice", "bob", "hello")
    later(net, timedelta(days=90) - timedelta(seconds=1))
    messages.reply(net, inmail.id, body="just in time")
    assert messages.get_message(net, inmail.id).refunded


def test_reminder_once_after_three_days_and_not_after_a_response(net):
    inmail = messages.send_message(net, "alice", "bob", "hello")
    other = messages.send_message(net, "alice", "carol", "hello")
    later(net, timedelta(days=3) - timedelta(seconds=1))
    assert kinds(net, "bob", "inmail_reminder") == []
    messages.reply(net, other.id, body="hi")
    later(net, timedelta(seconds=1))
    reminders = kinds(net, "bob", "inmail_reminder")
    assert [(n.message_id, n.at) for n in reminders] == [(inmail.id, START + 3 * DAY)]
    run_due(net)
    later(net, 30 * DAY)
    assert len(kinds(net, "bob", "inmail_reminder")) == 1
    assert kinds(net, "carol", "inmail_reminder") == []


def test_a_reminder_due_before_a_response_goes_out_without_any_worker(net):
    """The recipient answers a day after the reminder time and no worker ran in
    between: the reminder still went out, once, dated at its time."""
    inmail = messages.send_message(net, "alice", "bob", "hello")
    later(net, 4 * DAY, process=False)
    answer = messages.reply(net, inmail.id, quick_reply=QuickReply.MAYBE_LATER)
    reminders = kinds(net, "bob", "inmail_reminder")
    assert [(n.message_id, n.at) for n in reminders] == [(inmail.id, START + 3 * DAY)]
    assert answer.sent_at == START + 4 * DAY and messages.get_message(net, inmail.id).refunded
    run_due(net)
    later(net, 100 * DAY)
    assert len(kinds(net, "bob", "inmail_reminder")) == 1


def test_a_response_at_the_reminder_time_comes_after_the_reminder(net):
    """Due events at or before now are applied before an operation: at exactly
    3 days the recipient had not responded yet."""
    inmail = messages.send_message(net, "alice", "bob", "hello")
    later(net, 3 * DAY, process=False)
    messages.reply(net, inmail.id, body="right on time")
    assert [n.at for n in kinds(net, "bob", "inmail_reminder")] == [START + 3 * DAY]


def test_open_profile_inmail_is_free_never_expires_and_counts_in_the_rate(net):
    inmail = messages.send_message(net, "alice", "carol", "hello")
    assert (inmail.kind, inmail.credit_charged, inmail.refund_deadline) == ("inmail", False, None)
    assert balance(net) == 20
    later(net, 200 * DAY)
    assert messages.get_message(net, inmail.id).status == "awaiting_response"
    assert subscriptions.get_credits(net, "alice").response_rate == 0.0
    messages.reply(net, inmail.id, quick_reply=QuickReply.MAYBE_LATER)
    after = messages.get_message(net, inmail.id)
    assert (after.status, after.refunded) == ("responded", False)
    assert subscriptions.get_credits(net, "alice").response_rate == 1.0


def test_checks_run_in_the_contracts_order(net):
    with pytest.raises(ValidationFailed):
        messages.send_message(net, "bob", "nobody", "")
    with pytest.raises(NotFound):
        messages.send_message(net, "bob", "nobody", "hi")
    with pytest.raises(RecipientOptedOut):
        messages.send_message(net, "bob", "dave", "hi")  # bob has no subscription either
    with pytest.raises(NoActiveSubscription):
        messages.send_message(net, "bob", "carol", "hi")
    subscriptions.put_subscription(net, "bob", "pro")
    subscriptions.adjust_credits(net, "bob", -20, "spent elsewhere")
    messages.send_message(net, "bob", "carol", "open profile is free")
    with pytest.raises(InsufficientCredits):
        messages.send_message(net, "bob", "erin", "hi")
    with pytest.raises(ValidationFailed):
        messages.send_message(net, "bob", "bob", "me")


def test_connections_may_message_an_opted_out_member(net):
    members.connect(net, "alice", "dave")
    assert messages.send_message(net, "alice", "dave", "hi").kind == "message"


def test_quick_reply_answers_inmails_only(net):
    plain = messages.send_message(net, "erin", "alice", "hi")
    with pytest.raises(ValidationFailed):
        messages.reply(net, plain.id, quick_reply=QuickReply.INTERESTED)
    with pytest.raises(ValidationFailed):
        messages.reply(net, plain.id, body="x", quick_reply=QuickReply.INTERESTED)


def test_delete_hides_for_one_side_and_never_refunds(net):
    inmail = messages.send_message(net, "alice", "bob", "hello")
    messages.delete_message(net, inmail.id, "bob")
    assert messages.inbox(net, "bob").items == []
    assert [m.id for m in messages.sent(net, "alice").items] == [inmail.id]
    assert messages.get_message(net, inmail.id).status == "awaiting_response"
    later(net, 91 * DAY)
    assert messages.get_message(net, inmail.id).status == "expired"
    assert [k for k, _ in entries(net)].count("refund") == 0
    with pytest.raises(NotFound):
        messages.delete_message(net, inmail.id, "carol")


def test_refund_above_the_cap_is_credited_in_full_and_trimmed_at_renewal(net):
    inmail = messages.send_message(net, "alice", "bob", "hello")  # 19
    subscriptions.adjust_credits(net, "alice", 41, "top up")  # 60
    messages.reply(net, inmail.id, body="hi")
    assert balance(net) == 61
    credits = subscriptions.get_credits(net, "alice")
    assert (credits.next_renewal_credits, credits.forfeit_at_next_renewal) == (0, 21)
    later(net, 31 * DAY)
    assert balance(net) == 60


def test_cap_forfeit_warning_seven_days_before_a_forfeiting_renewal(net):
    subscriptions.adjust_credits(net, "alice", 38, "to 58")
    renewal = START + timedelta(days=31)
    later(net, timedelta(days=24) - timedelta(seconds=1))
    assert kinds(net, "alice", "cap_forfeit_warning") == []
    later(net, timedelta(seconds=1))
    (warning,) = kinds(net, "alice", "cap_forfeit_warning")
    assert warning.at == renewal - 7 * DAY
    assert warning.data["forfeit"] == 18
    later(net, 10 * DAY)
    assert len(kinds(net, "alice", "cap_forfeit_warning")) == 1


def test_no_warning_when_the_renewal_would_not_forfeit(net):
    later(net, 40 * DAY)
    assert kinds(net, "alice", "cap_forfeit_warning") == []


def test_cancel_takes_effect_at_the_next_renewal_and_forfeits_the_balance(net):
    sub = subscriptions.cancel_subscription(net, "alice")
    assert sub.status == "cancelling" and sub.ends_at == START + timedelta(days=31)
    assert sub.next_renewal_at == sub.ends_at
    messages.send_message(net, "alice", "bob", "still works")
    later(net, 31 * DAY)
    sub = subscriptions.get_subscription(net, "alice")
    assert (sub.status, sub.next_renewal_at) == ("cancelled", None)
    assert balance(net) == 0
    assert entries(net)[-1] == ("forfeit", -19)
    with pytest.raises(NoActiveSubscription):
        messages.send_message(net, "alice", "carol", "no more")
    with pytest.raises(Conflict):
        subscriptions.cancel_subscription(net, "alice")


def test_refund_after_the_end_is_still_credited(net):
    inmail = messages.send_message(net, "alice", "bob", "hello")
    subscriptions.cancel_subscription(net, "alice")
    later(net, 40 * DAY)
    messages.reply(net, inmail.id, body="late but in the window")
    assert balance(net) == 1


def test_put_on_cancelling_takes_the_cancel_back(net):
    subscriptions.cancel_subscription(net, "alice")
    sub = subscriptions.put_subscription(net, "alice", "pro")
    assert (sub.status, sub.ends_at) == ("active", None)
    assert sub.next_renewal_at == START + timedelta(days=31)
    later(net, 31 * DAY)
    assert balance(net) == 40


def test_subscribing_again_after_cancelled_starts_afresh(net):
    subscriptions.cancel_subscription(net, "alice")
    later(net, 40 * DAY)
    sub = subscriptions.put_subscription(net, "alice", "teams")
    assert sub.started_at == START + 40 * DAY
    assert sub.next_renewal_at == (START + 40 * DAY).replace(month=3)  # Feb 24 -> Mar 24
    assert balance(net) == 30


def test_plan_change_applies_from_the_next_renewal(net):
    subscriptions.adjust_credits(net, "alice", 40, "to 60")
    sub = subscriptions.put_subscription(net, "alice", "teams")
    assert (sub.plan, sub.monthly_credits, sub.max_balance) == ("teams", 30, 90)
    assert sub.next_renewal_at == START + timedelta(days=31)
    assert balance(net) == 60
    credits = subscriptions.get_credits(net, "alice")
    assert (credits.next_renewal_credits, credits.forfeit_at_next_renewal) == (30, 0)
    later(net, 31 * DAY)
    assert balance(net) == 90
    subscriptions.put_subscription(net, "alice", "pro")  # down: trims to 60 next time
    assert subscriptions.get_credits(net, "alice").forfeit_at_next_renewal == 50
    later(net, 28 * DAY)
    assert balance(net) == 60


def test_started_at_in_the_past_replays_every_renewal(ctx):
    members.create_member(ctx, "zed", "Zed")
    move_clock(ctx, START + timedelta(days=100))
    sub = subscriptions.put_subscription(ctx, "zed", "pro", started_at=START - timedelta(days=10))
    assert sub.started_at == START - timedelta(days=10)
    ledger = subscriptions.list_ledger(ctx, "zed", limit=200).items
    assert [e.at for e in reversed(ledger) if e.kind == "grant"] == [
        START - timedelta(days=10),  # Jan 5
        START.replace(month=2, day=5),
        START.replace(month=3, day=5),
        START.replace(month=4, day=5),
    ]
    assert balance(ctx, "zed") == 60
    with pytest.raises(ValidationFailed):
        subscriptions.put_subscription(ctx, "zed", "pro", started_at=START + timedelta(days=101))


def test_adjustments_may_pass_the_cap_but_never_go_below_zero(net):
    entry = subscriptions.adjust_credits(net, "alice", 100, "bonus")
    assert (entry.kind, entry.amount, entry.balance_after, entry.note) == (
        "adjustment",
        100,
        120,
        "bonus",
    )
    with pytest.raises(Conflict):
        subscriptions.adjust_credits(net, "alice", -121, "too much")
    assert balance(net) == 120
    subscriptions.adjust_credits(net, "alice", -120, "all of it")
    assert balance(net) == 0


def test_a_late_worker_writes_the_same_history(net):
    """Entries for due events carry the due time, however late they are processed."""
    later(net, 95 * DAY, process=False)
    grants = [e.at for e in subscriptions.list_ledger(net, "alice").items if e.kind == "grant"]
    assert sorted(grants) == [
        START,
        START.replace(month=2),
        START.replace(month=3),
        START.replace(month=4),
    ]


def test_unknown_members_and_plans(ctx):
    with pytest.raises(NotFound):
        subscriptions.get_credits(ctx, "ghost")
    members.create_member(ctx, "amy", "Amy")
    with pytest.raises(ValidationFailed):
        subscriptions.put_subscription(ctx, "amy", "gold")
    with pytest.raises(NotFound):
        subscriptions.get_subscription(ctx, "amy")
    with pytest.raises(Conflict):
        members.create_member(ctx, "amy", "Another Amy")
    with pytest.raises(ValidationFailed):
        members.create_member(ctx, "Bad Id", "x")


def test_a_new_start_never_reaches_back_into_the_last_period(net):
    subscriptions.adjust_credits(net, "alice", -20, "spent elsewhere")  # the end forfeits nothing
    subscriptions.cancel_subscription(net, "alice")
    later(net, 40 * DAY)
    with pytest.raises(ValidationFailed):
        subscriptions.put_subscription(net, "alice", "pro", started_at=START + 20 * DAY)
    sub = subscriptions.put_subscription(net, "alice", "pro", started_at=START + 31 * DAY)
    assert sub.started_at == START + 31 * DAY
