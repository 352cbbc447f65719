"""The server-rendered pages: My Premium Page, the inbox, compose, admin.

``install_web`` adds them to a FastAPI app (the JSON API's, or a bare one in
tests). Routes call the service layer only; they never commit or decide a rule.
"""

from __future__ import annotations

from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from inmail.config import Settings
from inmail.service.context import Context
from inmail.web import (
    admin,
    auth,
    compose,
    conversations_pages,
    credits_page,
    messages_pages,
    settings_page,
)
from inmail.web.deps import WebState
from inmail.web.render import HERE, not_found_page
from inmail.web.security import (
    SESSION_COOKIE,
    SESSION_MAX_AGE_S,
    PageHeaders,
    check_csrf,
    session_secret,
)

# The first path segments the pages own; the security headers cover these.
PAGE_PREFIXES = (
    "/login",
    "/logout",
    "/credits",
    "/inbox",
    "/sent",
    "/notifications",
    "/messages",
    "/conversations",
    "/compose",
    "/admin",
    "/settings",
    "/static",
)


def install_web(app: FastAPI, ctx: Context, settings: Settings) -> None:
    """Add the pages, their static files and signed-cookie sessions to ``app``."""
    app.state.inmail_web = WebState(ctx=ctx, settings=settings)
    # The API's error handler shows this to a browser asking for an unknown page.
    app.state.not_found_page = not_found_page
    for router in (
        auth.router,
        credits_page.router,
        conversations_pages.router,
        messages_pages.router,
        compose.router,
        admin.router,
        settings_page.router,
    ):
        app.include_router(router, dependencies=[Depends(check_csrf)], include_in_schema=False)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.add_middleware(
        SessionMiddleware,
        secret_key=session_secret(settings),
        session_cookie=SESSION_COOKIE,
        max_age=SESSION_MAX_AGE_S,
        same_site="lax",
        https_only=False,
    )
    # Added last, so it runs outermost and also covers the session's answers.
    app.add_middleware(PageHeaders, prefixes=PAGE_PREFIXES)
