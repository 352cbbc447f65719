"""Idempotent requests: the first answer to a client's key is stored in the
same transaction as the effect, and the same request with the same key gets
it again (also after a restart); the key with another request is refused.

The use case runs inside this module's unit of work, joining it as a
savepoint, so either both the effect and the answer are committed or neither
is. A refusal (4xx) is stored too, with its effect rolled back by the
savepoint; a failure the caller does not turn into an answer (a 5xx) is not
stored, so a retry runs again. Stored answers are sealed with the caller's
token (:mod:`inmail.service.sealing`). Keys are kept for a retention window
of wall time (not the service's clock: moving a manual clock a month ahead
must not turn a client's retry into a second effect), then pruned by the
worker.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from inmail.clock import utcnow
from inmail.domain.errors import IdempotencyConflict, InmailError
from inmail.service.context import Context
from inmail.service.sealing import seal, unseal
from inmail.service.tokens import hash_token
from inmail.store import idempotency as store


@dataclass(frozen=True)
class Answer:
    status: int
    body: str
    replayed: bool = False


def run_once(
    ctx: Context,
    *,
    token: str,
    key: str,
    request_hash: str,
    call: Callable[[], Answer],
    refusal: Callable[[InmailError], Answer | None],
) -> Answer:
    """``call()``'s answer, stored under (``token``, ``key``), or the one
    stored before. ``refusal`` turns an engine error into the answer to keep
    (None: not kept, the error propagates)."""
    scope = hash_token(token)
    with ctx.unit_of_work() as work:
        if not store.claim(work.conn, scope, key, request_hash, utcnow()):
            stored = store.find(work.conn, scope, key)
            if stored["request_hash"] != request_hash:
                raise IdempotencyConflict(
                    f"Idempotency-Key {key!r} was first used with another method, path or body"
                )
            return Answer(stored["status"], unseal(token, stored["body"]), replayed=True)
        try:
            with work.conn.begin_nested():
                answer = call()
        except InmailError as exc:
            kept = refusal(exc)
            if kept is None:
                raise
            answer = kept
        store.record(work.conn, scope, key, answer.status, seal(token, answer.body))
    return answer


def prune(ctx: Context, *, limit: int) -> int:
    """Forget up to ``limit`` keys older than the retention window."""
    with ctx.unit_of_work() as work:
        return store.prune(work.conn, utcnow() - ctx.idempotency_retention, limit)
