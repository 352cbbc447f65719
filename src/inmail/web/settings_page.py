"""The member's settings: whether they accept InMails, and an open profile."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from inmail.service import members
from inmail.web.deps import MemberId, State
from inmail.web.render import PageRoute, flash, render, see_other

router = APIRouter(route_class=PageRoute)

# An unticked checkbox sends nothing, so absence means "off".
Checkbox = Annotated[str, Form()]


@router.get("/settings")
def settings_page(request: Request, web: State, me: MemberId) -> Response:
    return render(request, "settings.html", person=members.get_member(web.ctx, me))


@router.post("/settings")
def save_settings(
    request: Request,
    web: State,
    me: MemberId,
    inmail_opt_out: Checkbox = "",
    open_profile: Checkbox = "",
) -> Response:
    members.update_member(
        web.ctx, me, inmail_opt_out=bool(inmail_opt_out), open_profile=bool(open_profile)
    )
    flash(request, "Your settings are saved.")
    return see_other("/settings")
