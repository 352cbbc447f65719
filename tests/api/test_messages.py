"""Sending, replying, reading, hiding; inbox, sent and notifications."""

from __future__ import annotations

import pytest

from tests.api.conftest import assert_problem, snapshot

DAY = 86400


@pytest.fixture
def people(api):
    """alice (pro, 20 credits) and bob, not connected; carol with no plan."""
    for member_id in ("alice", "bob", "carol"):
        api.member(member_id)
    api.subscribe("alice")


def test_an_inmail_costs_a_credit(api, people):
    sent = api.send("alice", "bob", subject="Role", body="Hello Bob")
    assert sent == {
        "id": sent["id"],
        "from": "alice",
        "to": "bob",
        "subject": "Role",
        "body": "Hello Bob",
        "kind": "inmail",
        "quick_reply": None,
        "in_reply_to": None,
        "sent_at": "2026-01-15T09:30:00Z",
        "credit_charged": True,
        "status": "awaiting_response",
        "refund_deadline": "2026-04-15T09:30:00Z",
        "reminder_at": "2026-01-18T09:30:00Z",
        "responded_at": None,
        "refunded": False,
    }
    assert api.credits("alice")["balance"] == 19
    assert api.ok("GET", f"/v1/messages/{sent['id']}") == sent


def test_a_message_to_a_connection_is_free(api, people):
    api.connect("carol", "bob")
    sent = api.send("carol", "bob")  # no subscription needed
    assert sent["kind"] == "message" and sent["status"] == "delivered"
    assert sent["credit_charged"] is False
    assert sent["refund_deadline"] is None and sent["reminder_at"] is None


def test_an_inmail_to_an_open_profile_is_free(api, people):
    api.ok("PATCH", "/v1/members/bob", json={"open_profile": True})
    sent = api.send("alice", "bob")
    assert sent["kind"] == "inmail" and sent["credit_charged"] is False
    assert sent["refund_deadline"] is None and sent["reminder_at"] == "2026-01-18T09:30:00Z"
    assert api.credits("alice")["balance"] == 20


def test_send_checks_run_in_the_contract_order(api, ctx, people):
    api.ok("PATCH", "/v1/members/bob", json={"inmail_opt_out": True})
    api.ok(
        "POST", "/v1/members/alice/credits/adjustments", 201, json={"amount": -20, "reason": "x"}
    )
    before = snapshot(ctx)

    def send(**fields):
        return api.post("/v1/messages", json={"from": "alice", "to": "bob", "body": "Hi", **fields})

    assert_problem(send(body=""), 422, "validation-error")
    assert_problem(send(to="zoe", body=""), 422, "validation-error")
    assert_problem(send(to="zoe"), 404, "not-found")
    assert_problem(send(), 403, "recipient-opted-out")
    carol = {"from": "carol", "to": "alice", "body": "Hi"}
    assert_problem(api.post("/v1/messages", json=carol), 403, "no-active-subscription")
    api.ok("PATCH", "/v1/members/bob", json={"inmail_opt_out": False})
    before = snapshot(ctx)
    assert_problem(send(), 402, "insufficient-credits")
    assert snapshot(ctx) == before


def test_opted_out_members_still_hear_from_connections(api, people):
    api.ok("PATCH", "/v1/members/bob", json={"inmail_opt_out": True})
    api.connect("alice", "bob")
    assert api.send("alice", "bob")["kind"] == "message"


@pytest.mark.parametrize(
    "fields",
    [
        {"body": "x" * 2001},
        {"subject": "x" * 201},
        {"to": "alice"},  # from == to
        {"from_": "alice"},
        {"cc": "carol"},
        {"body": None},
    ],
)
def test_invalid_messages(api, people, fields):
    message = {"from": "alice", "to": "bob", "body": "Hi", **fields}
    assert_problem(api.post("/v1/messages", json=message), 422, "validation-error")


def test_longest_body_and_subject_are_accepted(api, people):
    sent = api.send("alice", "bob", body="x" * 2000, subject="s" * 200)
    assert len(sent["body"]) == 2000


def test_unknown_sender_is_not_found(api, people):
    assert_problem(
        api.post("/v1/messages", json={"from": "zoe", "to": "bob", "body": "Hi"}), 404, "not-found"
    )


def test_a_reply_in_time_refunds_and_is_free(api, people):
    first = api.send("alice", "bob")
    second = api.send("alice", "bob", body="Follow-up")
    api.advance(DAY)
    bob = api.token("bob")
    answer = api.ok(
        "POST", f"/v1/messages/{second['id']}/reply", 201, json={"body": "Hi"}, token=bob
    )
    assert answer["from"] == "bob" and answer["to"] == "alice"
    assert answer["in_reply_to"] == second["id"] and answer["kind"] == "message"
    assert answer["credit_charged"] is False
    assert api.credits("alice")["balance"] == 20
    for message in (first, second):
        read = api.ok("GET", f"/v1/messages/{message['id']}")
        assert read["status"] == "responded" and read["refunded"] is True
        assert read["responded_at"] == "2026-01-16T09:30:00Z"
    kinds = [n["kind"] for n in api.ok("GET", "/v1/members/alice/notifications")["notifications"]]
    assert sorted(kinds) == ["credit_refunded", "credit_refunded", "response_received"]


def test_a_quick_reply_is_a_response(api, people):
    sent = api.send("alice", "bob")
    answer = api.reply(sent["id"], quick_reply="maybe_later")
    assert answer["quick_reply"] == "maybe_later" and answer["body"]
    assert api.credits("alice")["balance"] == 20


def test_a_reply_after_the_deadline_refunds_nothing(api, people):
    sent = api.send("alice", "bob")
    api.advance(90 * DAY)
    assert api.ok("GET", f"/v1/messages/{sent['id']}")["status"] == "expired"
    api.reply(sent["id"], body="Sorry, late")
    read = api.ok("GET", f"/v1/messages/{sent['id']}")
    assert read["status"] == "expired" and read["refunded"] is False
    assert read["responded_at"] is not None


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"body": "Hi", "quick_reply": "interested"},
        {"quick_reply": "yes"},
        {"body": ""},
        {"body": "Hi", "subject": "Re"},
    ],
)
def test_invalid_replies(api, people, body):
    sent = api.send("alice", "bob")
    assert_problem(api.post(f"/v1/messages/{sent['id']}/reply", json=body), 422, "validation-error")


def test_a_quick_reply_answers_inmails_only(api, people):
    api.connect("alice", "bob")
    sent = api.send("alice", "bob")
    response = api.post(f"/v1/messages/{sent['id']}/reply", json={"quick_reply": "interested"})
    assert_problem(response, 422, "validation-error")


def test_replies_to_missing_messages(api, people):
    assert_problem(api.post("/v1/messages/999/reply", json={"body": "Hi"}), 404, "not-found")
    assert_problem(api.get("/v1/messages/999"), 404, "not-found")
    assert_problem(api.get("/v1/messages/abc"), 422, "validation-error")
    assert_problem(api.get("/v1/messages/0"), 422, "validation-error")
    assert_problem(api.get(f"/v1/messages/{2**63}"), 422, "validation-error")


def test_a_reply_from_the_sender_side_is_an_inmail_when_unanswered(api, people):
    """The recipient answering is free; the sender following up (by sending
    again) still pays until the recipient has responded."""
    sent = api.send("alice", "bob")
    api.reply(sent["id"], body="Thanks")
    follow_up = api.send("alice", "bob", body="Great, when?")
    assert follow_up["kind"] == "message" and follow_up["credit_charged"] is False


def test_delete_hides_from_own_lists_only(api, ctx, people):
    sent = api.send("alice", "bob")
    bob = api.token("bob")
    response = api.delete(f"/v1/messages/{sent['id']}", token=bob)
    assert response.status_code == 204 and response.content == b""
    assert api.ok("GET", "/v1/members/bob/inbox")["messages"] == []
    assert [m["id"] for m in api.ok("GET", "/v1/members/alice/sent")["messages"]] == [sent["id"]]
    assert api.ok("GET", f"/v1/messages/{sent['id']}", token=bob)["id"] == sent["id"]
    assert api.credits("alice")["balance"] == 19  # deleting refunds nothing
    api.reply(sent["id"], body="Found it")  # and a later response still refunds
    assert api.credits("alice")["balance"] == 20
    assert_problem(api.delete("/v1/messages/999", token=bob), 404, "not-found")


def test_inbox_and_sent_page_newest_first(api, people):
    api.connect("alice", "bob")
    ids = [api.send("alice", "bob", body=f"#{i}")["id"] for i in range(5)]
    page = api.ok("GET", "/v1/members/bob/inbox?limit=3")
    assert [m["id"] for m in page["messages"]] == ids[:1:-1]
    rest = api.ok("GET", f"/v1/members/bob/inbox?limit=3&cursor={page['next_cursor']}")
    assert [m["id"] for m in rest["messages"]] == ids[1::-1] and rest["next_cursor"] is None
    sent = api.ok("GET", "/v1/members/alice/sent")
    assert [m["id"] for m in sent["messages"]] == ids[::-1] and sent["next_cursor"] is None
    assert api.ok("GET", "/v1/members/alice/inbox") == {"messages": [], "next_cursor": None}
    assert_problem(api.get("/v1/members/bob/sent?limit=201"), 422, "validation-error")
    assert_problem(api.get("/v1/members/zoe/inbox"), 404, "not-found")
    assert_problem(api.get("/v1/members/zoe/sent"), 404, "not-found")


def test_notifications(api, people):
    sent = api.send("alice", "bob")
    api.advance(3 * DAY)
    page = api.ok("GET", "/v1/members/bob/notifications?limit=1")
    assert page["notifications"] == [
        {
            "id": page["notifications"][0]["id"],
            "at": "2026-01-18T09:30:00Z",
            "kind": "inmail_reminder",
            "message_id": sent["id"],
            "data": {},
        }
    ]
    rest = api.ok("GET", f"/v1/members/bob/notifications?cursor={page['next_cursor']}")
    assert [n["kind"] for n in rest["notifications"]] == ["inmail_received"]
    assert rest["next_cursor"] is None
    assert_problem(api.get("/v1/members/zoe/notifications"), 404, "not-found")
    assert_problem(api.get("/v1/members/bob/notifications?cursor=bad"), 422, "validation-error")
