"""quote_message: the price of a message before it is sent, by the same rule
and checks as sending, and it changes nothing."""

import pytest

from inmail.domain.errors import (
    InsufficientCredits,
    NoActiveSubscription,
    NotFound,
    RecipientOptedOut,
    ValidationFailed,
)
from inmail.domain.messages import Charge
from inmail.service import messages, subscriptions


def test_each_reason_a_message_costs_what_it_costs(net):
    assert messages.quote_message(net, "alice", "erin").charge is Charge.CONNECTION
    assert messages.quote_message(net, "alice", "carol").charge is Charge.OPEN_PROFILE
    quote = messages.quote_message(net, "alice", "bob")
    assert (quote.charge, quote.refusal, quote.balance) == (Charge.INMAIL, None, 20)
    subscriptions.put_subscription(net, "bob", "pro")
    messages.send_message(net, "bob", "alice", "hello first")
    assert messages.quote_message(net, "alice", "bob").charge is Charge.ANSWERED


def test_a_quote_names_the_refusal_sending_would_meet(net):
    assert isinstance(messages.quote_message(net, "alice", "dave").refusal, RecipientOptedOut)
    bob_to_carol = messages.quote_message(net, "bob", "carol")
    assert bob_to_carol.charge is Charge.OPEN_PROFILE
    assert isinstance(bob_to_carol.refusal, NoActiveSubscription)
    subscriptions.adjust_credits(net, "alice", -20, "spent elsewhere")
    broke = messages.quote_message(net, "alice", "bob")
    assert isinstance(broke.refusal, InsufficientCredits) and broke.balance == 0
    # Free messages pass every check, even without credits or a plan.
    assert messages.quote_message(net, "alice", "erin").refusal is None
    assert messages.quote_message(net, "erin", "alice").refusal is None


def test_a_quote_changes_nothing(net):
    before = subscriptions.list_ledger(net, "alice").items
    messages.quote_message(net, "alice", "bob")
    assert subscriptions.list_ledger(net, "alice").items == before
    assert messages.sent(net, "alice").items == []
    assert messages.inbox(net, "bob").items == []


def test_unknown_or_same_member_is_refused(net):
    with pytest.raises(NotFound):
        messages.quote_message(net, "alice", "nobody")
    with pytest.raises(ValidationFailed):
        messages.quote_message(net, "alice", "alice")
