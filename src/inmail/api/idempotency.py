"""``Idempotency-Key`` on every POST: the header, the request's hash, and
the answer as HTTP. Storing and replaying is the service's
(:mod:`inmail.service.idempotency`).

The key is scoped to the caller's token. The same key with another method,
path or JSON body (compared as parsed JSON) is 409 ``idempotency-conflict``.
A 4xx answer is kept; a 5xx is not, so a retry runs again.

Like Stripe, only requests that reached the use case are kept: one refused
for its token (401/403) or its shape (422 from FastAPI's own validation) stores
nothing, so fixing the body and retrying with the same key works.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, Request, Response
from pydantic import BaseModel

from inmail.api.auth import CurrentCaller
from inmail.api.errors import PROBLEM_MEDIA_TYPE, problem_json, problem_of
from inmail.domain.errors import InmailError
from inmail.service import idempotency
from inmail.service.context import Context

KEY_MAX = 255  # the column's length
KEY_PATTERN = r"^[\x21-\x7e]+$"  # visible ASCII: what any client can send and log
REPLAYED_HEADER = "Idempotent-Replayed"


@dataclass(frozen=True)
class IdempotentRequest:
    key: str | None
    token: str
    request_hash: str


def request_hash(method: str, path: str, body: bytes) -> str:
    """The request as the contract compares it: method, path, parsed JSON."""
    try:
        parsed = json.loads(body) if body else None
        canonical = json.dumps(parsed, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    except (ValueError, RecursionError):
        canonical = body.hex()  # not JSON: the route refuses it, compare bytes
    return hashlib.sha256(f"{method} {path}\n{canonical}".encode()).hexdigest()


async def idempotent_request(
    request: Request,
    caller: CurrentCaller,
    key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            min_length=1,
            max_length=KEY_MAX,
            pattern=KEY_PATTERN,
            description="Replays the first answer to the same request with this key"
            " (1 to 255 visible ASCII characters).",
        ),
    ] = None,
) -> IdempotentRequest:
    body = await request.body() if key is not None else b""
    return IdempotentRequest(
        key, caller.token, request_hash(request.method, request.url.path, body)
    )


Idempotency = Annotated[IdempotentRequest, Depends(idempotent_request)]


def run_idempotent(
    ctx: Context, idem: IdempotentRequest, call: Callable[[], BaseModel], *, status_code: int
) -> Response:
    """Answer ``call()`` with ``status_code``, or replay the stored answer."""
    if idem.key is None:
        return _answer(status_code, _dump(call()))
    answer = idempotency.run_once(
        ctx,
        token=idem.token,
        key=idem.key,
        request_hash=idem.request_hash,
        call=lambda: idempotency.Answer(status_code, _dump(call())),
        refusal=_refusal,
    )
    headers = {REPLAYED_HEADER: "true"} if answer.replayed else None
    return _answer(answer.status, answer.body, headers)


def _refusal(exc: InmailError) -> idempotency.Answer | None:
    """A 4xx problem is the answer to keep; a 5xx is not kept."""
    problem = problem_of(exc)
    if problem["status"] >= 500:
        return None
    return idempotency.Answer(problem["status"], problem_json(problem))


def _dump(model: BaseModel) -> str:
    return model.model_dump_json(by_alias=True)


def _answer(status: int, body: str, headers: dict[str, str] | None = None) -> Response:
    media_type = PROBLEM_MEDIA_TYPE if status >= 400 else "application/json"
    return Response(content=body, status_code=status, media_type=media_type, headers=headers)
