"""Subscriptions, the credits summary, the ledger and adjustments over HTTP."""

from __future__ import annotations

import pytest

from tests.api.conftest import assert_problem, snapshot

DAY = 86400


@pytest.fixture
def alice(api):
    api.member("alice")
    return "alice"


def test_subscribe_and_read_back(api, alice):
    sub = api.subscribe(alice)
    assert sub == {
        "plan": "pro",
        "status": "active",
        "started_at": "2026-01-15T09:30:00Z",
        "next_renewal_at": "2026-02-15T09:30:00Z",
        "ends_at": None,
        "monthly_credits": 20,
        "max_balance": 60,
    }
    assert api.ok("GET", "/v1/members/alice/subscription") == sub


def test_started_at_in_the_past_replays_renewals(api, alice):
    sub = api.subscribe(alice, started_at="2025-11-30T10:00:00+01:00")
    assert sub["started_at"] == "2025-11-30T09:00:00Z"
    assert sub["next_renewal_at"] == "2026-01-30T09:00:00Z"
    assert api.credits(alice)["balance"] == 40  # the first grant and the Dec 30 renewal


def test_started_at_goes_back_at_most_100_years(api, alice):
    old = {"plan": "pro", "started_at": "1925-01-15T09:29:59Z"}
    assert_problem(api.put("/v1/members/alice/subscription", json=old), 422, "validation-error")
    assert_problem(
        api.put(
            "/v1/members/alice/subscription",
            json={"plan": "pro", "started_at": "0001-01-01T00:00:00Z"},
        ),
        422,
        "validation-error",
    )


def test_started_at_without_offset_is_utc(api, alice):
    assert api.subscribe(alice, started_at="2026-01-01T00:00:00")["started_at"] == (
        "2026-01-01T00:00:00Z"
    )


@pytest.mark.parametrize(
    "body",
    [
        {"plan": "gold"},
        {"plan": "pro", "started_at": "2026-01-16T00:00:00Z"},  # in the future
        {"plan": "pro", "started_at": 1767225600},  # not RFC 3339
        {"plan": "pro", "started_at": "yesterday"},
        {"plan": "pro", "seats": 3},
        {},
    ],
)
def test_invalid_subscriptions(api, ctx, alice, body):
    before = snapshot(ctx)
    response = api.put("/v1/members/alice/subscription", json=body)
    assert_problem(response, 422, "validation-error")
    assert snapshot(ctx) == before


def test_plan_change_applies_at_renewal(api, alice):
    api.subscribe(alice)
    changed = api.subscribe(alice, "enterprise")
    assert changed["plan"] == "enterprise" and changed["started_at"] == "2026-01-15T09:30:00Z"
    assert api.credits(alice)["balance"] == 20
    api.advance(31 * DAY)
    assert api.credits(alice)["balance"] == 70


def test_cancel_then_end(api, alice):
    api.subscribe(alice)
    cancelled = api.ok("DELETE", "/v1/members/alice/subscription")
    assert cancelled["status"] == "cancelling"
    assert cancelled["ends_at"] == cancelled["next_renewal_at"] == "2026-02-15T09:30:00Z"
    credits = api.credits(alice)
    assert credits["forfeit_at_next_renewal"] == 20 and credits["next_renewal_credits"] == 0
    api.advance(31 * DAY)
    sub = api.ok("GET", "/v1/members/alice/subscription")
    assert sub["status"] == "cancelled" and sub["next_renewal_at"] is None
    assert api.credits(alice)["balance"] == 0
    assert_problem(api.delete("/v1/members/alice/subscription"), 409, "conflict")


def test_put_on_cancelling_takes_the_cancel_back(api, alice):
    api.subscribe(alice)
    api.ok("DELETE", "/v1/members/alice/subscription")
    sub = api.subscribe(alice)
    assert sub["status"] == "active" and sub["ends_at"] is None


def test_no_subscription_is_not_found(api, alice):
    assert_problem(api.get("/v1/members/alice/subscription"), 404, "not-found")
    assert_problem(api.delete("/v1/members/alice/subscription"), 404, "not-found")
    assert_problem(api.put("/v1/members/zoe/subscription", json={"plan": "pro"}), 404, "not-found")


def test_credits_summary(api, alice):
    empty = api.credits(alice)
    assert empty == {
        "balance": 0,
        "plan": None,
        "monthly_credits": None,
        "max_balance": None,
        "next_renewal_at": None,
        "next_renewal_credits": 0,
        "forfeit_at_next_renewal": 0,
        "awaiting_response": 0,
        "response_rate": None,
        "as_of": "2026-01-15T09:30:00Z",
    }
    api.subscribe(alice)
    api.ok("POST", "/v1/members/alice/credits/adjustments", 201, json={"amount": 35, "reason": "x"})
    credits = api.credits(alice)
    assert credits["balance"] == 55 and credits["plan"] == "pro"
    assert credits["next_renewal_credits"] == 5 and credits["forfeit_at_next_renewal"] == 15
    assert_problem(api.get("/v1/members/zoe/credits"), 404, "not-found")


def test_ledger_pages_newest_first(api, alice):
    api.subscribe(alice)
    for amount in range(1, 6):
        body = {"amount": amount, "reason": f"bonus {amount}"}
        api.ok("POST", "/v1/members/alice/credits/adjustments", 201, json=body)
    first = api.ok("GET", "/v1/members/alice/ledger?limit=4")
    assert [e["amount"] for e in first["entries"]] == [5, 4, 3, 2]
    assert first["entries"][0] == {
        "id": first["entries"][0]["id"],
        "at": "2026-01-15T09:30:00Z",
        "kind": "adjustment",
        "amount": 5,
        "balance_after": 35,
        "message_id": None,
        "note": "bonus 5",
    }
    second = api.ok("GET", f"/v1/members/alice/ledger?limit=4&cursor={first['next_cursor']}")
    assert [(e["kind"], e["amount"]) for e in second["entries"]] == [
        ("adjustment", 1),
        ("grant", 20),
    ]
    assert second["next_cursor"] is None
    assert len(api.ok("GET", "/v1/members/alice/ledger")["entries"]) == 6


@pytest.mark.parametrize(
    "query", ["limit=0", "limit=201", "limit=x", "cursor=%21%21", "cursor=eHl6"]
)
def test_ledger_refuses_bad_paging(api, alice, query):
    assert_problem(api.get(f"/v1/members/alice/ledger?{query}"), 422, "validation-error")


def test_limit_of_200_is_allowed(api, alice):
    assert api.ok("GET", "/v1/members/alice/ledger?limit=200")["entries"] == []


def test_adjustments(api, ctx, alice):
    entry = api.ok(
        "POST", "/v1/members/alice/credits/adjustments", 201, json={"amount": 70, "reason": "gift"}
    )
    assert entry["kind"] == "adjustment" and entry["balance_after"] == 70  # past any cap
    before = snapshot(ctx)
    response = api.post(
        "/v1/members/alice/credits/adjustments", json={"amount": -71, "reason": "x"}
    )
    assert_problem(response, 409, "conflict")
    assert snapshot(ctx) == before
    minus = {"amount": -70, "reason": "taken back"}
    assert api.ok("POST", "/v1/members/alice/credits/adjustments", 201, json=minus)["amount"] == -70


@pytest.mark.parametrize(
    "body",
    [
        {"amount": 0, "reason": "x"},
        {"amount": "5", "reason": "x"},
        {"amount": 1.5, "reason": "x"},
        {"amount": True, "reason": "x"},
        {"amount": 5, "reason": ""},
        {"amount": 5},
        {"amount": 5, "reason": "x", "at": "2026-01-01T00:00:00Z"},
    ],
)
def test_invalid_adjustments(api, alice, body):
    response = api.post("/v1/members/alice/credits/adjustments", json=body)
    assert_problem(response, 422, "validation-error")


def test_adjusting_an_unknown_member(api):
    response = api.post("/v1/members/zoe/credits/adjustments", json={"amount": 1, "reason": "x"})
    assert_problem(response, 404, "not-found")
