"""What the app was built with, as dependencies: the engine's Context, the
Settings and the app's metrics live on ``app.state`` (one set per app, so a
test can build many apps side by side)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Query, Request
from pydantic import AfterValidator

from inmail.api.metrics import Metrics
from inmail.api.types import storable
from inmail.config import Settings
from inmail.service.context import Context
from inmail.service.paging import DEFAULT_LIMIT, MAX_LIMIT


async def get_ctx(request: Request) -> Context:
    ctx: Context = request.app.state.ctx
    return ctx


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_metrics(request: Request) -> Metrics:
    metrics: Metrics = request.app.state.metrics
    return metrics


CtxDep = Annotated[Context, Depends(get_ctx)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
MetricsDep = Annotated[Metrics, Depends(get_metrics)]

# Path parameters keep the contract's names ({id}, {a}, {b}).
MemberId = Annotated[str, Path(alias="id", description="A member id."), AfterValidator(storable)]
# Message ids are 64-bit integers; a larger one could only fail in the database.
MessageId = Annotated[int, Path(alias="id", ge=1, le=2**63 - 1, description="A message id.")]

Limit = Annotated[
    int,
    Query(ge=1, le=MAX_LIMIT, description=f"At most this many items (1 to {MAX_LIMIT})."),
]

__all__ = [
    "DEFAULT_LIMIT",
    "CtxDep",
    "Limit",
    "MemberId",
    "MessageId",
    "MetricsDep",
    "SettingsDep",
]
