"""Request bodies over 64 KiB are refused with a 413 problem.

A declared Content-Length over the limit is refused before any route runs
(so a route that never reads its body cannot act on such a request either);
a body sent without one is counted as it streams in, and the route that
reads it past the limit fails with the same 413 before it has done anything.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from inmail.api.errors import problem, problem_response

MAX_BODY_BYTES = 64 * 1024


def _too_large(limit: int) -> str:
    return f"request bodies are limited to {limit} bytes"


class BodyTooLarge(HTTPException):
    # An HTTPException so FastAPI's body reading re-raises it as it is and the
    # app's handler answers it as a problem.
    def __init__(self, limit: int) -> None:
        super().__init__(status_code=413, detail=_too_large(limit))


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            response = problem_response(problem("content-too-large", _too_large(self.max_bytes)))
            await response(scope, receive, send)
            return
        seen = 0

        async def counted_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
            return message

        await self.app(scope, counted_receive, send)
