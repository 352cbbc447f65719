"""Concurrent sends never take more credits than there are."""

import threading

import pytest

from inmail.domain.errors import InsufficientCredits
from inmail.service import members, messages, subscriptions
from tests.conftest import make_context

SENDERS = 16


def _prepare(ctx):
    members.create_member(ctx, "alice", "Alice")
    for i in range(SENDERS):
        members.create_member(ctx, f"r{i}", f"Recipient {i}")
    subscriptions.put_subscription(ctx, "alice", "pro")
    subscriptions.adjust_credits(ctx, "alice", -19, "leave exactly one credit")
    assert subscriptions.get_credits(ctx, "alice").balance == 1


def _race(contexts):
    barrier = threading.Barrier(SENDERS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def send(i):
        barrier.wait()
        try:
            messages.send_message(contexts[i], "alice", f"r{i}", f"hello {i}")
            result = "sent"
        except InsufficientCredits:
            result = "refused"
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=send, args=(i,)) for i in range(SENDERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return outcomes


@pytest.mark.parametrize("shared", [True, False], ids=["one-process", "process-per-sender"])
def test_sixteen_concurrent_sends_with_one_credit_left(ctx, database_url, shared):
    """With one engine per sender the database alone (SQLite's write lock,
    PostgreSQL's row locks) has to keep the count right."""
    _prepare(ctx)
    contexts = [ctx] * SENDERS if shared else [make_context(database_url) for _ in range(SENDERS)]
    try:
        outcomes = _race(contexts)
    finally:
        if not shared:
            for other in contexts:
                other.database.dispose()
    assert sorted(outcomes) == ["refused"] * (SENDERS - 1) + ["sent"]
    assert subscriptions.get_credits(ctx, "alice").balance == 0
    spends = [e for e in subscriptions.list_ledger(ctx, "alice").items if e.kind == "spend"]
    assert len(spends) == 1
    assert len(messages.sent(ctx, "alice").items) == 1


def test_concurrent_clock_advances_add_up(ctx, database_url):
    """Each move reads the clock under its row lock: two one-day advances at
    once move it two days, never one."""
    from datetime import timedelta

    from inmail.service.due import clock_now, move_clock
    from tests.conftest import START

    contexts = [make_context(database_url) for _ in range(4)]
    barrier = threading.Barrier(len(contexts))

    def advance(other):
        barrier.wait()
        move_clock(other, advance=timedelta(days=1))

    threads = [threading.Thread(target=advance, args=(c,)) for c in contexts]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
    finally:
        for other in contexts:
            other.database.dispose()
    assert clock_now(ctx) == START + timedelta(days=4)
