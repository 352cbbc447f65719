"""Who is looking at a page, and the context the pages act through."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from inmail.config import Settings
from inmail.service.context import Context


@dataclass(frozen=True)
class WebState:
    ctx: Context
    settings: Settings


@dataclass(frozen=True)
class Viewer:
    """A signed-in member, or the admin (``member_id`` None)."""

    member_id: str | None
    is_admin: bool


class SignInRequired(Exception):
    """The page needs a signed-in member (or the admin)."""


class NotAllowed(Exception):
    """The viewer may not open this page; the message says why."""


def web_state(request: Request) -> WebState:
    state = request.app.state.inmail_web
    assert isinstance(state, WebState)
    return state


def current_viewer(request: Request) -> Viewer | None:
    who = request.session.get("who")
    if request.session.get("admin") is True:
        return Viewer(member_id=None, is_admin=True)
    if isinstance(who, str):
        return Viewer(member_id=who, is_admin=False)
    return None


def signed_in(request: Request) -> Viewer:
    viewer = current_viewer(request)
    if viewer is None:
        raise SignInRequired()
    return viewer


def member(request: Request) -> str:
    """The signed-in member's id; the admin, who has no inbox, gets sign-in."""
    viewer = signed_in(request)
    if viewer.member_id is None:
        raise NotAllowed("These pages belong to a member: sign in with a member token.")
    return viewer.member_id


def admin(request: Request) -> Viewer:
    viewer = signed_in(request)
    if not viewer.is_admin:
        raise NotAllowed("Only the admin may open this page.")
    return viewer


State = Annotated[WebState, Depends(web_state)]
SignedIn = Annotated[Viewer, Depends(signed_in)]
MemberId = Annotated[str, Depends(member)]
Admin = Annotated[Viewer, Depends(admin)]
