"""Webhooks end to end in one process: events written with their causes,
delivered to a real receiver on 127.0.0.1 that verifies every signature with
the standardwebhooks library, retried on the schedule by the service clock."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from inmail.domain.errors import NotFound, ValidationFailed
from inmail.domain.messages import QuickReply
from inmail.domain.times import rfc3339
from inmail.domain.webhooks import MAX_ATTEMPTS, RETRY_DELAYS
from inmail.service import delivery, messages, subscriptions, webhooks
from inmail.service.context import Context
from inmail.service.due import move_clock
from inmail.store.tables import webhook_endpoints
from tests.conftest import START
from tests.webhook_receiver import Receiver


@pytest.fixture
def hooked(net: Context) -> Iterator[tuple[Context, Receiver, str]]:
    """The network of ``net``, a receiver, and an endpoint that hears everything."""
    net.webhooks = replace(net.webhooks, allow_private=True)
    receiver = Receiver().start()
    endpoint = webhooks.create_endpoint(net, receiver.url, description="the operator")
    assert endpoint.secret is not None
    receiver.secret = endpoint.secret
    yield net, receiver, endpoint.id
    receiver.stop()


def deliver(ctx: Context) -> int:
    with delivery.new_client() as client:
        return delivery.deliver_due(ctx, client)


def test_a_send_and_a_quick_reply_bring_their_events(hooked):
    ctx, receiver, _ = hooked
    deliver(ctx)  # the subscription's own events from the fixture
    receiver.received.clear()

    sent = messages.send_message(ctx, "alice", "bob", "Hello Bob")
    move_clock(ctx, advance=timedelta(hours=2))
    reply = messages.reply(ctx, sent.id, quick_reply=QuickReply.INTERESTED)
    deliver(ctx)

    assert receiver.bad_signatures == 0
    assert sorted(receiver.types()) == sorted(
        ["inmail_received", "ledger_entry", "ledger_entry", "response_received", "credit_refunded"]
    )
    (received,) = receiver.of_type("inmail_received")
    assert received["member_id"] == "bob"
    assert received["data"]["message_id"] == sent.id
    assert received["at"] == rfc3339(START)
    spend, refund = sorted(receiver.of_type("ledger_entry"), key=lambda e: e["data"]["id"])
    assert (spend["member_id"], spend["data"]["kind"], spend["data"]["amount"]) == (
        "alice",
        "spend",
        -1,
    )
    assert (refund["data"]["kind"], refund["data"]["amount"]) == ("refund", 1)
    assert refund["data"]["balance_after"] == 20
    # The entry as the ledger route shows it.
    ledger = subscriptions.list_ledger(ctx, "alice").items
    shown = {e.id: e for e in ledger}
    assert shown[refund["data"]["id"]].kind == "refund"
    assert refund["data"]["at"] == rfc3339(shown[refund["data"]["id"]].at)
    (response,) = receiver.of_type("response_received")
    assert response["member_id"] == "alice"
    assert response["data"] == {
        "from": "bob",
        "inmail_ids": [sent.id],
        "refunded_ids": [sent.id],
        "message_id": reply.id,
    }
    (refunded,) = receiver.of_type("credit_refunded")
    assert refunded["data"] == {"message_id": sent.id}
    # Every event has its own id, and each arrived once.
    ids = [r.webhook_id for r in receiver.received]
    assert len(set(ids)) == len(ids)
    assert all(r.webhook_id == r.event["id"] for r in receiver.received)


def test_a_renewal_brings_its_events_dated_at_the_due_time(hooked):
    ctx, receiver, _ = hooked
    deliver(ctx)
    receiver.received.clear()
    # Pro: 20 a month, cap 60. Three renewals reach the cap; the third forfeits.
    move_clock(ctx, advance=timedelta(days=31 + 28 + 31 + 1))
    deliver(ctx)

    renewals = receiver.of_type("credits_renewed")
    assert [e["at"] for e in renewals] == [rfc3339(START.replace(month=m)) for m in (2, 3, 4)]
    assert [e["data"]["balance"] for e in renewals] == [40, 60, 60]
    entries = [
        (e["data"]["kind"], e["data"]["amount"], e["at"]) for e in receiver.of_type("ledger_entry")
    ]
    april = rfc3339(START.replace(month=4))
    assert ("grant", 20, april) in entries
    assert ("forfeit", -20, april) in entries
    assert len([e for e in entries if e[0] == "grant"]) == 3
    warnings = receiver.of_type("cap_forfeit_warning")
    assert len(warnings) == 1 and warnings[0]["data"]["forfeit"] == 20


def test_a_receiver_failing_three_times_gets_the_same_event_four_times(hooked):
    ctx, receiver, endpoint = hooked
    deliver(ctx)
    receiver.received.clear()
    webhooks.ping(ctx, endpoint)
    receiver.answers = [500, 500, 500]

    deliver(ctx)  # the first attempt, at once
    for delay in RETRY_DELAYS[:3]:
        assert deliver(ctx) == 0  # nothing is due before its time
        move_clock(ctx, advance=delay)
        deliver(ctx)

    assert len(receiver.received) == 4
    assert len({r.webhook_id for r in receiver.received}) == 1
    (shown,) = webhooks.list_deliveries(ctx, endpoint, status="delivered").items
    full = webhooks.get_delivery(ctx, endpoint, shown.id)
    assert full.attempts == 4
    assert [a.status_code for a in full.attempt_log] == [500, 500, 500, 200]
    assert [a.at for a in full.attempt_log] == [
        START,
        START + RETRY_DELAYS[0],
        START + RETRY_DELAYS[0] + RETRY_DELAYS[1],
        START + RETRY_DELAYS[0] + RETRY_DELAYS[1] + RETRY_DELAYS[2],
    ]
    assert full.last_error is None and full.delivered_at == full.attempt_log[-1].at


def test_after_the_last_retry_a_delivery_fails_and_a_manual_retry_tries_once_more(hooked):
    ctx, receiver, endpoint = hooked
    deliver(ctx)
    receiver.received.clear()
    webhooks.ping(ctx, endpoint)
    receiver.answers = [503] * (MAX_ATTEMPTS + 1)

    deliver(ctx)
    for delay in RETRY_DELAYS:
        move_clock(ctx, advance=delay)
        deliver(ctx)
    (failed,) = webhooks.list_deliveries(ctx, endpoint, status="failed").items
    assert failed.attempts == MAX_ATTEMPTS == len(receiver.received)
    assert failed.last_status_code == 503 and failed.next_attempt_at is None
    move_clock(ctx, advance=timedelta(days=1))
    assert deliver(ctx) == 0  # failed stays failed

    webhooks.retry_delivery(ctx, endpoint, failed.id)  # answers 503 once more
    deliver(ctx)
    assert webhooks.get_delivery(ctx, endpoint, failed.id).status == "failed"
    webhooks.retry_delivery(ctx, endpoint, failed.id)  # and now 200
    deliver(ctx)
    again = webhooks.get_delivery(ctx, endpoint, failed.id)
    assert (again.status, again.attempts) == ("delivered", MAX_ATTEMPTS + 2)
    assert len(receiver.received) == MAX_ATTEMPTS + 2


def test_a_receiver_down_for_two_days_gets_everything_once_back(hooked):
    ctx, receiver, endpoint = hooked
    deliver(ctx)
    receiver.received.clear()
    receiver.stop()
    sent = []
    # Two days in six-hour steps, the worker running at each, the receiver down.
    for step in range(8):
        sent.append(messages.send_message(ctx, "alice", "bob", f"Try {step}").id)
        move_clock(ctx, advance=timedelta(hours=6))
        deliver(ctx)
    pending = webhooks.list_deliveries(ctx, endpoint, status="pending", limit=200).items
    assert pending and all(d.last_error for d in pending)
    assert not webhooks.list_deliveries(ctx, endpoint, status="failed").items

    receiver.start()  # back on the same port
    move_clock(ctx, advance=timedelta(hours=12))
    deliver(ctx)

    assert not webhooks.list_deliveries(ctx, endpoint, status="pending").items
    received = {e["data"]["message_id"] for e in receiver.of_type("inmail_received")}
    assert received == set(sent)
    assert len(receiver.of_type("ledger_entry")) == len(sent)  # the spends
    assert receiver.bad_signatures == 0


def test_endpoints_hear_only_the_types_they_chose(hooked):
    ctx, receiver, endpoint = hooked
    webhooks.update_endpoint(ctx, endpoint, events=["credit_refunded"])
    deliver(ctx)
    receiver.received.clear()
    sent = messages.send_message(ctx, "alice", "bob", "Hello")
    messages.reply(ctx, sent.id, body="Hi")
    deliver(ctx)
    assert receiver.types() == ["credit_refunded"]

    webhooks.update_endpoint(ctx, endpoint, enabled=False)
    messages.send_message(ctx, "alice", "bob", "Again")
    assert deliver(ctx) == 0


def test_a_refused_request_writes_no_event(hooked):
    ctx, receiver, _ = hooked
    deliver(ctx)
    receiver.received.clear()
    with pytest.raises(ValidationFailed):
        messages.send_message(ctx, "alice", "bob", "")
    subscriptions.cancel_subscription(ctx, "alice")
    deliver(ctx)
    (changed,) = receiver.of_type("subscription_changed")
    assert changed["data"]["status"] == "cancelling"
    assert len(receiver.received) == 1


def test_the_end_of_a_cancelled_subscription_is_an_event(hooked):
    ctx, receiver, _ = hooked
    subscriptions.cancel_subscription(ctx, "alice")
    move_clock(ctx, advance=timedelta(days=32))
    deliver(ctx)
    changes = receiver.of_type("subscription_changed")
    assert [c["data"]["status"] for c in changes] == ["cancelling", "cancelled"]
    assert changes[-1]["at"] == rfc3339(START.replace(month=2))
    forfeit = [e for e in receiver.of_type("ledger_entry") if e["data"]["kind"] == "forfeit"]
    assert forfeit[-1]["data"]["amount"] == -20


def test_the_secret_is_shown_once_and_stored_sealed(hooked):
    ctx, _, endpoint = hooked
    shown = webhooks.get_endpoint(ctx, endpoint)
    assert shown.secret is None
    assert all(e.secret is None for e in webhooks.list_endpoints(ctx))
    with ctx.unit_of_work(write=False) as work:
        sealed = work.conn.execute(select(webhook_endpoints.c.secret_sealed)).scalar()
    assert sealed and "whsec_" not in sealed


def test_private_addresses_are_refused_unless_allowed(ctx):
    for url in (
        "http://127.0.0.1:9/hook",
        "http://localhost/hook",
        "http://10.0.0.5/hook",
        "http://192.168.1.1/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
    ):
        with pytest.raises(ValidationFailed, match="private"):
            webhooks.create_endpoint(ctx, url)
    for url in ("ftp://example.com/hook", "http://user:pw@example.com/", "not a url"):
        with pytest.raises(ValidationFailed):
            webhooks.create_endpoint(ctx, url)
    with ctx.unit_of_work(write=False) as work:
        assert work.conn.execute(select(func.count()).select_from(webhook_endpoints)).scalar() == 0
    ctx.webhooks = replace(ctx.webhooks, allow_private=True)
    assert webhooks.create_endpoint(ctx, "http://127.0.0.1:9/hook").url.startswith("http://127")


def test_deleting_an_endpoint_drops_its_pending_deliveries(hooked):
    ctx, receiver, endpoint = hooked
    receiver.stop()
    messages.send_message(ctx, "alice", "bob", "Hello")
    webhooks.delete_endpoint(ctx, endpoint)
    with pytest.raises(NotFound):
        webhooks.list_deliveries(ctx, endpoint)
    assert deliver(ctx) == 0


def test_a_hung_receiver_holds_up_only_its_own_deliveries(hooked):
    ctx, fast, fast_id = hooked
    webhooks.update_endpoint(ctx, fast_id, events=["inmail_received"])
    hung = Receiver(hold=threading.Event()).start()
    hung_endpoint = webhooks.create_endpoint(ctx, hung.url, events=["inmail_received"])
    hung.secret = hung_endpoint.secret or ""
    for n in range(10):
        messages.send_message(ctx, "alice", "bob", f"Hello {n}")
    stop = threading.Event()
    worker = threading.Thread(target=delivery.Dispatcher(ctx).run, args=(stop,))
    worker.start()
    try:
        # All ten reach the live receiver while the hung one holds its first two.
        fast.wait_for(lambda r: len(r.of_type("inmail_received")) == 10)
        held = webhooks.list_deliveries(ctx, hung_endpoint.id, status="pending").items
        assert len(held) == 10 and all(d.attempts == 0 for d in held)
    finally:
        assert hung.hold is not None
        hung.hold.set()  # then the other eight go out as the two held ones end
        hung.wait_for(lambda r: len(r.received) == 10)
        stop.set()
        worker.join()
        hung.stop()
