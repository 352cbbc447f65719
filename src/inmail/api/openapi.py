"""The OpenAPI document: every route's error answers as problem+json, the
answers every route may give (413, and 429 when rate limits are on), the
plans of this deployment, readable operation ids and the links from a
created resource to where it can be read."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute

from inmail.api.errors import PROBLEM_MEDIA_TYPE
from inmail.api.schemas import Problem

DEFAULT_NOTES = {
    401: "`unauthorized`: no valid bearer token.",
    402: "`insufficient-credits`: an InMail needs a credit and the balance is 0.",
    403: "`forbidden`: this token may not do this.",
    404: "`not-found`: no such resource.",
    409: "`conflict`: the request conflicts with the current state.",
    413: "`content-too-large`: the body is over 64 KiB.",
    429: "`rate-limited`: over this token's request rate; retry after `Retry-After` seconds.",
    422: "`validation-error`: the request is not valid.",
}
IDEMPOTENCY_NOTE = "`idempotency-conflict`: this Idempotency-Key was used for another request."


def problems(*statuses: int, **notes: str) -> dict[int | str, dict[str, Any]]:
    """The ``responses`` of a route: each status with a problem body. ``notes``
    (keyed ``s403`` and so on) replace the default description of a status."""
    return {
        status: {"model": Problem, "description": notes.get(f"s{status}", DEFAULT_NOTES[status])}
        for status in statuses
    }


def post_problems(*statuses: int, **notes: str) -> dict[int | str, dict[str, Any]]:
    """As :func:`problems`, for a POST: it takes an Idempotency-Key, so 409 may
    also be an idempotency conflict."""
    conflict = notes.pop("s409", None)
    notes["s409"] = f"{conflict} Or {IDEMPOTENCY_NOTE}" if conflict else IDEMPOTENCY_NOTE
    return problems(*sorted({*statuses, 409}), **notes)


def operation_id(route: APIRoute) -> str:
    """The route function's name in camelCase: `sendMessage`, `getCredits`."""
    first, *rest = route.name.split("_")
    return first + "".join(word.capitalize() for word in rest)


# A created resource, and the operation that reads it (for clients and for
# Schemathesis' stateful runs): (creating operation, status) -> links.
LINKS: dict[tuple[str, str], dict[str, dict[str, Any]]] = {
    ("createMember", "201"): {
        "GetMember": {"operationId": "getMember", "parameters": {"id": "$response.body#/id"}}
    },
    ("sendMessage", "201"): {
        "GetMessage": {"operationId": "getMessage", "parameters": {"id": "$response.body#/id"}},
    },
    ("replyToMessage", "201"): {
        "GetMessage": {"operationId": "getMessage", "parameters": {"id": "$response.body#/id"}},
    },
    ("putSubscription", "200"): {
        "GetSubscription": {
            "operationId": "getSubscription",
            "parameters": {"id": "$request.path.id"},
        }
    },
    ("issueToken", "201"): {
        "GetMember": {"operationId": "getMember", "parameters": {"id": "$request.path.id"}}
    },
}
RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}}}


def _problem_response(note: str) -> dict[str, Any]:
    return {
        "description": note,
        "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }


def install_openapi(app: FastAPI, plan_codes: list[str], *, rate_limited: bool) -> None:
    """Serve error answers as application/problem+json in the document, as
    they are on the wire (FastAPI would list them as application/json), and
    add what no single route states."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = build()
        for path_item in schema.get("paths", {}).values():
            for operation in path_item.values():
                responses = operation.setdefault("responses", {})
                for status, response in responses.items():
                    content = response.get("content", {})
                    if str(status) >= "400" and "application/json" in content:
                        content[PROBLEM_MEDIA_TYPE] = content.pop("application/json")
                # Any request may declare a body over the limit.
                responses.setdefault("413", _problem_response(DEFAULT_NOTES[413]))
                if rate_limited and operation.get("security"):
                    limited = _problem_response(DEFAULT_NOTES[429])
                    responses.setdefault("429", {**limited, "headers": RETRY_AFTER})
                for (operation_id, status), links in LINKS.items():
                    if operation.get("operationId") == operation_id and status in responses:
                        responses[status]["links"] = links
        # The plans are this deployment's (its plans file), so the document says which.
        plan = schema["components"]["schemas"]["SubscriptionPut"]["properties"]["plan"]
        plan["enum"] = plan_codes
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
