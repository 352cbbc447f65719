"""Problem details (RFC 9457): the one place where errors become HTTP answers.

The engine raises :class:`InmailError` subclasses whose ``code`` is the
contract's problem ``type``; this module gives each code its status and turns
every other failure (FastAPI's validation, unknown routes, crashes) into the
same ``application/problem+json`` shape.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import iter_route_contexts
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path

from inmail.api.plain_errors import describe
from inmail.domain.errors import InmailError

PROBLEM_MEDIA_TYPE = "application/problem+json"

log = logging.getLogger("inmail.api")


class Unauthorized(InmailError):
    """Send a valid token as `Authorization: Bearer <token>`."""

    code = "unauthorized"


# The contract's codes first, then the HTTP-level ones it does not name.
STATUS: dict[str, int] = {
    "unauthorized": 401,
    "forbidden": 403,
    "not-found": 404,
    "validation-error": 422,
    "conflict": 409,
    "insufficient-credits": 402,
    "no-active-subscription": 403,
    "recipient-opted-out": 403,
    "idempotency-conflict": 409,
    "clock-not-manual": 409,
    "rate-limited": 429,
    "bad-request": 400,
    "method-not-allowed": 405,
    "content-too-large": 413,
    "internal-error": 500,
}

TITLES: dict[str, str] = {
    "unauthorized": "Unauthorized",
    "forbidden": "Forbidden",
    "not-found": "Not found",
    "validation-error": "Validation error",
    "conflict": "Conflict",
    "insufficient-credits": "Insufficient credits",
    "no-active-subscription": "No active subscription",
    "recipient-opted-out": "Recipient opted out",
    "idempotency-conflict": "Idempotency conflict",
    "clock-not-manual": "Clock not manual",
    "rate-limited": "Rate limited",
    "bad-request": "Bad request",
    "method-not-allowed": "Method not allowed",
    "content-too-large": "Content too large",
    "internal-error": "Internal error",
}

# Starlette's own HTTPExceptions (unknown route, wrong method, body too big).
_CODE_OF_STATUS = {status: code for code, status in reversed(STATUS.items())}


def problem(code: str, detail: str, status: int | None = None) -> dict[str, Any]:
    status = status or STATUS.get(code, 500)
    return {"type": code, "title": TITLES.get(code, "Error"), "status": status, "detail": detail}


def problem_of(exc: InmailError) -> dict[str, Any]:
    """The problem body of an engine error; a code with no status here (a
    plans file error, say) is a server fault, so 500."""
    if exc.code not in STATUS:
        return problem("internal-error", "An unexpected error occurred.")
    return problem(exc.code, exc.detail)


def problem_response(body: dict[str, Any], headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(
        body, status_code=body["status"], media_type=PROBLEM_MEDIA_TYPE, headers=headers
    )


def problem_json(body: dict[str, Any]) -> str:
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False)


async def _on_inmail_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, InmailError)
    body = problem_of(exc)
    if body["status"] >= 500:
        log.error("engine error %s on %s %s", exc.code, request.method, request.url.path)
    return problem_response(body)


async def _on_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return problem_response(problem("validation-error", describe(exc.errors())))


def _methods_by_path(app: FastAPI) -> list[tuple[re.Pattern[str], set[str]]]:
    """Each route's path pattern and methods, read once per app."""
    table = getattr(app.state, "methods_by_path", None)
    if table is None:
        table = [
            (compile_path(rc.path)[0], set(rc.methods or ()))
            for rc in iter_route_contexts(app.routes)
        ]
        app.state.methods_by_path = table
    return table


def allowed_methods(request: Request) -> str:
    """Every method the request's path answers, for a 405's Allow header
    (Starlette names only those of the first route that matched the path)."""
    methods: set[str] = set()
    for pattern, route_methods in _methods_by_path(request.app):
        if pattern.match(request.url.path):
            methods |= route_methods
    return ", ".join(sorted(methods))


def _browser_page(request: Request) -> bool:
    """A browser asking for a page: it accepts HTML and the path is not the
    API's (under /v1 every answer is problem+json, whatever is accepted)."""
    path = request.url.path
    api = path == "/v1" or path.startswith("/v1/")
    return not api and "text/html" in request.headers.get("accept", "")


async def _on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    code = _CODE_OF_STATUS.get(exc.status_code, "bad-request")
    headers = exc.headers
    if exc.status_code == 405:
        headers = {**(headers or {}), "Allow": allowed_methods(request)}
        return problem_response(
            problem(code, f"{request.method} is not allowed here; use {headers['Allow']}"),
            headers=headers,
        )
    detail = exc.detail if isinstance(exc.detail, str) else json.dumps(exc.detail)
    if exc.status_code == 404 and detail == "Not Found":  # Starlette's: no such route
        page = getattr(request.app.state, "not_found_page", None)
        if page is not None and _browser_page(request):
            return page(request)
        detail = f"no route {request.method} {request.url.path}"
    if exc.status_code == 400 and detail == "There was an error parsing the body":
        # FastAPI's answer to a body that is not UTF-8: a body the contract
        # refuses as 422 validation-error, like any other body it cannot read.
        body = problem("validation-error", "body: the request body is not valid UTF-8 JSON")
        return problem_response(body)
    return problem_response(problem(code, detail, exc.status_code), headers=exc.headers)


async def _on_crash(request: Request, exc: Exception) -> JSONResponse:
    # Starlette logs the traceback and re-raises after this answer is sent;
    # the body names nothing internal.
    return problem_response(problem("internal-error", "An unexpected error occurred."))


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(InmailError, _on_inmail_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    app.add_exception_handler(Exception, _on_crash)
