from datetime import timedelta

from inmail.service import members, messages, subscriptions
from inmail.service.due import move_clock
from tests.conftest import START


def test_inmail_spend_and_refund(ctx):
    members.create_member(ctx, "alice", "Alice")
    members.create_member(ctx, "bob", "Bob")
    subscriptions.put_subscription(ctx, "alice", "pro")
    sent = messages.send_message(ctx, "alice", "bob", "hello")
    assert sent.kind == "inmail" and sent.credit_charged
    assert subscriptions.get_credits(ctx, "alice").balance == 19
    move_clock(ctx, START + timedelta(days=1))
    messages.reply(ctx, sent.id, body="hi")
    assert subscriptions.get_credits(ctx, "alice").balance == 20
