"""The inbox by conversation and a conversation's thread, on both databases:
one row per conversation with its latest message, unread until opened,
threads paged newest last, and what a member deleted stays out of sight."""

from __future__ import annotations

import pytest

from inmail.domain.errors import ValidationFailed
from inmail.service import conversations, members, messages
from inmail.service.context import Context
from inmail.service.paging import encode_cursor

pytestmark = pytest.mark.storage


def others(page: conversations.InboxPage) -> list[str]:
    return [row.other for row in page.rows]


def row_with(page: conversations.InboxPage, other: str) -> conversations.ConversationRow:
    (row,) = [row for row in page.rows if row.other == other]
    return row


def test_one_row_per_conversation_with_its_latest_message_newest_first(net: Context) -> None:
    send = messages.send_message
    send(net, "alice", "bob", "Hi Bob, a role for you?")
    send(net, "erin", "alice", "Lunch on Friday?")
    send(net, "alice", "erin", "Friday works.")
    send(net, "alice", "carol", "Hello Carol")
    reply = messages.reply(net, messages.inbox(net, "bob").items[0].id, body="Tell me more")

    page = conversations.inbox(net, "alice")
    assert others(page) == ["bob", "carol", "erin"]
    assert [row.name for row in page.rows] == ["Bob", "Carol", "Erin"]
    # The latest message, whoever sent it: Bob's answer, Alice's own words.
    assert row_with(page, "bob").latest.id == reply.id
    assert row_with(page, "bob").latest.body == "Tell me more"
    assert row_with(page, "erin").latest.body == "Friday works."
    assert row_with(page, "erin").latest.sender == "alice"
    assert page.next_cursor is None
    # Bob sees the same conversation from his side.
    assert [(r.other, r.latest.body) for r in conversations.inbox(net, "bob").rows] == [
        ("alice", "Tell me more")
    ]


def test_paging_through_many_conversations_returns_each_exactly_once(net: Context) -> None:
    friends = [f"f{i:02d}" for i in range(23)]
    for friend in friends:
        members.create_member(net, friend, f"Friend {friend}")
        members.connect(net, "alice", friend)
    # Written to in one order, answered in another, some twice: the inbox
    # follows each conversation's latest message.
    latest = {}  # each conversation's latest message id
    for friend in friends:
        latest[friend] = messages.send_message(net, "alice", friend, f"Hello {friend}").id
    for friend in friends[::3] + friends[1::2][::-1]:
        latest[friend] = messages.send_message(net, friend, "alice", f"Hi from {friend}").id
    latest_first = sorted(latest, key=latest.__getitem__, reverse=True)
    assert latest_first[:3] == ["f01", "f03", "f05"] and latest_first[-1] == "f02"

    seen, cursor, pages = [], None, 0
    while True:
        page = conversations.inbox(net, "alice", limit=4, cursor=cursor)
        seen += others(page)
        pages += 1
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == latest_first
    assert len(seen) == len(set(seen)) == 23
    assert pages == 6


def test_unread_until_opened_and_again_on_a_newer_message(net: Context) -> None:
    messages.send_message(net, "alice", "erin", "Are you free this week?")
    # Her own message never makes a conversation unread.
    assert not row_with(conversations.inbox(net, "alice"), "erin").unread
    assert row_with(conversations.inbox(net, "erin"), "alice").unread

    messages.send_message(net, "erin", "alice", "Yes, Thursday.")
    assert row_with(conversations.inbox(net, "alice"), "erin").unread
    conversations.thread(net, "alice", "erin")
    assert not row_with(conversations.inbox(net, "alice"), "erin").unread
    # Answering keeps it read; a newer message to her makes it unread again.
    messages.send_message(net, "alice", "erin", "Thursday it is.")
    assert not row_with(conversations.inbox(net, "alice"), "erin").unread
    assert row_with(conversations.inbox(net, "erin"), "alice").unread
    # Answering reads a conversation, without opening it; a newer message to
    # Alice makes it unread again.
    messages.send_message(net, "erin", "alice", "See you then!")
    assert not row_with(conversations.inbox(net, "erin"), "alice").unread
    assert row_with(conversations.inbox(net, "alice"), "erin").unread


def test_an_earlier_page_of_a_thread_does_not_mark_it_read(net: Context) -> None:
    for n in range(25):
        messages.send_message(net, "erin", "alice", f"Message {n}")
    first = conversations.thread(net, "erin", "alice")  # Erin's own: marks nothing unread
    assert first.earlier_cursor is not None
    conversations.thread(net, "alice", "erin", cursor=first.earlier_cursor)
    assert row_with(conversations.inbox(net, "alice"), "erin").unread
    conversations.thread(net, "alice", "erin")
    assert not row_with(conversations.inbox(net, "alice"), "erin").unread


def test_the_thread_shows_the_newest_last_and_pages_back_to_the_first(net: Context) -> None:
    sent = []
    for n in range(45):
        sender, recipient = ("alice", "erin") if n % 3 else ("erin", "alice")
        sent.append(messages.send_message(net, sender, recipient, f"Message {n}").id)

    newest = conversations.thread(net, "alice", "erin")
    assert [m.id for m in newest.messages] == sent[-20:]  # oldest first, newest last
    assert newest.later_cursor is None

    pages, page = [newest], newest
    while page.earlier_cursor is not None:
        page = conversations.thread(net, "alice", "erin", cursor=page.earlier_cursor)
        pages.append(page)
    assert [len(p.messages) for p in pages] == [20, 20, 5]
    assert pages[-1].messages[0].body == "Message 0"
    assert [m.id for p in reversed(pages) for m in p.messages] == sent

    # And forward again from the first page, to the newest.
    page, forward = pages[-1], list(pages[-1].messages)
    while page.later_cursor is not None:
        page = conversations.thread(net, "alice", "erin", cursor=page.later_cursor)
        forward += page.messages
    assert [m.id for m in forward] == sent
    # Erin reads the same thread.
    assert [m.id for m in conversations.thread(net, "erin", "alice").messages] == sent[-20:]


def test_a_hidden_message_stays_hidden_for_that_member_only(net: Context) -> None:
    messages.send_message(net, "erin", "alice", "First")
    second = messages.send_message(net, "alice", "erin", "Second, a typo")
    messages.delete_message(net, second.id, "alice")

    row = row_with(conversations.inbox(net, "alice"), "erin")
    assert row.latest.body == "First"
    assert [m.body for m in conversations.thread(net, "alice", "erin").messages] == ["First"]
    # Erin still has it.
    assert row_with(conversations.inbox(net, "erin"), "alice").latest.id == second.id
    assert len(conversations.thread(net, "erin", "alice").messages) == 2

    # A message to Alice that she deletes unread leaves nothing unread.
    third = messages.send_message(net, "erin", "alice", "Ignore this")
    assert row_with(conversations.inbox(net, "alice"), "erin").unread
    messages.delete_message(net, third.id, "alice")
    assert not row_with(conversations.inbox(net, "alice"), "erin").unread

    # With every message deleted, the conversation leaves her inbox.
    first_id = conversations.thread(net, "alice", "erin").messages[0].id
    messages.delete_message(net, first_id, "alice")
    assert others(conversations.inbox(net, "alice")) == []
    assert others(conversations.inbox(net, "erin")) == ["alice"]


def test_cursors_that_are_no_position_are_refused(net: Context) -> None:
    for cursor in ("bm90IGEgY3Vyc29y", encode_cursor("sideways", 3), encode_cursor("before", "x")):
        with pytest.raises(ValidationFailed):
            conversations.thread(net, "alice", "erin", cursor=cursor)
    with pytest.raises(ValidationFailed):
        conversations.inbox(net, "alice", cursor=encode_cursor("before", 3))
