"""Templates, flash messages, and the route class that turns what a page may
raise (a domain error, a missing sign-in, a refused CSRF token) into a page."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from starlette.requests import Request

from inmail.domain.errors import InmailError
from inmail.service import notices
from inmail.web import text
from inmail.web.deps import NotAllowed, SignInRequired, Viewer, current_viewer
from inmail.web.security import CSRF_FIELD, PAGE_HEADERS, CsrfRefused, csrf_token

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")
templates.env.filters.update(
    when=text.when,
    day=text.day,
    short_date=text.short_date,
    signed=text.signed,
    percent=text.percent,
    recent=text.recent,
    snippet=text.snippet,
)


def flash(request: Request, message: str, level: str = "success") -> None:
    """A message for the next page shown (after a redirect)."""
    request.session["flash"] = [*request.session.get("flash", []), [level, message]]


def _unread(request: Request, viewer: Viewer | None) -> int:
    """The count of unread notices shown in the navigation of every member page."""
    if viewer is None or viewer.member_id is None:
        return 0
    return notices.unread_count(request.app.state.inmail_web.ctx, viewer.member_id)


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> Response:
    viewer = current_viewer(request)
    context.update(
        request=request,
        viewer=viewer,
        unread=_unread(request, viewer),
        csrf_field=CSRF_FIELD,
        csrf_token=csrf_token(request),
        flashes=request.session.pop("flash", []),
        path=request.url.path,
    )
    return templates.TemplateResponse(request, template, context, status_code=status_code)


def see_other(url: str) -> RedirectResponse:
    """After a form post, a GET of the page to show (so a reload never posts twice)."""
    return RedirectResponse(url, status_code=303)


def error_page(request: Request, status_code: int, title: str, message: str) -> Response:
    return render(request, "error.html", status_code, title=title, message=message)


def not_found_page(request: Request) -> Response:
    """What a browser gets for a path that is no page (the JSON API keeps its
    problem+json answer). Outside the pages' prefixes, so it carries the
    pages' security headers itself."""
    response = error_page(
        request,
        404,
        "Page not found",
        "There is no page at this address. It may have moved, or the link may be mistyped.",
    )
    response.headers.update(PAGE_HEADERS)
    response.headers["cache-control"] = "no-store"
    return response


class PageRoute(APIRoute):
    """A page route: whatever it raises becomes a page, never the JSON API's
    problem+json answer (the API app maps domain errors app-wide)."""

    def get_route_handler(self) -> Callable[[Request], Awaitable[Response]]:
        handler = super().get_route_handler()

        async def page(request: Request) -> Response:
            try:
                return await handler(request)
            except SignInRequired:
                return see_other("/login?next=" + quote(request.url.path))
            except CsrfRefused:
                return error_page(
                    request,
                    403,
                    "This form has expired",
                    "The form was not sent from this site's current page, so nothing was "
                    "changed. Go back, reload the page and try again.",
                )
            except NotAllowed as exc:
                return error_page(request, 403, "Not for you", str(exc))
            except RequestValidationError:
                return error_page(
                    request,
                    422,
                    "Something was missing",
                    "A field of the form was missing or not valid. Go back and check it.",
                )
            except InmailError as exc:
                return error_page(
                    request, text.status_of(exc), "That did not work", text.friendly(exc)
                )

        return page
