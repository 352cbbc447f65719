"""A 422's detail says what to fix in plain words, never the validator's
internals; a list's cursor is stated in the schema and every cursor the
schema allows is a position in the list."""

from __future__ import annotations

import pytest

from tests.api.conftest import assert_problem

INTERNALS = ("function-after", "functools", "Input should", "items", "decode error", "body.")

CASES = [
    # (method, path, request keywords, the detail)
    (
        "PATCH",
        "/v1/members/alice",
        {"json": {"name": "x" * 201}},
        "name: must be at most 200 characters",
    ),
    ("PATCH", "/v1/members/alice", {"json": {"name": 5}}, "name: must be a string"),
    (
        "POST",
        "/v1/messages",
        {"json": {"from": "alice", "to": "bob", "body": "x" * 2001}},
        "body: must be at most 2000 characters",
    ),
    (
        "POST",
        "/v1/messages",
        {"content": '{"from": "alice"}'},  # no Content-Type
        "the body must be a JSON object, sent with Content-Type: application/json",
    ),
    (
        "POST",
        "/v1/messages",
        {"content": '{"from": x}', "headers": {"Content-Type": "application/json"}},
        "the body is not valid JSON at character 9: Expecting value",
    ),
    (
        "POST",
        "/v1/members",
        {"json": {"id": "Ana", "name": "Ana"}},
        "id: must be a member id: 1 to 64 of a-z, 0-9, '_', '.' and '-', "
        "starting with a letter or a digit",
    ),
    (
        "POST",
        "/v1/members",
        {"json": {"id": "ana", "name": "Ana", "extra": 1}},
        "extra: is not a field of this request",
    ),
    ("POST", "/v1/members", {"json": {"id": "ana"}}, "name: is required"),
    (
        "GET",
        "/v1/members/alice/ledger",
        {"params": {"limit": 500}},
        "query parameter limit: must be less than or equal to 200",
    ),
    ("GET", "/v1/messages/abc", {}, "path parameter id: must be a whole number"),
    (
        "GET",
        "/v1/members/alice/ledger",
        {"params": {"cursor": "eHl6"}},
        "query parameter cursor: is not a cursor of this list: "
        "pass back the next_cursor of the previous page",
    ),
]


@pytest.mark.parametrize("method, path, request_kw, detail", CASES)
def test_details_say_what_to_fix(api, method, path, request_kw, detail):
    api.member("alice")
    api.member("bob")
    body = assert_problem(api.call(method, path, **request_kw), 422, "validation-error")
    assert body["detail"] == detail
    assert not any(word in body["detail"] for word in INTERNALS), body["detail"]


@pytest.mark.parametrize(
    "path, cursor",
    [
        ("/v1/members/alice/ledger", "0"),
        ("/v1/members/alice/ledger", "9" * 19),  # past the biggest id: from the newest
        ("/v1/members/alice/inbox", "1"),
        ("/v1/members/alice/sent", "1"),
        ("/v1/members/alice/notifications", "-" + "9" * 18 + ".0"),  # before year 1
        ("/v1/members/alice/notifications", "9" * 18 + "." + "9" * 19),  # after year 9999
        ("/v1/members", "zzz"),
    ],
)
def test_every_cursor_the_schema_allows_is_a_position(api, path, cursor):
    api.member("alice")
    api.subscribe("alice")
    response = api.get(path, params={"cursor": cursor})
    assert response.status_code == 200, response.text


def test_cursors_round_trip_and_are_stated_in_the_schema(api):
    api.member("alice")
    api.subscribe("alice")
    for _ in range(3):
        api.ok(
            "POST", "/v1/members/alice/credits/adjustments", 201, json={"amount": 1, "reason": "r"}
        )
    first = api.ok("GET", "/v1/members/alice/ledger", params={"limit": 2})
    rest = api.ok("GET", "/v1/members/alice/ledger", params={"cursor": first["next_cursor"]})
    assert len(first["entries"]) == 2 and len(rest["entries"]) == 2
    schema = api.get("/openapi.json", token=None).json()
    for path, item in schema["paths"].items():
        for operation in item.values():
            for parameter in operation.get("parameters", []):
                if parameter["name"] == "cursor":
                    assert "pattern" in str(parameter["schema"]), path
