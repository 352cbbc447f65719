"""The webhook routes of API.md section 5, as an operator's platform calls them."""

from __future__ import annotations

import base64
from dataclasses import replace

import pytest

from inmail.service import delivery
from tests.api.conftest import assert_problem, snapshot
from tests.webhook_receiver import Receiver


@pytest.fixture
def receiver(ctx):
    ctx.webhooks = replace(ctx.webhooks, allow_private=True)
    found = Receiver().start()
    yield found
    found.stop()


def deliver(ctx) -> int:
    with delivery.new_client() as client:
        return delivery.deliver_due(ctx, client)


def test_the_secret_is_in_the_first_answer_only(api, ctx, receiver):
    created = api.ok(
        "POST", "/v1/webhooks", 201, json={"url": receiver.url, "description": "billing"}
    )
    secret = created["secret"]
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"))) >= 24
    assert created["events"] is None and created["enabled"] is True
    endpoint = created["id"]

    answers = [
        api.ok("GET", "/v1/webhooks"),
        api.ok("GET", f"/v1/webhooks/{endpoint}"),
        api.ok("PATCH", f"/v1/webhooks/{endpoint}", json={"description": "billing v2"}),
        api.ok("GET", f"/v1/webhooks/{endpoint}/deliveries"),
    ]
    for answer in answers:
        assert secret not in str(answer)
        assert "secret" not in str(answer)
    # Nor is it anywhere in the database in clear.
    assert secret not in str(snapshot(ctx))

    # The receiver verifies a ping with that secret.
    receiver.secret = secret
    assert api.post(f"/v1/webhooks/{endpoint}/ping").status_code == 202
    deliver(ctx)
    (ping,) = receiver.received
    assert ping.event["type"] == "ping" and ping.event["member_id"] is None
    assert receiver.bad_signatures == 0


def test_deliveries_are_listed_with_their_attempts_and_retried(api, ctx, receiver):
    body = {"url": receiver.url, "events": ["ledger_entry"]}
    created = api.ok("POST", "/v1/webhooks", 201, json=body)
    receiver.secret = created["secret"]
    endpoint = created["id"]
    receiver.answers = [500]
    api.ok("POST", f"/v1/webhooks/{endpoint}/ping", 202)
    deliver(ctx)

    (pending,) = api.ok("GET", f"/v1/webhooks/{endpoint}/deliveries?status=pending")[
        "deliveries"
    ]
    assert pending["type"] == "ping" and pending["attempts"] == 1
    assert pending["last_status_code"] == 500 and pending["last_error"] == "HTTP 500"
    assert pending["next_attempt_at"] == "2026-01-15T09:30:05Z"  # 5 s later by the service clock
    assert api.ok("GET", f"/v1/webhooks/{endpoint}/deliveries?status=delivered")[
        "deliveries"
    ] == []

    assert api.post(f"/v1/webhooks/{endpoint}/deliveries/{pending['id']}/retry").status_code == 202
    deliver(ctx)  # now, not in 5 s
    shown = api.ok("GET", f"/v1/webhooks/{endpoint}/deliveries/{pending['id']}")
    assert shown["status"] == "delivered" and shown["attempts"] == 2
    assert [a["status_code"] for a in shown["attempt_log"]] == [500, 200]
    assert shown["attempt_log"][0]["error"] == "HTTP 500"
    assert len({r.webhook_id for r in receiver.received}) == 1


def test_bad_endpoints_are_refused_and_change_nothing(api, ctx):
    before = snapshot(ctx)
    for body in (
        {"url": "http://127.0.0.1:8000/hook"},
        {"url": "http://localhost/hook"},
        {"url": "http://169.254.169.254/latest"},
        {"url": "http://10.1.2.3/hook"},
    ):
        problem = assert_problem(api.post("/v1/webhooks", json=body), 422, "validation-error")
        assert "INMAIL_WEBHOOK_ALLOW_PRIVATE" in problem["detail"]
    for body in (
        {"url": "ftp://example.com/"},
        {"url": "https://example.com/", "events": ["no_such_event"]},
        {"url": "https://example.com/", "events": []},
    ):
        assert_problem(api.post("/v1/webhooks", json=body), 422, "validation-error")
    assert snapshot(ctx) == before


def test_unknown_endpoints_and_deliveries_are_404(api, ctx, receiver):
    missing = "ep_0123456789abcdef"
    assert_problem(api.get(f"/v1/webhooks/{missing}/deliveries"), 404, "not-found")
    assert_problem(api.post(f"/v1/webhooks/{missing}/ping"), 404, "not-found")
    assert_problem(api.delete(f"/v1/webhooks/{missing}"), 404, "not-found")
    endpoint = api.ok("POST", "/v1/webhooks", 201, json={"url": receiver.url})["id"]
    assert_problem(api.get(f"/v1/webhooks/{endpoint}/deliveries/99"), 404, "not-found")
    assert_problem(api.post(f"/v1/webhooks/{endpoint}/deliveries/99/retry"), 404, "not-found")
    assert api.delete(f"/v1/webhooks/{endpoint}").status_code == 204
    assert api.ok("GET", "/v1/webhooks") == {"endpoints": []}


def test_patch_changes_the_filter_and_null_means_every_type(api, ctx, receiver):
    endpoint = api.ok("POST", "/v1/webhooks", 201, json={"url": receiver.url})["id"]
    changed = api.ok("PATCH", f"/v1/webhooks/{endpoint}", json={"events": ["ledger_entry"]})
    assert changed["events"] == ["ledger_entry"]
    assert api.ok("PATCH", f"/v1/webhooks/{endpoint}", json={"events": None})["events"] is None
    assert api.ok("PATCH", f"/v1/webhooks/{endpoint}", json={"enabled": False})["enabled"] is False


def test_metrics_count_deliveries_by_outcome_and_the_oldest_pending(api, ctx, receiver):
    created = api.ok("POST", "/v1/webhooks", 201, json={"url": receiver.url})
    receiver.secret = created["secret"]
    receiver.answers = [500]
    api.ok("POST", f"/v1/webhooks/{created['id']}/ping", 202)
    api.ok("POST", f"/v1/webhooks/{created['id']}/ping", 202)
    deliver(ctx)  # one delivered, one pending after a 500
    api.ok("POST", "/v1/admin/clock", json={"advance_seconds": 3})
    text = api.get("/metrics", token=None).text
    assert 'inmail_webhook_deliveries{status="pending"} 1.0' in text
    assert 'inmail_webhook_deliveries{status="delivered"} 1.0' in text
    assert 'inmail_webhook_deliveries{status="failed"} 0.0' in text
    assert "inmail_webhook_oldest_pending_seconds 3.0" in text
