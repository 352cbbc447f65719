"""Races at the edges, on both backends, each run many times: a response and
the expiry at the very deadline, two responses at once, a send and the end
of a cancelled subscription, two workers and a request settling the same
account. Every racer has its own engine (as separate processes would), and
they start together at a barrier.

INMAIL_RACE_ITERATIONS sets how many times each race runs (default 25).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from functools import partial
from typing import Any

import pytest
from sqlalchemy import select

from inmail.domain.errors import InmailError
from inmail.domain.messages import QuickReply
from inmail.service import members, messages, subscriptions
from inmail.service.context import Context
from inmail.service.due import clock_now, move_clock, run_due
from inmail.store.tables import ledger_entries
from inmail.store.tables import messages as messages_table
from tests.conftest import make_context

ITERATIONS = int(os.environ.get("INMAIL_RACE_ITERATIONS", "25"))
RACERS = 3
WINDOW = timedelta(days=90)

pytestmark = pytest.mark.slow


@pytest.fixture
def racers(database_url: str) -> Iterator[list[Context]]:
    """Three more engines on the test's database."""
    made = [make_context(database_url) for _ in range(RACERS)]
    yield made
    for ctx in made:
        ctx.database.dispose()


def race(*calls: Callable[[], Any]) -> list[Any]:
    """Run the calls at once; each result is its value or the error it raised."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = calls[i]()
        except InmailError as exc:
            results[i] = exc
        except BaseException as exc:  # reported below, as a failure
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a racer hung"
    for result in results:
        if isinstance(result, BaseException) and not isinstance(result, InmailError):
            raise result
    return results


def entries(ctx: Context, member_id: str, kind: str) -> list[Any]:
    with ctx.unit_of_work(write=False) as work:
        return list(
            work.conn.execute(
                select(ledger_entries).where(
                    ledger_entries.c.member_id == member_id, ledger_entries.c.kind == kind
                )
            ).mappings()
        )


def message_row(ctx: Context, message_id: int) -> Any:
    with ctx.unit_of_work(write=False) as work:
        return (
            work.conn.execute(select(messages_table).where(messages_table.c.id == message_id))
            .mappings()
            .one()
        )


def pair(ctx: Context, i: int, tag: str) -> tuple[str, str]:
    sender, recipient = f"{tag}{i}s", f"{tag}{i}r"
    members.create_member(ctx, sender, sender)
    members.create_member(ctx, recipient, recipient)
    subscriptions.put_subscription(ctx, sender, "pro")
    return sender, recipient


@pytest.mark.parametrize("offset", [timedelta(0), -timedelta(microseconds=1)], ids=["at", "before"])
def test_a_response_and_the_expiry_at_the_deadline(ctx, racers, offset):
    """At the deadline the InMail expires and a response refunds nothing; a
    microsecond before, the response refunds it and nothing expires. Either
    way exactly one of the two, whoever gets there first."""
    for i in range(ITERATIONS):
        sender, recipient = pair(ctx, i, "d")
        inmail = messages.send_message(ctx, sender, recipient, "hello")
        move_clock(ctx, clock_now(ctx) + WINDOW + offset, process=False)
        a, b, c = racers
        results = race(
            partial(run_due, a),
            partial(messages.reply, b, inmail.id, body="yes"),
            partial(subscriptions.get_credits, c, sender),
        )
        assert not isinstance(results[1], Exception), results[1]
        row = message_row(ctx, inmail.id)
        refunds = entries(ctx, sender, "refund")
        if offset:
            assert (row["status"], row["refunded"], len(refunds)) == ("responded", True, 1)
        else:
            assert (row["status"], row["refunded"], len(refunds)) == ("expired", False, 0)
        assert row["responded_at"] is not None
        subscriptions.cancel_subscription(ctx, sender)  # no renewals to replay in later rounds


def test_two_responses_at_once_refund_once(ctx, racers):
    for i in range(ITERATIONS):
        sender, recipient = pair(ctx, i, "t")
        first = messages.send_message(ctx, sender, recipient, "one")
        second = messages.send_message(ctx, sender, recipient, "two")
        balance = subscriptions.get_credits(ctx, sender).balance
        a, b, c = racers
        results = race(
            partial(messages.reply, a, first.id, body="yes"),
            partial(messages.reply, b, second.id, quick_reply=QuickReply.INTERESTED),
            partial(messages.reply, c, first.id, body="and yes again"),
        )
        assert all(not isinstance(r, Exception) for r in results), results
        refunds = entries(ctx, sender, "refund")
        assert sorted(e["message_id"] for e in refunds) == [first.id, second.id]
        assert subscriptions.get_credits(ctx, sender).balance == balance + 2


def test_a_send_and_the_end_of_a_cancelled_subscription(ctx, racers):
    """At ``ends_at`` the subscription is over: an InMail is refused whoever
    settles first, the balance is forfeited once, and a message to a
    connection (free, needs no subscription) still goes."""
    for i in range(ITERATIONS):
        sender, recipient = pair(ctx, i, "c")
        friend = f"c{i}f"
        members.create_member(ctx, friend, friend)
        members.connect(ctx, sender, friend)
        ends_at = subscriptions.cancel_subscription(ctx, sender).ends_at
        assert ends_at is not None
        move_clock(ctx, ends_at, process=False)
        a, b, c = racers
        results = race(
            partial(messages.send_message, a, sender, recipient, "still there?"),
            partial(run_due, b),
            partial(messages.send_message, c, sender, friend, "free"),
        )
        assert isinstance(results[0], InmailError), results[0]
        assert results[0].code == "no-active-subscription"
        assert not isinstance(results[2], Exception) and not results[2].credit_charged
        ended = [e for e in entries(ctx, sender, "forfeit") if e["note"] == "subscription ended"]
        assert len(ended) == 1 and ended[0]["amount"] == -20 and ended[0]["at"] == ends_at
        assert entries(ctx, sender, "spend") == []
        assert subscriptions.get_credits(ctx, sender).balance == 0


def test_two_workers_and_a_request_settle_an_account_once(ctx, racers):
    """Three months fall due at once; two workers and a request (a send,
    which settles both accounts first) all reach for the account: each
    renewal is applied exactly once."""
    for i in range(ITERATIONS):
        sender, recipient = pair(ctx, i, "w")
        subscriptions.adjust_credits(ctx, sender, 25, "close to the cap")  # 45
        start = clock_now(ctx)
        move_clock(ctx, start + timedelta(days=95), process=False)
        a, b, c = racers
        results = race(
            partial(run_due, a, batch=1),
            partial(run_due, b, batch=1),
            partial(messages.send_message, c, sender, recipient, "after three renewals"),
        )
        assert not isinstance(results[2], Exception), results[2]
        grants = entries(ctx, sender, "grant")
        # The first grant and three renewals: 45 -> 60 (forfeit 5) -> 60 -> 60, less the send.
        assert len(grants) == 4, grants
        assert len(entries(ctx, sender, "forfeit")) == 3
        assert subscriptions.get_credits(ctx, sender).balance == 59
        subscriptions.cancel_subscription(ctx, sender)  # no renewals to replay in later rounds
