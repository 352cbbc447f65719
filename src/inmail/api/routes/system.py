"""Health, metrics and the plans: open to anyone."""

from __future__ import annotations

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST

from inmail.api.deps import CtxDep, MetricsDep
from inmail.api.schemas import Health, PlanOut

router = APIRouter(tags=["system"])


@router.get("/healthz", summary="Liveness")
async def get_health() -> Health:
    """Who: anyone. The process answers; it does not touch the database, so a
    load balancer never takes every instance out for one slow query."""
    return Health(status="ok")


@router.head("/healthz", include_in_schema=False)
async def healthz_head() -> Response:
    """A load balancer's HEAD check: the same answer without a body."""
    return Response(status_code=200)


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {}}, "description": "Prometheus text format."}},
)
def get_metrics(metrics: MetricsDep) -> Response:
    """Who: anyone. Requests, latencies, due events processed here, and the
    ledger's credits spent, refunded and forfeited (read at scrape time)."""
    return Response(metrics.render(), media_type=CONTENT_TYPE_LATEST)


@router.get("/v1/plans", summary="The plans")
async def list_plans(ctx: CtxDep) -> list[PlanOut]:
    """Who: anyone."""
    return [PlanOut.of(plan) for plan in ctx.plans.values()]
