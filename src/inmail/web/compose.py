"""Compose: check what a message costs (the preview step), then send it.

Every answer re-renders the form with what was typed, so a refusal never
loses a word. The send step re-quotes and, if the price changed since the
member saw it, shows the new price instead of sending."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from inmail.domain.errors import InmailError, ValidationFailed
from inmail.domain.messages import BODY_MAX, SUBJECT_MAX
from inmail.service import members, messages, overview
from inmail.service.context import Context
from inmail.service.views import MemberView
from inmail.web import text
from inmail.web.deps import MemberId, State
from inmail.web.render import PageRoute, flash, render, see_other

router = APIRouter(route_class=PageRoute)


@dataclass
class Draft:
    to: str = ""
    subject: str = ""
    body: str = ""


@dataclass
class QuoteView:
    charge: str
    costs: bool
    explanation: str
    refusal: str | None


def _page(
    request: Request,
    ctx: Context,
    me: str,
    draft: Draft,
    *,
    quote: QuoteView | None = None,
    error: str | None = None,
    status_code: int = 200,
    q: str = "",
    found: list[MemberView] | None = None,
) -> Response:
    return render(
        request,
        "compose.html",
        status_code,
        draft=draft,
        quote=quote,
        error=error,
        connections=members.list_connections(ctx, me),
        subject_max=SUBJECT_MAX,
        body_max=BODY_MAX,
        q=q,
        found=found,
    )


def _quote(ctx: Context, me: str, to: str) -> QuoteView:
    if not to:
        raise ValidationFailed("enter the id of the member you are writing to")
    quote = messages.quote_message(ctx, me, to)
    name = overview.member_names(ctx, {to})[to]
    return QuoteView(
        charge=quote.charge.value,
        costs=quote.charge.credits > 0,
        explanation=text.quote_text(quote.charge, name, quote.balance),
        refusal=text.friendly(quote.refusal) if quote.refusal else None,
    )


FOUND_MAX = 20


@router.get("/compose")
def compose_page(request: Request, web: State, me: MemberId, to: str = "", q: str = "") -> Response:
    """The form; with ``q``, the directory's matches to pick a recipient from
    (a GET form and links, so finding someone needs no JavaScript)."""
    q = q.strip()[: members.QUERY_MAX]
    found = None
    if q:
        page = members.directory(web.ctx, q=q, limit=FOUND_MAX + 1)
        found = [m for m in page.items if m.id != me][:FOUND_MAX]
    return _page(request, web.ctx, me, Draft(to=to.strip()), q=q, found=found)


Field = Annotated[str, Form()]


@router.post("/compose/preview")
def preview(
    request: Request,
    web: State,
    me: MemberId,
    to: Field = "",
    subject: Field = "",
    body: Field = "",
) -> Response:
    draft = Draft(to.strip().lower(), subject, body)
    try:
        quote = _quote(web.ctx, me, draft.to)
    except InmailError as exc:
        return _page(
            request, web.ctx, me, draft, error=text.friendly(exc), status_code=text.status_of(exc)
        )
    return _page(request, web.ctx, me, draft, quote=quote)


@router.post("/compose/send")
def send(
    request: Request,
    web: State,
    me: MemberId,
    to: Field = "",
    subject: Field = "",
    body: Field = "",
    quoted_to: Field = "",
    quoted_charge: Field = "",
) -> Response:
    draft = Draft(to.strip().lower(), subject, body)
    try:
        quote = _quote(web.ctx, me, draft.to)
        if (quoted_to, quoted_charge) != (draft.to, quote.charge):
            # Not what the member agreed to: show the price again first.
            return _page(
                request,
                web.ctx,
                me,
                draft,
                quote=quote,
                error="Check the cost before sending: it is shown below for this recipient.",
            )
        sent = messages.send_message(web.ctx, me, draft.to, body, subject.strip() or None)
    except InmailError as exc:
        return _page(
            request, web.ctx, me, draft, error=text.friendly(exc), status_code=text.status_of(exc)
        )
    name = overview.member_names(web.ctx, {draft.to})[draft.to]
    cost = "1 credit was used" if sent.credit_charged else "it cost no credit"
    flash(request, f"Sent to {name}: {cost}.")
    return see_other("/sent")
