"""The OpenAPI document: every route's error answers, as problem+json."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from inmail.api.errors import PROBLEM_MEDIA_TYPE
from inmail.api.schemas import Problem

DEFAULT_NOTES = {
    401: "`unauthorized`: no valid bearer token.",
    402: "`insufficient-credits`: an InMail needs a credit and the balance is 0.",
    403: "`forbidden`: this token may not do this.",
    404: "`not-found`: no such resource.",
    409: "`conflict`: the request conflicts with the current state.",
    413: "`content-too-large`: the body is over 64 KiB.",
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


def install_openapi(app: FastAPI) -> None:
    """Serve error answers as application/problem+json in the document, as
    they are on the wire (FastAPI would list them as application/json)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        schema = build()
        for path_item in schema.get("paths", {}).values():
            for operation in path_item.values():
                for status, response in operation.get("responses", {}).items():
                    content = response.get("content", {})
                    if str(status) >= "400" and "application/json" in content:
                        content[PROBLEM_MEDIA_TYPE] = content.pop("application/json")
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
