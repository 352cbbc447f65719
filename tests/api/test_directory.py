"""GET /v1/members: the directory members use to find whom to write to."""

from __future__ import annotations

import pytest

from inmail.service import members
from tests.api.conftest import assert_problem

PEOPLE = [
    ("ana.lopez", "Ana López", False, False),
    ("bob", "Robert Anders", True, False),
    ("carol_x", "Carol Smith-Jones", False, True),
    ("dan", "Dan O'Brien", False, False),
    ("percent", "100% Sure", False, False),
]


@pytest.fixture
def people(api):
    for member_id, name, open_profile, opted_out in PEOPLE:
        api.member(member_id, name=name, open_profile=open_profile, inmail_opt_out=opted_out)
    return api


def ids(page):
    return [m["id"] for m in page["members"]]


def test_any_member_sees_everyone_by_id_with_public_fields_only(people):
    token = people.token("dan")
    page = people.ok("GET", "/v1/members", token=token)
    assert ids(page) == sorted(p[0] for p in PEOPLE)
    assert page["next_cursor"] is None
    assert page["members"][1] == {
        "id": "bob",
        "name": "Robert Anders",
        "open_profile": True,
        "inmail_opt_out": False,
    }
    assert people.ok("GET", "/v1/members") == page  # the admin sees the same


def test_anonymous_callers_are_refused(people):
    assert_problem(people.get("/v1/members", token=None), 401, "unauthorized")
    assert_problem(people.get("/v1/members", token="not-a-token"), 401, "unauthorized")


@pytest.mark.parametrize(
    "q, expected",
    [
        ("an", ["ana.lopez", "bob"]),  # the start of an id, of a later word ("Anders")
        ("AN", ["ana.lopez", "bob"]),  # any case
        ("ROB", ["bob"]),  # the start of the name
        ("smith", ["carol_x"]),
        ("jones", []),  # inside a word ("Smith-Jones"), not the start of one
        ("obert", []),  # inside a word
        ("ana.l", ["ana.lopez"]),
        ("carol_", ["carol_x"]),  # "_" is a character, not a wildcard
        ("c%", []),  # "%" too
        ("100%", ["percent"]),
        ("o'b", ["dan"]),
    ],
)
def test_q_matches_the_start_of_the_id_or_of_a_word_of_the_name(people, q, expected):
    page = people.ok("GET", "/v1/members", params={"q": q})
    assert ids(page) == expected


def test_pages_follow_the_cursor_to_the_end(people):
    seen, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = people.ok("GET", "/v1/members", params=params)
        assert len(page["members"]) <= 2
        seen += ids(page)
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(p[0] for p in PEOPLE)
    with_q = people.ok("GET", "/v1/members", params={"q": "a", "limit": 1})
    assert ids(with_q) == ["ana.lopez"]
    rest = people.ok("GET", "/v1/members", params={"q": "a", "cursor": with_q["next_cursor"]})
    assert ids(rest) == ["bob"]  # "Anders"; still filtered on the next page


def test_the_limit_defaults_to_50_and_stops_at_200(api, ctx):
    for n in range(51):
        members.create_member(ctx, f"m{n:03d}", f"Member {n}")
    first = api.ok("GET", "/v1/members")
    assert len(first["members"]) == 50 and first["next_cursor"] is not None
    last = api.ok("GET", "/v1/members", params={"cursor": first["next_cursor"]})
    assert ids(last) == ["m050"] and last["next_cursor"] is None
    assert len(api.ok("GET", "/v1/members", params={"limit": 200})["members"]) == 51
    assert_problem(api.get("/v1/members", params={"limit": 201}), 422, "validation-error")
    assert_problem(api.get("/v1/members", params={"limit": 0}), 422, "validation-error")


@pytest.mark.parametrize("q", ["", "x" * 65, "a\x00"])
def test_a_q_outside_1_to_64_characters_is_refused(api, q):
    body = assert_problem(api.get("/v1/members", params={"q": q}), 422, "validation-error")
    assert body["detail"].startswith("query parameter q: ")


def test_a_cursor_that_is_no_member_id_is_refused(api):
    response = api.get("/v1/members", params={"cursor": "Not An Id!"})
    assert_problem(response, 422, "validation-error")
