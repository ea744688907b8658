"""The web security layer: sessions that only the server issues, CSRF tokens bound to the session,
and the security headers of every response.

Sessions (server side, in Redis or var/sessions):
- a cookie naming a session the store does not hold is ignored; the id it carries is never used;
- nothing is stored for a request whose session stays empty (anonymous visitors, probes);
- `start_session()` (login, password change) moves the data to a fresh id and deletes the old one.

CSRF (double submit, signed with SECRET_KEY, bound to the session):
- the token is the `campaign_csrf` cookie; forms send it as `_csrf_token`, htmx as `x-csrftoken`;
- a logged-in session records the token it was given, so a token planted by someone else (or
  left from before the login) is refused;
- exclusions are anchored regular expressions (`EXEMPT`), so `/regions/healthz` is checked;
- the cookie and its binding are checked before any body is read; the form field of a multipart
  upload is compared afterwards, so a forged upload is refused before its bytes are received.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from litestar.datastructures import MutableScopeHeaders
from litestar.datastructures.cookie import Cookie
from litestar.enums import RequestEncodingType
from litestar.exceptions import PermissionDeniedException
from litestar.middleware.csrf import generate_csrf_hash, generate_csrf_token
from litestar.middleware.session.server_side import (
    ServerSideSessionBackend,
    ServerSideSessionConfig,
)
from litestar.stores.file import FileStore
from litestar.types import ASGIApp, Empty, Message, Receive, Scope, Send
from litestar.utils.scope.state import ScopeState

SESSION_COOKIE = "campaign_session"
CSRF_COOKIE = "campaign_csrf"
CSRF_HEADER = "x-csrftoken"
CSRF_FAILED = "CSRF token verification failed"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: Paths that never need a CSRF token: the bearer-token API, probes, the OpenAPI document and
#: the anonymous public pages under /public/ (which hold no session to ride on).
EXEMPT = re.compile(r"^/(?:api/|public/|static/|healthz$|readyz$|metrics$|schema(?:/|$))")

_ISSUED = "campaign.session_issued"  # the id the store knew this request by
_ROTATE = "campaign.session_rotate"  # start_session() was called
_NEW_ID = "campaign.session_new_id"
_LOADED = "campaign.session_loaded"  # the stored bytes the request's session was read from
_BIND_KEY = "csrf"  # session key holding the secret half of the token given to that session


# -- Sessions ------------------------------------------------------------------------------------


def bearer_api_request(scope: Scope) -> bool:
    """An API call made with a Bearer token: it is the token's user, whatever cookies it carries."""
    if not scope["path"].startswith("/api/"):
        return False
    for name, value in scope.get("headers", ()):
        if name == b"authorization":
            return value[:7].lower() == b"bearer "
    return False


class IssuedSessionBackend(ServerSideSessionBackend):
    """Server-side sessions that accept only ids the server issued and store nothing empty.
    A Bearer-token API call neither loads nor writes one (an integration pushing hundreds of
    requests a second would otherwise cost a store read and write each)."""

    async def load_from_connection(self, connection) -> dict[str, Any]:
        if bearer_api_request(connection.scope):
            return {}
        session_id = connection.cookies.get(self.config.key)
        if session_id and len(session_id) <= 128 and session_id != "null":
            store = self.config.get_store_from_app(connection.scope["app"])
            data = await self.get(session_id, store=store)
            if data is not None:
                connection.scope[_ISSUED] = session_id  # type: ignore[literal-required]
                connection.scope[_LOADED] = data  # type: ignore[literal-required]
                return self.deserialize_data(data)
        return {}

    def get_session_id(self, connection) -> str:
        scope = connection.scope
        issued = scope.get(_ISSUED)
        if issued and not scope.get(_ROTATE):
            return issued
        if not scope.get(_NEW_ID):
            scope[_NEW_ID] = self.generate_session_id()  # type: ignore[literal-required]
        return scope[_NEW_ID]

    async def store_in_message(self, scope_session, message: Message, connection) -> None:
        scope = connection.scope
        if bearer_api_request(scope):
            return
        store = self.config.get_store_from_app(scope["app"])
        headers = MutableScopeHeaders.from_message(message)
        params: dict[str, Any] = {
            "path": self.config.path,
            "domain": self.config.domain,
            "secure": self.config.secure,
            "httponly": self.config.httponly,
            "samesite": self.config.samesite,
        }
        issued = scope.get(_ISSUED)
        if scope_session is Empty or not scope_session:
            if issued:
                await self.delete(issued, store=store)
            if issued or connection.cookies.get(self.config.key):
                headers.add(
                    "Set-Cookie",
                    Cookie(key=self.config.key, value="null", expires=0, **params).to_header(
                        header=""
                    ),
                )
            return
        if issued and scope.get(_ROTATE):
            await self.delete(issued, store=store)
        session_id = self.get_session_id(connection)
        data = self.serialize_data(scope_session, scope)
        if not issued or scope.get(_ROTATE) or data != scope.get(_LOADED):
            # unchanged data stays as stored: reading it renewed it (renew_on_access)
            await self.set(session_id, data, store=store)
        cookie = Cookie(
            key=self.config.key, value=session_id, max_age=self.config.max_age, **params
        )
        headers.add("Set-Cookie", cookie.to_header(header=""))


class SessionFileStore(FileStore):
    """The sessions' file store without Redis. Litestar's FileStore renews a value read with
    `renew_for` by writing its file anew (a temporary file, a rename, a thread hand-off) on
    every request; this one renews it only once RENEW_AFTER seconds of its lifetime have gone,
    so a session expires at most that much earlier than renewing on every request would."""

    RENEW_AFTER = 60

    async def get(self, key: str, renew_for: int | timedelta | None = None) -> bytes | None:
        if renew_for is None:
            return await super().get(key)
        path = self._path_from_key(key)
        stored = await self._load_from_path(path)
        if stored is None:
            return None
        if stored.expired:
            await path.unlink(missing_ok=True)
            return None
        lifetime = renew_for.total_seconds() if isinstance(renew_for, timedelta) else renew_for
        left = stored.expires_in
        if stored.expires_at and left is not None and left < lifetime - self.RENEW_AFTER:
            await self.set(key, stored.data, expires_in=renew_for)
        return stored.data


@dataclass
class SessionConfig(ServerSideSessionConfig):
    _backend_class = IssuedSessionBackend  # type: ignore[assignment]


def start_session(request, data: dict[str, Any]) -> None:
    """Begin a new session (login, or a change of credentials): fresh id, old one deleted, and a
    fresh CSRF token bound to it."""
    request.scope[_ROTATE] = True
    request.set_session(dict(data))


# -- CSRF ----------------------------------------------------------------------------------------


def _token_secret(token: str | None, secret: str) -> str | None:
    """The random half of a signed token, or None when it is not one of ours."""
    if not token or len(token) != 128:
        return None
    head, mac = token[:64], token[64:]
    return head if secrets.compare_digest(mac, generate_csrf_hash(head, secret)) else None


class CSRFMiddleware:
    """See the module docstring. Replaces Litestar's CSRFMiddleware, which is not session-bound,
    matches exclusions anywhere in the path and reads upload bodies before checking."""

    def __init__(self, app: ASGIApp, secret: str, secure: bool = False) -> None:
        self.app = app
        self.secret = secret
        self.secure = secure

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or EXEMPT.match(scope["path"]):
            await self.app(scope, receive, send)
            return
        method = scope["method"]  # type: ignore[typeddict-item]
        cookie_token = _cookie(scope, CSRF_COOKIE)
        cookie_secret = _token_secret(cookie_token, self.secret)
        session = scope.get("session")
        bound = session.get(_BIND_KEY) if isinstance(session, dict) and session else None
        state = ScopeState.from_scope(scope)
        new_token: list[str] = []

        if method in SAFE_METHODS:
            logged_in = isinstance(session, dict) and bool(session.get("uid"))
            if cookie_secret is None or (logged_in and bound != cookie_secret):
                token = generate_csrf_token(self.secret)
                new_token.append(token)
                if logged_in:
                    session[_BIND_KEY] = token[:64]  # type: ignore[index]
            else:
                token = cookie_token  # type: ignore[assignment]
            state.csrf_token = token
        else:
            # Cookie and session binding first: a forged request is refused unread.
            if cookie_secret is None or (bound is not None and bound != cookie_secret):
                raise PermissionDeniedException(CSRF_FAILED)
            if isinstance(session, dict) and session.get("uid") and bound is None:
                raise PermissionDeniedException(CSRF_FAILED)
            sent = _header(scope, CSRF_HEADER)
            handler = scope.get("route_handler")
            if sent is None and handler is not None and handler.opt.get("exclude_from_csrf"):
                # A streamed upload compares the form field itself (csrf_matches) as it reads.
                await self.app(scope, receive, send)
                return
            if sent is None:
                request = scope["litestar_app"].request_class(scope=scope, receive=receive)
                content_type, _ = request.content_type
                if content_type in {
                    RequestEncodingType.URL_ENCODED,
                    RequestEncodingType.MULTI_PART,
                }:
                    sent = (await request.form()).get("_csrf_token")
            if sent is None or _token_secret(sent, self.secret) != cookie_secret:
                raise PermissionDeniedException(CSRF_FAILED)
            state.csrf_token = sent

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                current = scope.get("session")
                if (
                    isinstance(current, dict)
                    and current.get("uid")
                    and (scope.get(_ROTATE) or current.get(_BIND_KEY) is None)
                    and not new_token
                ):
                    # A session begun by this request gets its own token.
                    token = generate_csrf_token(self.secret)
                    new_token.append(token)
                    current[_BIND_KEY] = token[:64]
                if new_token:
                    cookie = Cookie(
                        key=CSRF_COOKIE,
                        value=new_token[0],
                        path="/",
                        secure=self.secure,
                        httponly=False,
                        samesite="lax",
                    )
                    MutableScopeHeaders.from_message(message).add(
                        "set-cookie", cookie.to_header(header="")
                    )
            await send(message)

        await self.app(scope, receive, send_wrapper)


def csrf_matches(scope: Scope, sent: str | None, secret: str) -> bool:
    """For routes that stream their body (opt exclude_from_csrf): the token sent in the form
    equals the cookie (whose session binding the middleware has checked already)."""
    cookie = _token_secret(_cookie(scope, CSRF_COOKIE), secret)
    return cookie is not None and secrets.compare_digest(cookie, _token_secret(sent, secret) or "")


def _header(scope: Scope, name: str) -> str | None:
    wanted = name.encode()
    for key, value in scope.get("headers", []):
        if key.lower() == wanted:
            return value.decode("latin-1")
    return None


def _cookie(scope: Scope, name: str) -> str | None:
    raw = _header(scope, "cookie")
    if not raw:
        return None
    for part in raw.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value.strip('"')
    return None


# -- Security headers ------------------------------------------------------------------------------

_NONCE = "campaign.csp_nonce"


def csp_nonce(scope: Scope) -> str:
    """This response's nonce, for the rare inline <script nonce="…"> (templates: csp_nonce())."""
    if _NONCE not in scope:
        scope[_NONCE] = secrets.token_urlsafe(16)  # type: ignore[literal-required]
    return scope[_NONCE]  # type: ignore[literal-required]


def content_security_policy(nonce: str) -> str:
    """Only our own files: scripts from /static (or carrying this response's nonce), no plugins,
    no framing; inline style attributes stay allowed (the templates use them for layout)."""
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' 'nonce-{nonce}'",
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data: blob:",
            "font-src 'self' data:",
            "media-src 'self' blob:",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


async def security_headers(message: Message, scope: Scope) -> None:
    """before_send hook of the app: runs for every response, errors and static files included."""
    if message["type"] != "http.response.start":
        return
    headers = MutableScopeHeaders.from_message(message)
    headers["Content-Security-Policy"] = content_security_policy(csp_nonce(scope))
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = "same-origin"
    headers["X-Frame-Options"] = "DENY"
    headers["Cross-Origin-Opener-Policy"] = "same-origin"


# -- OpenAPI ---------------------------------------------------------------------------------------


def declare_api_errors(app) -> None:
    """Every /api/ operation documents the errors the guard and the parsers give: 400 (bad
    input), 401 (no or bad token), 403 (role or jurisdiction), 404 (no such thing)."""
    from litestar.exceptions import (
        HTTPException,
        NotAuthorizedException,
        NotFoundException,
        ValidationException,
    )

    class UnprocessableEntity(HTTPException):
        """A well-formed request whose content is refused (e.g. a batch with a bad item)."""

        status_code = 422

    errors = [
        ValidationException,
        UnprocessableEntity,
        NotAuthorizedException,
        PermissionDeniedException,
        NotFoundException,
    ]
    for route in app.routes:
        if not route.path.startswith("/api/"):
            continue
        for handler in getattr(route, "route_handlers", []):
            handler.raises = [*(handler.raises or []), *errors]
