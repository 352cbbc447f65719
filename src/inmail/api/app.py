"""The app factory: ``create_app(ctx, settings)``.

Everything an app needs is passed in or hangs off ``app.state`` (the engine's
Context, the Settings, a metrics registry of its own), so any number of apps
can live in one process, on one database or several.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from importlib.metadata import PackageNotFoundError, version

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline

from inmail.api.errors import install_error_handlers
from inmail.api.limits import MAX_BODY_BYTES, BodyLimitMiddleware
from inmail.api.metrics import Metrics, MetricsMiddleware
from inmail.api.openapi import install_openapi, operation_id
from inmail.api.ratelimit import RateLimitMiddleware, parse_rate_limit
from inmail.api.routes import ROUTERS
from inmail.config import Settings
from inmail.service.context import Context

DESCRIPTION = """\
Paid outreach credits, InMail style. JSON over HTTP under `/v1`; times are
RFC 3339 in UTC with `Z`; errors are RFC 9457 `application/problem+json`.

Authenticate with `Authorization: Bearer <token>`: the admin token acts for
any member, a member token only as its member. Every `POST` takes an
`Idempotency-Key` header (scoped to the token) that replays the first answer.
"""


def _version() -> str:
    try:
        return version("inmail")
    except PackageNotFoundError:
        return "0.0.0"


def create_app(
    ctx: Context, settings: Settings, *, rate_clock: Callable[[], float] | None = None
) -> FastAPI:
    # /docs and /redoc load Swagger UI and ReDoc from files shipped in the
    # fastapi-offline package, never from a CDN: they work with no internet.
    app = FastAPIOffline(
        static_url="/docs-static",
        title="inmail",
        version=_version(),
        description=DESCRIPTION,
        # A trailing slash is another (unknown) route, answered 404 as a
        # problem, not a redirect an API client may not follow.
        redirect_slashes=False,
        generate_unique_id_function=operation_id,
    )
    app.state.ctx = ctx
    app.state.settings = settings
    app.state.metrics = Metrics(ctx)
    # ``inmail serve`` hands this to the worker it runs in the same process,
    # so the due events it processes are counted too.
    app.state.on_due = app.state.metrics.record_due

    install_error_handlers(app)
    # The last added runs first: metrics also see the 413s of the limit.
    app.add_middleware(BodyLimitMiddleware, max_bytes=MAX_BODY_BYTES)
    if settings.rate_limit:
        # Before the body limit and the routes: a limited request does nothing.
        app.add_middleware(
            RateLimitMiddleware, limit=parse_rate_limit(settings.rate_limit), clock=rate_clock
        )
    app.add_middleware(MetricsMiddleware, metrics=app.state.metrics)
    for router in ROUTERS:
        app.include_router(router)
    install_openapi(app, list(ctx.plans), rate_limited=bool(settings.rate_limit))

    _install_web(app, ctx, settings)
    return app


def _install_web(app: FastAPI, ctx: Context, settings: Settings) -> None:
    # ---- the web pages ------------------------------------------------------
    # The server-rendered pages live in inmail.web and add themselves through
    # ``install_web(app, ctx, settings)`` once that module provides it. Until
    # then the app is the API alone. A web module that exists but fails to
    # import is a bug, so only its absence is passed over.
    try:
        web = importlib.import_module("inmail.web")
    except ModuleNotFoundError as exc:
        if exc.name != "inmail.web":
            raise
        return
    install_web = getattr(web, "install_web", None)
    if install_web is not None:
        install_web(app, ctx, settings)
