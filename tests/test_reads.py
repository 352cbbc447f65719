"""Reads of an account with nothing due run in a read-only transaction that
locks nothing: they answer while another transaction holds the account's
lock (and, on SQLite, the database's one write lock)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from inmail.service import members, messages, subscriptions
from inmail.service.context import Context
from inmail.store.database import Database

pytestmark = pytest.mark.storage

# Only a read that wrongly waits for the lock comes near this.
BOUND_S = 20.0


@contextmanager
def account_locked(url: str, member_id: str) -> Iterator[None]:
    """Another process's writer holding ``member_id``'s lock."""
    other = Database(url)
    try:
        with other.transaction(write=True) as conn:
            if conn.dialect.name == "postgresql":
                conn.exec_driver_sql(
                    "SELECT id FROM members WHERE id = %(id)s FOR UPDATE", {"id": member_id}
                )
            yield
    finally:
        other.dispose()


def answers_while_locked(url: str, member_id: str, read: Callable[[], Any]) -> Any:
    results: list[Any] = []
    with account_locked(url, member_id):
        thread = threading.Thread(target=lambda: results.append(read()), daemon=True)
        thread.start()
        thread.join(BOUND_S)
        assert not thread.is_alive(), "the read waited for the account's lock"
    return results[0]


def test_reads_with_nothing_due_lock_nothing(net: Context, database_url: str) -> None:
    messages.send_message(net, "alice", "bob", "hello")
    credits = answers_while_locked(
        database_url, "alice", lambda: subscriptions.get_credits(net, "alice")
    )
    assert credits.balance == 19 and credits.awaiting_response == 1
    ledger = answers_while_locked(
        database_url, "alice", lambda: subscriptions.list_ledger(net, "alice")
    )
    assert [e.kind for e in ledger.items] == ["spend", "grant"]
    inbox = answers_while_locked(database_url, "bob", lambda: messages.inbox(net, "bob"))
    assert [m.body for m in inbox.items] == ["hello"]
    assert members.get_member(net, "bob").name == "Bob"
