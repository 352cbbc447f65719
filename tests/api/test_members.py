"""Members, tokens and connections over HTTP."""

from __future__ import annotations

import json

import pytest

from tests.api.conftest import assert_problem, snapshot


def test_create_and_get_member(api):
    created = api.member("alice", open_profile=True)
    assert created == {
        "id": "alice",
        "name": "Alice",
        "inmail_opt_out": False,
        "open_profile": True,
        "created_at": "2026-01-15T09:30:00Z",
    }
    assert api.ok("GET", "/v1/members/alice") == created


def test_a_taken_id_is_a_conflict(api, ctx):
    api.member("alice")
    before = snapshot(ctx)
    response = api.post("/v1/members", json={"id": "alice", "name": "Other"})
    assert_problem(response, 409, "conflict")
    assert snapshot(ctx) == before


@pytest.mark.parametrize(
    "body",
    [
        {"id": "Alice", "name": "A"},  # upper case
        {"id": "-alice", "name": "A"},  # must start with a letter or digit
        {"id": "alice\n", "name": "A"},  # no trailing newline sneaks past the pattern
        {"id": "a" * 65, "name": "A"},
        {"id": "alice", "name": ""},
        {"id": "alice", "name": "   "},  # blank after trimming (the engine's check)
        {"id": "alice", "name": "x" * 201},
        {"id": "alice"},
        {"id": "alice", "name": "A", "role": "admin"},  # unknown field
        {"id": "alice", "name": "A", "open_profile": "yes"},  # not a boolean
        {"id": 7, "name": "A"},
    ],
)
def test_invalid_member_bodies(api, ctx, body):
    before = snapshot(ctx)
    assert_problem(api.post("/v1/members", json=body), 422, "validation-error")
    assert snapshot(ctx) == before


def test_longest_id_is_accepted(api):
    member_id = "a" + "b-c._" * 12 + "012"
    assert len(member_id) == 64
    assert api.member(member_id)["id"] == member_id


def test_unknown_member_is_not_found(api):
    assert_problem(api.get("/v1/members/zoe"), 404, "not-found")
    assert_problem(api.patch("/v1/members/zoe", json={"name": "Z"}), 404, "not-found")
    assert_problem(api.post("/v1/members/zoe/tokens"), 404, "not-found")
    assert_problem(api.get("/v1/members/zoe/connections"), 404, "not-found")


def test_patch_member_changes_only_what_is_given(api):
    api.member("alice")
    patched = api.ok("PATCH", "/v1/members/alice", json={"inmail_opt_out": True})
    assert patched["inmail_opt_out"] is True and patched["name"] == "Alice"
    patched = api.ok("PATCH", "/v1/members/alice", json={"name": "Alice A.", "open_profile": True})
    assert patched == {**patched, "name": "Alice A.", "inmail_opt_out": True, "open_profile": True}
    assert api.ok("PATCH", "/v1/members/alice", json={}) == patched


def test_a_member_patches_itself(api):
    api.member("alice")
    token = api.token("alice")
    patched = api.ok("PATCH", "/v1/members/alice", json={"open_profile": True}, token=token)
    assert patched["open_profile"] is True


@pytest.mark.parametrize(
    "body",
    [{"name": None}, {"open_profile": None}, {"name": ""}, {"id": "bob"}, {"open_profile": 1}],
)
def test_invalid_patches(api, body):
    api.member("alice")
    assert_problem(api.patch("/v1/members/alice", json=body), 422, "validation-error")


def test_token_acts_as_its_member(api):
    api.member("alice")
    first, second = api.token("alice"), api.token("alice")
    assert first != second and first.startswith("im_")
    for token in (first, second):
        assert api.ok("GET", "/v1/members/alice", token=token)["id"] == "alice"


def test_tokens_are_stored_hashed(api, ctx):
    api.member("alice")
    token = api.token("alice")
    assert token not in repr(snapshot(ctx))


def test_connections_are_mutual_and_listed(api):
    for member_id in ("alice", "bob", "carol"):
        api.member(member_id)
    api.connect("alice", "bob")
    api.connect("carol", "alice")
    api.connect("alice", "bob")  # twice is fine
    assert api.ok("GET", "/v1/members/alice/connections") == ["bob", "carol"]
    assert api.ok("GET", "/v1/members/bob/connections") == ["alice"]
    response = api.delete("/v1/members/bob/connections/alice")
    assert response.status_code == 204 and response.content == b""
    assert api.ok("GET", "/v1/members/alice/connections") == ["carol"]
    assert api.ok("GET", "/v1/members/bob/connections") == []


def test_connection_errors(api):
    api.member("alice")
    assert_problem(api.put("/v1/members/alice/connections/zoe"), 404, "not-found")
    assert_problem(api.delete("/v1/members/zoe/connections/alice"), 404, "not-found")
    assert_problem(api.put("/v1/members/alice/connections/alice"), 422, "validation-error")


@pytest.mark.parametrize("name", ["nul\x00name", "lone \ud800 surrogate"])
def test_text_no_database_can_hold_is_refused(api, ctx, name):
    before = snapshot(ctx)
    raw = '{"id": "alice", "name": ' + json.dumps(name) + "}"  # \u escapes, as a client sends
    response = api.post("/v1/members", content=raw, headers={"Content-Type": "application/json"})
    assert_problem(response, 422, "validation-error")
    assert snapshot(ctx) == before


def test_an_id_no_database_can_hold_is_refused_in_paths(api):
    assert_problem(api.get("/v1/members/a%00b"), 422, "validation-error")
    assert_problem(api.put("/v1/members/a%00b/connections/c"), 422, "validation-error")
