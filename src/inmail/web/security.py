"""Sessions, CSRF tokens and the security headers of the pages."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from inmail.config import Settings

SESSION_COOKIE = "inmail_session"
# A working day: long enough not to annoy, short enough that a stolen cookie
# (sessions live in the signed cookie, so sign-out cannot revoke one) expires.
SESSION_MAX_AGE_S = 12 * 60 * 60
CSRF_FIELD = "csrf_token"

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
PAGE_HEADERS = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
}


class CsrfRefused(Exception):
    """A form post without this session's CSRF token."""


def session_secret(settings: Settings) -> str:
    """Derived from the admin token, so every process of a deployment accepts
    the same cookies, yet the cookie key is not the token itself. Without an
    admin token, a random secret: sessions then last as long as the process."""
    if settings.admin_token:
        return hmac.new(
            settings.admin_token.encode(), b"inmail web session v1", hashlib.sha256
        ).hexdigest()
    return secrets.token_hex(32)


def csrf_token(request: Request) -> str:
    """This session's CSRF token, made on first use."""
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


async def check_csrf(request: Request) -> None:
    """Every POST must carry the session's token in its form."""
    if request.method != "POST":
        return
    expected = request.session.get("csrf")
    form = await request.form()
    given = form.get(CSRF_FIELD)
    if not (
        isinstance(expected, str)
        and isinstance(given, str)
        and hmac.compare_digest(expected.encode(), given.encode())
    ):
        raise CsrfRefused()


class PageHeaders:
    """Adds the security headers to every response under the pages' paths (not
    to the JSON API's, whose docs page needs inline scripts)."""

    def __init__(self, app: ASGIApp, prefixes: tuple[str, ...]) -> None:
        self.app = app
        self.prefixes = prefixes

    def _covers(self, path: str) -> bool:
        return path == "/" or any(path == p or path.startswith(p + "/") for p in self.prefixes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self._covers(scope["path"]):
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in PAGE_HEADERS.items():
                    headers[name] = value
                if not scope["path"].startswith("/static/"):
                    # Balances and messages are private: never keep them in a cache.
                    headers["cache-control"] = "no-store"
            await send(message)

        await self.app(scope, receive, with_headers)
