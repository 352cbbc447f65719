"""Who may call what, generated from the app's own route table.

Every route the app serves must have a row in WHO (the contract's "who"
column); each is called anonymously, with a bad token, as each member
concerned, as another member and as the admin. Allowed callers succeed;
everyone else is refused (401 without a valid token, 403 with one) and the
refusal changes nothing in the database.
"""

from __future__ import annotations

import itertools
from dataclasses import replace

import pytest

from tests.api.conftest import api_routes, assert_problem, snapshot

ANYONE = {"alice", "bob", "carol", "admin", "anonymous"}
ADMIN = {"admin"}
SELF_ADMIN = {"alice", "admin"}  # alice is the member of the path

# (method, path) -> who may call it, for the fixture below: alice is the
# member of every member path and the sender of the message; bob is its
# recipient; carol is another member.
WHO: dict[tuple[str, str], set[str]] = {
    ("GET", "/healthz"): ANYONE,
    ("GET", "/metrics"): ANYONE,
    ("GET", "/v1/plans"): ANYONE,
    ("POST", "/v1/members"): ADMIN,
    ("GET", "/v1/members"): ANYONE - {"anonymous"},  # the directory
    ("GET", "/v1/members/{id}"): SELF_ADMIN,
    ("PATCH", "/v1/members/{id}"): SELF_ADMIN,
    ("POST", "/v1/members/{id}/tokens"): ADMIN,
    ("PUT", "/v1/members/{a}/connections/{b}"): ADMIN,
    ("DELETE", "/v1/members/{a}/connections/{b}"): ADMIN,
    ("GET", "/v1/members/{id}/connections"): SELF_ADMIN,
    ("PUT", "/v1/members/{id}/subscription"): ADMIN,
    ("GET", "/v1/members/{id}/subscription"): SELF_ADMIN,
    ("DELETE", "/v1/members/{id}/subscription"): ADMIN,
    ("GET", "/v1/members/{id}/credits"): SELF_ADMIN,
    ("GET", "/v1/members/{id}/ledger"): SELF_ADMIN,
    ("POST", "/v1/members/{id}/credits/adjustments"): ADMIN,
    ("GET", "/v1/members/{id}/forecast"): SELF_ADMIN,
    ("POST", "/v1/messages"): {"alice", "admin"},  # the sender (from)
    ("GET", "/v1/messages/{id}"): {"alice", "bob", "admin"},
    ("POST", "/v1/messages/{id}/reply"): {"bob", "admin"},  # the other party
    ("DELETE", "/v1/messages/{id}"): {"alice", "bob"},  # not the admin: no lists
    ("GET", "/v1/members/{id}/inbox"): SELF_ADMIN,
    ("GET", "/v1/members/{id}/sent"): SELF_ADMIN,
    ("GET", "/v1/members/{id}/notifications"): SELF_ADMIN,
    ("GET", "/v1/admin/clock"): ADMIN,
    ("POST", "/v1/admin/clock"): ADMIN,
    ("GET", "/v1/admin/audit"): ADMIN,
    ("POST", "/v1/webhooks"): ADMIN,
    ("GET", "/v1/webhooks"): ADMIN,
    ("GET", "/v1/webhooks/{id}"): ADMIN,
    ("PATCH", "/v1/webhooks/{id}"): ADMIN,
    ("DELETE", "/v1/webhooks/{id}"): ADMIN,
    ("GET", "/v1/webhooks/{id}/deliveries"): ADMIN,
    ("GET", "/v1/webhooks/{id}/deliveries/{delivery_id}"): ADMIN,
    ("POST", "/v1/webhooks/{id}/deliveries/{delivery_id}/retry"): ADMIN,
    ("POST", "/v1/webhooks/{id}/ping"): ADMIN,
}

_new_ids = (f"new{n}" for n in itertools.count())

BODIES = {
    ("POST", "/v1/members"): lambda: {"id": next(_new_ids), "name": "New"},
    ("PATCH", "/v1/members/{id}"): lambda: {"name": "Alice"},
    ("PUT", "/v1/members/{id}/subscription"): lambda: {"plan": "pro"},
    ("POST", "/v1/members/{id}/credits/adjustments"): lambda: {"amount": 1, "reason": "test"},
    ("POST", "/v1/messages"): lambda: {"from": "alice", "to": "bob", "body": "Hello"},
    ("POST", "/v1/messages/{id}/reply"): lambda: {"body": "Hi"},
    ("POST", "/v1/admin/clock"): lambda: {"advance_seconds": 60},
    ("POST", "/v1/webhooks"): lambda: {"url": "http://127.0.0.1:9/hook"},
    ("PATCH", "/v1/webhooks/{id}"): lambda: {"description": "changed"},
}


def test_every_route_has_a_who_row(app):
    assert api_routes(app) == sorted(WHO)


@pytest.fixture
def world(api, ctx):
    """alice (subscribed) has sent bob an InMail, heard by a webhook endpoint;
    carol is a bystander."""
    ctx.webhooks = replace(ctx.webhooks, allow_private=True)
    endpoint = api.ok("POST", "/v1/webhooks", 201, json={"url": "http://127.0.0.1:9/hook"})
    tokens = {}
    for member_id in ("alice", "bob", "carol"):
        api.member(member_id)
        tokens[member_id] = api.token(member_id)
    api.subscribe("alice")
    message = api.send("alice", "bob")
    deliveries = api.ok("GET", f"/v1/webhooks/{endpoint['id']}/deliveries")["deliveries"]
    return tokens, message["id"], endpoint["id"], deliveries[0]["id"]


@pytest.mark.parametrize(("method", "template"), sorted(WHO))
def test_who_may_call(api, ctx, world, method, template):
    tokens, message_id, endpoint_id, delivery_id = world
    subject = "alice"
    if template.startswith("/v1/messages/"):
        subject = str(message_id)
    elif template.startswith("/v1/webhooks/"):
        subject = endpoint_id
    path = template.replace("{id}", subject).replace("{a}", "alice").replace("{b}", "bob")
    path = path.replace("{delivery_id}", str(delivery_id))
    body = BODIES.get((method, template))
    callers = {"anonymous": None, "bad token": "im_not-a-token", **tokens, "admin": "ADMIN"}
    allowed = WHO[(method, template)]
    for caller, token in callers.items():
        kwargs = {"json": body()} if body else {}
        if token == "ADMIN":
            response = api.call(method, path, **kwargs)
        else:
            before = snapshot(ctx)
            response = api.call(method, path, token=token, **kwargs)
        if caller in allowed:
            assert response.status_code < 400, (caller, response.text)
            continue
        if token is None or caller == "bad token":
            if "anonymous" in allowed:
                assert response.status_code < 400, (caller, response.text)
                continue
            assert_problem(response, 401, "unauthorized")
        else:
            assert_problem(response, 403, "forbidden")
        assert snapshot(ctx) == before, f"{caller} was refused but changed something"


def test_wrong_scheme_or_empty_token_is_unauthorized(api):
    for header in ("Basic YWRtaW46YWRtaW4=", "Bearer", "Bearer ", "test-admin-token-0123456789"):
        response = api.call("GET", "/v1/admin/clock", token=None, headers={"Authorization": header})
        assert_problem(response, 401, "unauthorized")


def test_no_admin_token_configured_means_no_admin(ctx):
    from fastapi.testclient import TestClient

    from inmail.api import create_app
    from inmail.config import Settings
    from tests.api.conftest import Api

    with TestClient(create_app(ctx, Settings(admin_token=None))) as client:
        api = Api(client)
        assert_problem(api.get("/v1/admin/clock", token=""), 401, "unauthorized")
        assert_problem(api.get("/v1/admin/clock", token="None"), 401, "unauthorized")


def test_a_member_reads_no_one_else_even_missing_ones(api, world):
    tokens, *_ = world
    # "not yours" is 403 whether or not the member exists: no probing of ids
    assert_problem(api.get("/v1/members/zoe", token=tokens["carol"]), 403, "forbidden")
    assert_problem(api.get("/v1/members/alice", token=tokens["carol"]), 403, "forbidden")


def test_a_member_may_not_read_a_message_that_does_not_exist(api, world):
    tokens, *_ = world
    assert_problem(api.get("/v1/messages/999", token=tokens["carol"]), 404, "not-found")
