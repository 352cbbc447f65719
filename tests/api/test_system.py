"""Health, metrics, plans, the problem shape of HTTP-level errors, and the
OpenAPI document."""

from __future__ import annotations

import re

import pytest

from tests.api.conftest import ADMIN_TOKEN, api_routes, assert_problem


def test_healthz(api):
    response = api.get("/healthz", token=None)
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_healthz_answers_head(api):
    response = api.call("HEAD", "/healthz", token=None)
    assert response.status_code == 200
    assert response.content == b""


def test_plans_are_the_configured_ones(api):
    assert api.get("/v1/plans", token=None).json() == [
        {"code": "pro", "name": "Pro", "monthly_credits": 20, "max_balance": 60},
        {"code": "teams", "name": "Teams", "monthly_credits": 30, "max_balance": 90},
        {"code": "enterprise", "name": "Enterprise", "monthly_credits": 50, "max_balance": 150},
    ]


def _sample(text: str, name: str, labels: str = "") -> float:
    for line in text.splitlines():
        if line.startswith(f"{name}{labels} "):
            return float(line.split()[-1])
    raise AssertionError(f"no sample {name}{labels} in metrics")


def test_metrics_count_requests_and_credits(api):
    api.member("alice")
    api.member("bob")
    api.subscribe("alice")
    sent = api.send("alice", "bob")
    api.send("alice", "bob", body="Again")
    api.reply(sent["id"], body="Hi")  # refunds both
    api.advance(3 * 86400)

    response = api.get("/metrics", token=None)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert _sample(text, "inmail_credits_spent_total") == 2
    assert _sample(text, "inmail_credits_refunded_total") == 2
    assert _sample(text, "inmail_credits_forfeited_total") == 0
    assert _sample(text, "inmail_database_up") == 1
    labels = '{method="POST",route="/v1/messages",status="201"}'
    assert _sample(text, "inmail_http_requests_total", labels) == 2
    assert 'inmail_http_request_duration_seconds_bucket{le="0.005",method="POST"' in text
    assert _sample(text, "inmail_due_events_processed_total", '{kind="accounts"}') >= 0


def test_metrics_show_the_due_lag(api, ctx, app):
    from datetime import timedelta

    from inmail.service.due import DueResult, move_clock
    from tests.conftest import START

    api.member("alice")
    api.subscribe("alice")
    assert _sample(api.get("/metrics").text, "inmail_due_lag_seconds") == 0
    move_clock(ctx, START + timedelta(days=32), process=False)  # as if no worker ran
    lag = _sample(api.get("/metrics").text, "inmail_due_lag_seconds")
    # the check for a cap-forfeit warning (7 days before the Feb 15 renewal)
    assert lag == timedelta(days=8).total_seconds()
    app.state.on_due(DueResult(accounts=3, pruned_keys=2))  # what inmail serve's worker calls
    text = api.get("/metrics").text
    assert _sample(text, "inmail_due_events_processed_total", '{kind="accounts"}') == 3
    assert _sample(text, "inmail_due_events_processed_total", '{kind="idempotency_keys"}') == 2


def test_metrics_see_forfeits(api):
    api.member("alice")
    api.subscribe("alice")
    api.ok("DELETE", "/v1/members/alice/subscription")
    api.advance(40 * 86400)
    assert _sample(api.get("/metrics").text, "inmail_credits_forfeited_total") == 20


def test_each_app_has_its_own_registry(app, ctx, settings):
    from inmail.api import create_app

    other = create_app(ctx, settings)
    assert other.state.metrics.registry is not app.state.metrics.registry


def test_unknown_route_is_a_problem(api):
    body = assert_problem(api.get("/v1/nowhere"), 404, "not-found")
    assert "/v1/nowhere" in body["detail"]
    assert_problem(api.get("/v1/plans/"), 404, "not-found")  # no redirect either


def test_wrong_method_is_a_problem(api):
    response = api.call("PATCH", "/v1/plans")
    assert_problem(response, 405, "method-not-allowed")
    assert "GET" in response.headers["allow"]


def test_a_405_allows_every_method_of_the_path(api, app):
    schema = api.get("/openapi.json", token=None).json()
    for path, item in schema["paths"].items():
        concrete = path.replace("{id}", "1").replace("{a}", "a").replace("{b}", "b")
        response = api.call("OPTIONS", concrete)
        assert_problem(response, 405, "method-not-allowed")
        allowed = {m.strip() for m in response.headers["allow"].split(",")}
        assert allowed - {"HEAD"} == {m.upper() for m in item}, path


def test_body_over_64_kib_is_refused(api, ctx):
    from tests.api.conftest import snapshot

    before = snapshot(ctx)
    big = {"id": "alice", "name": "x" * (64 * 1024)}
    body = assert_problem(api.post("/v1/members", json=big), 413, "content-too-large")
    assert "65536" in body["detail"]

    def chunks():  # no Content-Length: counted as it streams
        yield b'{"id": "alice", "name": "'
        for _ in range(70):
            yield b"x" * 1024
        yield b'"}'

    response = api.post(
        "/v1/members", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert_problem(response, 413, "content-too-large")
    assert snapshot(ctx) == before


def test_body_of_exactly_64_kib_is_read(api):
    padding = 64 * 1024 - len('{"id":"alice","name":""}')
    raw = '{"id":"alice","name":"' + "x" * padding + '"}'
    assert len(raw) == 64 * 1024
    response = api.post("/v1/members", content=raw, headers={"Content-Type": "application/json"})
    assert_problem(response, 422, "validation-error")  # read, then refused for the name


def test_openapi_documents_every_route_and_its_errors(app, api):
    schema = api.get("/openapi.json", token=None).json()
    operations = {
        (method.upper(), path): operation
        for path, item in schema["paths"].items()
        for method, operation in item.items()
    }
    routes = api_routes(app)
    assert sorted(operations) == routes
    assert len(routes) == 37  # every route of the contract, and two reads of one webhook
    for method, path in routes:
        operation = operations[(method, path)]
        assert operation["description"].startswith("Who: "), path
        statuses = {int(s) for s in operation["responses"] if s != "default"}
        if path not in ("/healthz", "/metrics", "/v1/plans"):
            assert 401 in statuses, (method, path)
            # Every route but the directory, which any valid token may read.
            assert 403 in statuses or (method, path) == ("GET", "/v1/members"), (method, path)
            assert operation["security"] == [{"HTTPBearer": []}]
        for status, response in operation["responses"].items():
            if int(status) >= 400:
                assert list(response["content"]) == ["application/problem+json"]
        if method == "POST":
            assert 409 in statuses
            assert any(p["name"] == "Idempotency-Key" for p in operation["parameters"])
    message = schema["components"]["schemas"]["MessageOut"]["properties"]
    assert {"from", "to"} <= set(message)
    send = schema["components"]["schemas"]["SendMessageIn"]["properties"]
    assert {"from", "to", "subject", "body"} == set(send)


def _referenced_urls(html: str) -> list[str]:
    """Every URL a page loads: src and href attributes, and the quoted URLs
    of its inline script (Swagger UI's `url: '/openapi.json'`)."""
    attributes = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", html)
    in_script = re.findall(r"""\burl\s*:\s*["']([^"']+)["']""", html)
    return attributes + in_script


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_docs_pages_need_no_internet(api, page):
    response = api.get(page, token=None)
    assert response.status_code == 200
    urls = _referenced_urls(response.text)
    assert any(url.endswith(".js") for url in urls), urls
    for url in urls:
        # Same origin: a path on this server, never another host.
        assert url.startswith("/") and not url.startswith("//"), url
        assert api.get(url, token=None).status_code == 200, url
    assert "swagger" in response.text.lower() or "redoc" in response.text.lower()


def test_admin_token_is_never_echoed(api):
    for response in (api.get("/openapi.json"), api.get("/metrics")):
        assert ADMIN_TOKEN not in response.text


def test_openapi_names_operations_enums_links_and_every_answer(ctx):
    from inmail.api import create_app
    from inmail.config import Settings

    app = create_app(ctx, Settings(admin_token=ADMIN_TOKEN, rate_limit="100/1s"))
    schema = app.openapi()
    operations = {
        op["operationId"]: (method, path, op)
        for path, item in schema["paths"].items()
        for method, op in item.items()
    }
    assert {"sendMessage", "getCredits", "replyToMessage", "listMembers"} <= set(operations)
    assert all(re.fullmatch(r"[a-z][A-Za-z]+", name) for name in operations)
    for _, _, op in operations.values():
        assert all(re.fullmatch(r"[a-z]+", tag) for tag in op["tags"])  # module names
        assert "413" in op["responses"]
        assert ("429" in op["responses"]) == bool(op.get("security"))
    components = schema["components"]["schemas"]
    assert components["ReplyIn"]["properties"]["quick_reply"]["enum"] == [
        "interested",
        "maybe_later",
        "not_interested",
    ]
    assert "cap_forfeit_warning" in components["NotificationOut"]["properties"]["kind"]["enum"]
    assert "insufficient-credits" in components["Problem"]["properties"]["type"]["enum"]
    assert components["SubscriptionPut"]["properties"]["plan"]["enum"] == [
        "pro",
        "teams",
        "enterprise",
    ]
    assert components["AdjustmentIn"]["properties"]["amount"]["not"] == {"const": 0}
    assert components["MemberCreate"]["properties"]["id"]["pattern"].startswith("^[a-z0-9]")
    created = operations["createMember"][2]["responses"]["201"]["links"]
    assert created["GetMember"]["operationId"] == "getMember"
    # Without a rate limit, no 429 is promised.
    plain = create_app(ctx, Settings(admin_token=ADMIN_TOKEN)).openapi()
    assert not any(
        "429" in op["responses"] for item in plain["paths"].values() for op in item.values()
    )


def test_a_whole_number_may_be_written_with_a_fraction_of_zero(api):
    api.member("alice")
    entry = api.ok(
        "POST", "/v1/members/alice/credits/adjustments", 201, json={"amount": 5.0, "reason": "r"}
    )
    assert entry["amount"] == 5
    response = api.post(
        "/v1/members/alice/credits/adjustments", json={"amount": 5.5, "reason": "r"}
    )
    assert_problem(response, 422, "validation-error")


def test_a_move_of_the_clock_takes_no_null(api):
    response = api.post("/v1/admin/clock", json={"advance_seconds": 5, "to": None})
    assert_problem(response, 422, "validation-error")
