"""Fixtures for the HTTP tests: an app on the test's fresh database (the
``ctx`` fixture: manual clock at START, audit at teardown) and a small client
that speaks as the admin unless told otherwise."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import select

from inmail.api import create_app
from inmail.config import Settings
from inmail.service.context import Context
from inmail.store.tables import metadata

ADMIN_TOKEN = "test-admin-token-0123456789"
PROBLEM_KEYS = {"type", "title", "status", "detail"}


class Api:
    """A TestClient with the contract's set-up steps as one-liners."""

    def __init__(self, client: TestClient) -> None:
        self.client = client

    def call(self, method: str, path: str, token: str | None = ADMIN_TOKEN, **kwargs: Any):
        headers = dict(kwargs.pop("headers", {}))
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        return self.client.request(method, path, headers=headers, **kwargs)

    def get(self, path: str, **kwargs: Any):
        return self.call("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any):
        return self.call("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any):
        return self.call("PUT", path, **kwargs)

    def patch(self, path: str, **kwargs: Any):
        return self.call("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any):
        return self.call("DELETE", path, **kwargs)

    def ok(self, method: str, path: str, status: int = 200, **kwargs: Any) -> Any:
        response = self.call(method, path, **kwargs)
        assert response.status_code == status, response.text
        return response.json() if response.content else None

    # -- set-up ---------------------------------------------------------------

    def member(self, member_id: str, **fields: Any) -> dict[str, Any]:
        body = {"id": member_id, "name": member_id.title(), **fields}
        return self.ok("POST", "/v1/members", 201, json=body)

    def token(self, member_id: str) -> str:
        return self.ok("POST", f"/v1/members/{member_id}/tokens", 201)["token"]

    def subscribe(self, member_id: str, plan: str = "pro", **fields: Any) -> dict[str, Any]:
        return self.ok(
            "PUT", f"/v1/members/{member_id}/subscription", json={"plan": plan, **fields}
        )

    def connect(self, a: str, b: str) -> None:
        self.ok("PUT", f"/v1/members/{a}/connections/{b}", 204)

    def send(self, sender: str, to: str, body: str = "Hello", **fields: Any) -> dict[str, Any]:
        message = {"from": sender, "to": to, "body": body, **fields}
        return self.ok("POST", "/v1/messages", 201, json=message)

    def reply(self, message_id: int, **body: Any) -> dict[str, Any]:
        return self.ok("POST", f"/v1/messages/{message_id}/reply", 201, json=body)

    def credits(self, member_id: str) -> dict[str, Any]:
        return self.ok("GET", f"/v1/members/{member_id}/credits")

    def advance(self, seconds: float) -> dict[str, Any]:
        return self.ok("POST", "/v1/admin/clock", json={"advance_seconds": seconds})


def assert_problem(response: Any, status: int, type_: str) -> dict[str, Any]:
    """The answer is an RFC 9457 problem of this status and type."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert set(body) == PROBLEM_KEYS, body
    assert body["type"] == type_ and body["status"] == status, body
    assert isinstance(body["title"], str) and isinstance(body["detail"], str)
    return body


def snapshot(ctx: Context) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, to show that a refused request changed nothing."""
    with ctx.database.transaction(write=False) as conn:
        return {
            table.name: sorted(
                (tuple(map(repr, row)) for row in conn.execute(select(table))), key=repr
            )
            for table in metadata.sorted_tables
        }


def api_routes(app: FastAPI) -> list[tuple[str, str]]:
    """(method, path) of every API route the app serves, from its own route
    table (FastAPI 0.16x keeps included routers as branches; older versions
    list APIRoutes directly). The web pages stay out of the schema, and out
    of this list."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # pragma: no cover - older FastAPI
        routes: list[Any] = [r for r in app.routes if isinstance(r, APIRoute)]
    else:
        routes = [
            rc for rc in iter_route_contexts(app.routes) if isinstance(rc.original_route, APIRoute)
        ]
    return sorted(
        (method, route.path)
        for route in routes
        if route.include_in_schema
        for method in route.methods
        if method != "HEAD"
    )


@pytest.fixture
def settings() -> Settings:
    return Settings(admin_token=ADMIN_TOKEN)


@pytest.fixture
def app(ctx: Context, settings: Settings) -> FastAPI:
    return create_app(ctx, settings)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def api(client: TestClient) -> Api:
    return Api(client)
