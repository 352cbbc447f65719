"""GET /v1/members/{id}/forecast: the contract's shape, its assumptions from
history, and its refusals."""

from __future__ import annotations

import pytest

from tests.api.conftest import assert_problem

DAY = 86400
PATH = "/v1/members/alice/forecast"


@pytest.fixture
def alice(api):
    api.member("alice")
    api.member("bob")
    api.subscribe("alice")  # 20 credits, renewals on the 15th at 09:30
    return "alice"


def test_the_main_line_and_its_fields(api, alice):
    body = api.ok("GET", PATH, params={"months": 2, "sends_per_week": 0, "response_rate": 0.5})
    assert body["assumptions"] == {
        "sends_per_week": 0.0,
        "response_rate": 0.5,
        "response_days": 3,  # no answer in the history: 3
        "from_history": True,
        "from_history_fields": ["response_days"],
    }
    assert body["renewals"] == [
        {
            "at": "2026-02-15T09:30:00Z",
            "kind": "renewal",
            "balance_before": 20,
            "granted": 20,
            "forfeited": 0,
            "balance_after": 40,
            "p10": 40,
            "p90": 40,
        },
        {
            "at": "2026-03-15T09:30:00Z",
            "kind": "renewal",
            "balance_before": 40,
            "granted": 20,
            "forfeited": 0,
            "balance_after": 60,
            "p10": 60,
            "p90": 60,
        },
    ]
    assert (body["runs_out_at"], body["shortfall"], body["send_before_next_renewal"]) == (
        None,
        0,
        0,
    )
    assert (body["status"], body["plan"], body["balance"]) == ("active", "pro", 20)
    assert body["advice"] == {
        "best_plan": "pro",
        "plans": [
            {"code": "pro", "expected_forfeited": 0, "expected_shortfall": 0},
            {"code": "teams", "expected_forfeited": 0, "expected_shortfall": 0},
            {"code": "enterprise", "expected_forfeited": 0, "expected_shortfall": 0},
        ],
    }


def test_assumptions_not_given_come_from_the_last_90_days(api, alice):
    # One InMail to each of four members (a reply refunds a whole conversation).
    for n in range(4):
        api.member(f"m{n}")
    sent = [api.send(alice, f"m{n}", "Hello") for n in range(4)]
    api.advance(2 * DAY)
    api.reply(sent[0]["id"], body="Thanks")  # answered after 2 days: refunded
    body = api.ok("GET", PATH)
    # 4 sends in 90 days: 4 / (90 / 7) = 0.31 a week; 1 of 4 answered, in 2 days.
    assert body["assumptions"] == {
        "sends_per_week": 0.31,
        "response_rate": 0.25,
        "response_days": 2,
        "from_history": True,
        "from_history_fields": ["sends_per_week", "response_rate", "response_days"],
    }
    assert len(body["renewals"]) == 6  # the default horizon
    given = api.ok(
        "GET", PATH, params={"sends_per_week": 1, "response_rate": 0, "response_days": 5}
    )
    assert given["assumptions"]["from_history"] is False
    assert given["assumptions"]["from_history_fields"] == []


def test_the_same_request_gives_the_same_answer(api, alice):
    params = {"months": 12, "sends_per_week": 6, "response_rate": 0.3}
    first = api.ok("GET", PATH, params=params)
    assert api.ok("GET", PATH, params=params) == first
    assert all(r["p10"] <= r["p90"] for r in first["renewals"])


def test_a_cancelling_subscription_stops_at_its_end(api, alice):
    api.ok("DELETE", "/v1/members/alice/subscription")
    body = api.ok("GET", PATH, params={"sends_per_week": 0})
    assert body["status"] == "cancelling"
    assert body["ends_at"] == "2026-02-15T09:30:00Z"
    assert [(r["kind"], r["forfeited"], r["balance_after"]) for r in body["renewals"]] == [
        ("end", 20, 0)
    ]
    assert body["send_before_next_renewal"] == 20


def test_a_member_sees_their_own_forecast_only(api, alice):
    token = api.token(alice)
    assert api.call("GET", PATH, token=token).status_code == 200
    other = api.token("bob")
    assert_problem(api.call("GET", PATH, token=other), 403, "forbidden")
    assert_problem(api.get("/v1/members/nobody/forecast"), 404, "not-found")


@pytest.mark.parametrize(
    "params",
    [
        {"months": 0},
        {"months": 25},
        {"months": "six"},
        {"sends_per_week": -1},
        {"sends_per_week": 500.5},
        {"sends_per_week": "nan"},
        {"response_rate": 1.01},
        {"response_rate": "inf"},
        {"response_days": 0},
        {"response_days": 90},
        {"response_days": 2.5},
    ],
)
def test_wrong_parameters_are_422(api, alice, params):
    assert_problem(api.get(PATH, params=params), 422, "validation-error")
