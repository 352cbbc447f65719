"""``Idempotency-Key`` on every POST.

The key is scoped to the caller's token. The first answer (status and body)
is stored in the same transaction as the effect: the use case runs inside
this module's unit of work (joining it as a savepoint), so either both the
effect and the answer are committed or neither is. A 4xx answer is stored too,
with its effect rolled back by the savepoint; a 5xx is not stored, so a retry
runs again. The same key with another method, path or JSON body (compared as
parsed JSON) is 409 ``idempotency-conflict``.

Like Stripe, only requests that reached the use case are kept: one refused
for its token (401/403) or its shape (422 from FastAPI's own validation) stores
nothing, so fixing the body and retrying with the same key works.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Header, Request, Response
from pydantic import BaseModel
from sqlalchemy import Connection, insert, select, update
from sqlalchemy.exc import IntegrityError

from inmail.api.auth import CurrentCaller
from inmail.api.errors import PROBLEM_MEDIA_TYPE, IdempotencyConflict, problem_json, problem_of
from inmail.api.sealing import seal, unseal
from inmail.domain.errors import InmailError
from inmail.service.context import Context, Work
from inmail.service.tokens import hash_token
from inmail.store.tables import idempotency_keys

KEY_MAX = 255  # the column's length
KEY_PATTERN = r"^[\x21-\x7e]+$"  # visible ASCII: what any client can send and log
REPLAYED_HEADER = "Idempotent-Replayed"


@dataclass(frozen=True)
class IdempotentRequest:
    key: str | None
    token: str
    request_hash: str

    @property
    def scope(self) -> str:
        return hash_token(self.token)


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
    with ctx.unit_of_work() as work:
        stored = _find(work.conn, idem) or _claim(work, idem)
        if stored is not None:
            return _replay(idem, stored)
        try:
            with work.conn.begin_nested():
                status, body = status_code, _dump(call())
        except InmailError as exc:
            problem = problem_of(exc)
            if problem["status"] >= 500:
                raise
            status, body = problem["status"], problem_json(problem)
        work.conn.execute(
            update(idempotency_keys)
            .where(*_this_key(idem))
            .values(status=status, body=seal(idem.token, body))
        )
    return _answer(status, body)


def _dump(model: BaseModel) -> str:
    return model.model_dump_json(by_alias=True)


def _answer(status: int, body: str, headers: dict[str, str] | None = None) -> Response:
    media_type = PROBLEM_MEDIA_TYPE if status >= 400 else "application/json"
    return Response(content=body, status_code=status, media_type=media_type, headers=headers)


def _this_key(idem: IdempotentRequest) -> list[Any]:
    c = idempotency_keys.c
    return [c.token_hash == idem.scope, c.key == idem.key]


def _find(conn: Connection, idem: IdempotentRequest) -> Any:
    return conn.execute(select(idempotency_keys).where(*_this_key(idem))).mappings().first()


def _claim(work: Work, idem: IdempotentRequest) -> Any:
    """Take the key for this request, or return the row of the request that
    took it first. On PostgreSQL a concurrent request with the same key waits
    here on the primary key until the first commits (then replays its answer)
    or rolls back (then runs itself)."""
    try:
        with work.conn.begin_nested():
            work.conn.execute(
                insert(idempotency_keys).values(
                    token_hash=idem.scope,
                    key=idem.key,
                    request_hash=idem.request_hash,
                    status=0,  # replaced by the answer before this commits
                    body="",
                    created_at=work.now,
                )
            )
    except IntegrityError:
        return _find(work.conn, idem)
    return None


def _replay(idem: IdempotentRequest, row: Any) -> Response:
    if row["request_hash"] != idem.request_hash:
        raise IdempotencyConflict(
            f"Idempotency-Key {idem.key!r} was first used with another method, path or body"
        )
    return _answer(row["status"], unseal(idem.token, row["body"]), {REPLAYED_HEADER: "true"})
