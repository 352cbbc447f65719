"""Signing in with a token, and out."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from inmail.service.tokens import member_for_token
from inmail.web.deps import State, current_viewer
from inmail.web.render import PageRoute, flash, render, see_other
from inmail.web.security import csrf_token

router = APIRouter(route_class=PageRoute)


def _safe_next(target: str | None) -> str:
    """Only a path on this site: never an open redirect to another one."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return "/"


@router.get("/")
def home(request: Request) -> Response:
    viewer = current_viewer(request)
    if viewer is None:
        return see_other("/login")
    return see_other("/admin" if viewer.is_admin else "/credits")


@router.get("/login")
def login_page(request: Request, next: str | None = None) -> Response:
    return render(request, "login.html", next=_safe_next(next), error=None)


@router.post("/login")
def login(
    request: Request,
    web: State,
    token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    token = token.strip()
    admin_token = web.settings.admin_token
    is_admin = bool(admin_token) and hmac.compare_digest(token.encode(), admin_token.encode())
    member_id = None if is_admin or not token else member_for_token(web.ctx, token)
    if not is_admin and member_id is None:
        return render(
            request,
            "login.html",
            401,
            next=_safe_next(next),
            error=(
                "That token is not valid. Check it and try again, or ask your admin for a new one."
            ),
        )
    # A new session on sign-in: a cookie planted before it (and its CSRF
    # token) is worth nothing after.
    request.session.clear()
    request.session.update(who=member_id, admin=is_admin)
    csrf_token(request)
    flash(request, "Signed in as the admin." if is_admin else f"Signed in as {member_id}.")
    target = _safe_next(next)
    if target == "/":
        target = "/admin" if is_admin else "/credits"
    return see_other(target)


@router.post("/logout")
def logout(request: Request) -> Response:
    request.session.clear()
    flash(request, "You are signed out.")
    return see_other("/login")
