"""Signed-out phone pages (a propagandist's join page, the public boards) rendered once every few
seconds per process: after a lecture hundreds of phones open the same page at once, and each
would otherwise repeat the same reads and the same template. Only the CSRF token differs between
visitors, so the cached HTML keeps a placeholder where it was and each answer puts the visitor's
own token back. Signed-in volunteers, staff, htmx fragments and error pages are never cached."""

from __future__ import annotations

import time

from litestar import Request, Response
from litestar.enums import MediaType
from litestar.response import Template
from litestar.utils.scope.state import ScopeState

from campaign.i18n import LOCALE_COOKIE
from campaign.security import SESSION_COOKIE

SECONDS = 10
VOLUNTEER_COOKIE = "campaign_volunteer"
_PLACEHOLDER = "\x00csrf\x00"
_LIMIT = 1000  # pages of ≈20–40 kB: at most a few tens of MB per process


def _pages(request: Request) -> dict[str, tuple[float, str]]:
    """The cache of this application instance (one per process; each test app has its own)."""
    pages = request.app.state.get("volunteer_pages")
    if pages is None:
        pages = request.app.state["volunteer_pages"] = {}
    return pages


def key(request: Request) -> str | None:
    """The cache key of a signed-out visitor's full page, or None when it must be rendered."""
    if (
        request.cookies.get(VOLUNTEER_COOKIE)
        or request.cookies.get(SESSION_COOKIE)
        or request.headers.get("hx-request")
    ):
        return None
    return f"{request.url.path}?{request.url.query}|{request.cookies.get(LOCALE_COOKIE, '')}"


def _token(request: Request) -> str:
    token = ScopeState.from_scope(request.scope).csrf_token
    return token if isinstance(token, str) else ""


def cached(request: Request, page_key: str | None) -> Response | None:
    hit = _pages(request).get(page_key) if page_key else None
    if hit is None or hit[0] < time.monotonic():
        return None
    return Response(hit[1].replace(_PLACEHOLDER, _token(request)), media_type=MediaType.HTML)


def render(request: Request, page_key: str | None, page: Template) -> Response | Template:
    """The page rendered now, and kept for SECONDS when it has a key and succeeded."""
    if page_key is None or page.status_code != 200:
        return page
    engine = request.app.template_engine
    assert engine is not None and page.template_name is not None
    body = engine.get_template(page.template_name).render(**page.create_template_context(request))
    pages = _pages(request)
    if len(pages) >= _LIMIT:  # bounded: expired pages go first, then everything
        now = time.monotonic()
        for stale in [k for k, (expires, _body) in pages.items() if expires < now]:
            del pages[stale]
        if len(pages) >= _LIMIT:
            pages.clear()
    token = _token(request)
    pages[page_key] = (
        time.monotonic() + SECONDS,
        body.replace(token, _PLACEHOLDER) if token else body,
    )
    return Response(body, media_type=MediaType.HTML)
