"""Idempotency-Key: the first answer is kept with its effect and replayed."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from inmail.api import create_app
from inmail.service import members as member_service
from inmail.service.due import run_due
from tests.api.conftest import Api, assert_problem, snapshot
from tests.conftest import make_context


def key(value: str | bytes) -> dict[str, dict[str, str | bytes]]:
    return {"headers": {"Idempotency-Key": value}}


@pytest.fixture
def pair(api):
    api.member("alice")
    api.member("bob")
    api.subscribe("alice")


def test_a_replay_answers_the_same_and_changes_nothing(api, ctx, pair):
    message = {"from": "alice", "to": "bob", "body": "Hello"}
    first = api.post("/v1/messages", json=message, **key("send-1"))
    assert first.status_code == 201 and "idempotent-replayed" not in first.headers
    before = snapshot(ctx)
    # Same JSON, other key order and spacing: the same request.
    raw = json.dumps({"body": "Hello", "to": "bob", "from": "alice"}, indent=2)
    again = api.post(
        "/v1/messages",
        content=raw,
        headers={"Idempotency-Key": "send-1", "Content-Type": "application/json"},
    )
    assert again.status_code == 201
    assert again.content == first.content
    assert again.headers["content-type"] == "application/json"
    assert again.headers["idempotent-replayed"] == "true"
    assert snapshot(ctx) == before
    assert api.credits("alice")["balance"] == 19


def test_the_same_key_for_another_request_is_a_conflict(api, ctx, pair):
    api.ok(
        "POST", "/v1/messages", 201, json={"from": "alice", "to": "bob", "body": "A"}, **key("k")
    )
    before = snapshot(ctx)
    other_body = api.post(
        "/v1/messages", json={"from": "alice", "to": "bob", "body": "B"}, **key("k")
    )
    assert_problem(other_body, 409, "idempotency-conflict")
    other_path = api.post("/v1/members", json={"id": "carol", "name": "Carol"}, **key("k"))
    assert_problem(other_path, 409, "idempotency-conflict")
    assert snapshot(ctx) == before


def test_keys_are_scoped_to_the_token(api, pair):
    alice = api.token("alice")
    message = {"from": "alice", "to": "bob", "body": "Hello"}
    by_admin = api.ok("POST", "/v1/messages", 201, json=message, **key("same"))
    by_alice = api.ok("POST", "/v1/messages", 201, json=message, token=alice, **key("same"))
    assert by_admin["id"] != by_alice["id"]
    assert api.credits("alice")["balance"] == 18


def test_a_4xx_answer_is_kept_and_its_effect_is_not(api, ctx, pair):
    api.ok(
        "POST", "/v1/members/alice/credits/adjustments", 201, json={"amount": -20, "reason": "x"}
    )
    message = {"from": "alice", "to": "bob", "body": "Hello"}
    first = api.post("/v1/messages", json=message, **key("poor"))
    assert_problem(first, 402, "insufficient-credits")
    api.ok("POST", "/v1/members/alice/credits/adjustments", 201, json={"amount": 5, "reason": "x"})
    before = snapshot(ctx)
    again = api.post("/v1/messages", json=message, **key("poor"))
    assert again.status_code == 402 and again.content == first.content
    assert again.headers["content-type"].startswith("application/problem+json")
    assert snapshot(ctx) == before
    assert api.ok("GET", "/v1/members/alice/sent")["messages"] == []


def test_a_refused_shape_is_not_kept(api, pair):
    """FastAPI's own 422 comes before the use case: fixing the body and
    retrying with the same key runs it."""
    bad = api.post("/v1/messages", json={"from": "alice", "to": "bob"}, **key("fix-me"))
    assert_problem(bad, 422, "validation-error")
    fixed = api.post(
        "/v1/messages", json={"from": "alice", "to": "bob", "body": "Hi"}, **key("fix-me")
    )
    assert fixed.status_code == 201


def test_a_5xx_is_not_kept(app, api, ctx, monkeypatch):
    real = member_service.create_member
    calls = []

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            real(*args, **kwargs)  # the effect happens, then the process fails
            raise RuntimeError("disk on fire")
        return real(*args, **kwargs)

    monkeypatch.setattr(member_service, "create_member", flaky)
    with TestClient(app, raise_server_exceptions=False) as client:
        crashed = Api(client).post("/v1/members", json={"id": "alice", "name": "A"}, **key("m"))
    assert_problem(crashed, 500, "internal-error")
    assert "disk" not in crashed.text
    retried = api.post("/v1/members", json={"id": "alice", "name": "A"}, **key("m"))
    assert retried.status_code == 201  # rolled back with the failed answer, so it runs again
    assert len(calls) == 2


def test_replays_survive_a_new_app_on_the_same_database(api, ctx, settings, database_url, pair):
    message = {"from": "alice", "to": "bob", "body": "Hello"}
    first = api.post("/v1/messages", json=message, **key("restart"))
    before = snapshot(ctx)
    restarted = make_context(database_url)
    try:
        with TestClient(create_app(restarted, settings)) as client:
            again = Api(client).post("/v1/messages", json=message, **key("restart"))
    finally:
        restarted.database.dispose()
    assert (again.status_code, again.content) == (first.status_code, first.content)
    assert snapshot(ctx) == before


def test_a_replayed_token_is_not_stored_in_clear(api, ctx):
    api.member("alice")
    first = api.ok("POST", "/v1/members/alice/tokens", 201, **key("tok"))
    again = api.ok("POST", "/v1/members/alice/tokens", 201, **key("tok"))
    assert again == first
    assert first["token"] not in repr(snapshot(ctx))
    assert api.ok("GET", "/v1/members/alice", token=first["token"])["id"] == "alice"


def test_a_replayed_clock_move_does_not_move_again(api):
    first = api.ok("POST", "/v1/admin/clock", json={"advance_seconds": 3600}, **key("hour"))
    again = api.ok("POST", "/v1/admin/clock", json={"advance_seconds": 3600}, **key("hour"))
    assert first == again == {"now": "2026-01-15T10:30:00Z"}
    assert api.ok("GET", "/v1/admin/clock")["now"] == "2026-01-15T10:30:00Z"


def test_every_post_route_takes_a_key(api, pair):
    sent = api.ok(
        "POST", "/v1/messages", 201, json={"from": "alice", "to": "bob", "body": "A"}, **key("1")
    )
    calls = [
        ("/v1/members", {"id": "carol", "name": "C"}),
        ("/v1/members/carol/tokens", None),
        ("/v1/members/alice/credits/adjustments", {"amount": 1, "reason": "x"}),
        (f"/v1/messages/{sent['id']}/reply", {"body": "Hi"}),
        ("/v1/admin/clock", {"advance_seconds": 1}),
    ]
    for n, (path, body) in enumerate(calls, start=2):
        kwargs = {"json": body} if body is not None else {}
        first = api.post(path, **kwargs, **key(str(n)))
        again = api.post(path, **kwargs, **key(str(n)))
        assert first.status_code < 300 and again.content == first.content, path
    assert api.credits("alice")["balance"] == 21  # one adjustment, one refund


@pytest.mark.parametrize("value", ["", "k" * 256, "with space", "caf\u00e9".encode("latin-1")])
def test_key_length_is_checked(api, pair, value):
    response = api.post("/v1/members", json={"id": "carol", "name": "C"}, **key(value))
    assert_problem(response, 422, "validation-error")


def test_concurrent_requests_with_one_key_run_once(api, ctx, pair):
    message = {"from": "alice", "to": "bob", "body": "Hello"}
    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(
            pool.map(lambda _: api.post("/v1/messages", json=message, **key("race")), range(4))
        )
    assert {a.status_code for a in answers} == {201}
    assert len({a.content for a in answers}) == 1
    assert api.credits("alice")["balance"] == 19


def test_a_second_request_with_the_key_waits_for_the_first(ctx):
    """Deterministic version of the race: the second request arrives while
    the first holds the key uncommitted, waits, then replays its answer."""
    import threading

    from inmail.api.idempotency import IdempotentRequest, run_idempotent
    from inmail.api.schemas import Health
    from inmail.service.due import clock_now

    # Store the manual clock's first reading now: two transactions that both
    # find no clock row would both insert one (an engine issue, reported).
    clock_now(ctx)
    idem = IdempotentRequest(key="k", token="some-token", request_hash="h")
    inside, release = threading.Event(), threading.Event()
    answers = {}

    def slow() -> Health:
        inside.set()
        assert release.wait(10)
        return Health(status="ok")

    def never() -> Health:
        raise AssertionError("the second request ran the use case")

    def run(name, call):
        answers[name] = run_idempotent(ctx, idem, call, status_code=201)

    first = threading.Thread(target=run, args=("first", slow))
    second = threading.Thread(target=run, args=("second", never))
    first.start()
    assert inside.wait(10)
    second.start()
    second.join(0.3)
    assert second.is_alive()  # waiting on the key
    release.set()
    first.join(10)
    second.join(10)
    assert answers["first"].body == answers["second"].body == b'{"status":"ok"}'
    assert answers["second"].headers["idempotent-replayed"] == "true"


def test_keys_outlive_moves_of_the_manual_clock(api, pair):
    """Retention is wall time: moving the service's clock a month ahead does
    not turn a client's retry into a second effect."""
    message = {"from": "alice", "to": "bob", "body": "Hello"}
    first = api.post("/v1/messages", json=message, **key("send-once"))
    api.advance(31 * 86400)  # the clock route runs the worker's step, pruning included
    again = api.post("/v1/messages", json=message, **key("send-once"))
    assert again.headers.get("idempotent-replayed") == "true"
    assert again.content == first.content
    assert len(api.get("/v1/members/alice/sent").json()["messages"]) == 1


def test_keys_are_pruned_after_the_retention_window(api, ctx, pair):
    """Once a key is older than the retention window and the worker has run,
    the same key runs anew."""
    adjustment = {"amount": 5, "reason": "goodwill"}
    path = "/v1/members/alice/credits/adjustments"
    first = api.post(path, json=adjustment, **key("adjust-1"))
    inside = api.post(path, json=adjustment, **key("adjust-1"))
    assert inside.headers.get("idempotent-replayed") == "true"
    ctx.idempotency_retention = timedelta(0)  # every key made before now is past it
    run_due(ctx)
    after = api.post(path, json=adjustment, **key("adjust-1"))
    assert after.status_code == 201 and "idempotent-replayed" not in after.headers
    assert after.json()["id"] != first.json()["id"]
    assert api.credits("alice")["balance"] == 20 + 5 + 5
