"""The operator's routes: the clock and the audit."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Response

from inmail.api.auth import AdminOnly
from inmail.api.deps import CtxDep, MetricsDep
from inmail.api.idempotency import Idempotency, run_idempotent
from inmail.api.openapi import post_problems, problems
from inmail.api.schemas import AuditOut, CheckOut, ClockMoved, ClockMoveIn, ClockOut
from inmail.service import audit, due

router = APIRouter(prefix="/v1/admin", tags=["admin"])


@router.get("/clock", responses=problems(401, 403))
def get_clock(_: AdminOnly, ctx: CtxDep) -> ClockOut:
    """Who: admin."""
    return ClockOut(now=due.clock_now(ctx), mode="manual" if ctx.clock.manual else "system")


@router.post(
    "/clock",
    response_model=ClockMoved,
    responses=post_problems(
        401,
        403,
        413,
        422,
        s409="`clock-not-manual`: the clock is the system's.",
        s422="`validation-error`: a negative advance, a `to` in the past, a move over 100 years.",
    ),
)
def move_clock(
    body: ClockMoveIn, _: AdminOnly, idem: Idempotency, ctx: CtxDep, metrics: MetricsDep
) -> Response:
    """Who: admin. Only with the manual clock. Answers once every event due
    up to the new time has been processed, in due-time order."""

    def move() -> ClockMoved:
        # The move is stored with its idempotent answer; the due events are
        # processed after that commits (inside the answer's transaction they
        # would read the old time).
        advance = timedelta(seconds=body.advance_seconds or 0)
        return ClockMoved(now=due.move_clock(ctx, body.to, advance=advance, process=False))

    response = run_idempotent(ctx, idem, move, status_code=200)
    if response.status_code == 200:
        # Also on a replay: run_due is idempotent, and a retry after a crash
        # between the move and the processing must still answer processed.
        metrics.record_due(due.run_until_done(ctx))
    return response


@router.get("/audit", responses=problems(401, 403))
def get_audit(_: AdminOnly, ctx: CtxDep) -> AuditOut:
    """Who: admin. The ledger's invariants; `ok` is false if any check fails."""
    report = audit.audit(ctx)
    return AuditOut(ok=report.ok, checks=[CheckOut.of(check) for check in report.checks])
