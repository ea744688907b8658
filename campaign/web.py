"""What every controller shares: the authorisation guard, rendering, paging, Excel export and the
navigation of the shell. Routes are login-only by default; a handler opens up with
`opt={"public": True}` (`{"anonymous": True}` also skips looking up the session) and narrows with
`opt={"roles": (...)}`."""

from __future__ import annotations

import io
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import quote

from litestar import MediaType, Request, Response
from litestar.connection import ASGIConnection
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware.session.server_side import ServerSideSessionConfig
from litestar.plugins.htmx import ClientRedirect, HTMXTemplate
from litestar.response import Redirect, Template
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from campaign import i18n, outages
from campaign.accounts import queries as accounts
from campaign.accounts.rules import ADMIN, COORDINATOR, LEADER, TEAM, CurrentUser
from campaign.files import DISK_FULL_MESSAGE, disk_full
from campaign.i18n import _
from campaign.i18n import lazy_gettext as _l
from campaign.parsing import MAX_ID, int_or, parse_int, search_text
from campaign.security import (  # noqa: F401
    CSRF_COOKIE,
    CSRF_FAILED,
    SESSION_COOKIE,
    csrf_matches,
    start_session,
)
from campaign.settings import get_settings
from campaign.system import queries as system
from campaign.timeutil import local

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
_BIG_INT = re.compile(r"\s*[+-]?[0-9]{19,}\s*")


# -- Who is asking -------------------------------------------------------------------------------


async def resolve_user(connection: ASGIConnection) -> CurrentUser | None:
    header = connection.headers.get("authorization", "")
    if header.lower().startswith("bearer ") and connection.url.path.startswith("/api/"):
        return await accounts.user_for_token(header[7:].strip())
    session = connection.scope.get("session")
    if not isinstance(session, dict):
        session = {}
    if uid := session.get("uid"):
        user = await accounts.user_for_session(uid, session.get("stamp"))
        if user is None:
            connection.scope["session"] = {}
            connection.state.session_expired = True
        return user
    if connection.cookies.get(SESSION_COOKIE):
        connection.state.session_expired = True
    return None


async def authorize(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
    """The one guard of the app, run before every route: who is this, and may they be here?"""
    if any(
        isinstance(v, int) and not -MAX_ID <= v <= MAX_ID for v in connection.path_params.values()
    ):
        raise NotFoundException()  # no row has an id beyond 64 bits; the database would refuse it
    for _key, value in connection.query_params.multi_items():
        if _BIG_INT.fullmatch(value) and parse_int(value, -MAX_ID) is None:
            raise ValidationException(_("数值超出范围"))
    if handler.opt.get(
        "anonymous"
    ):  # static files and /healthz: nobody to look up, nothing to touch
        return
    i18n.current_locale.set(i18n.locale_from_cookie(connection.cookies.get(i18n.LOCALE_COOKIE)))
    user = await resolve_user(connection)
    connection.state.user = user
    connection.state.demo = await system.demo_mode()
    if handler.opt.get("public"):
        return
    if user is None:
        raise NotAuthorizedException(_("请先登录"))
    is_api = connection.url.path.startswith("/api/")
    if user.via_token and not is_api:
        raise NotAuthorizedException(_("API 令牌只能用于 /api/ 接口"))
    if is_api and not user.via_token and connection.scope.get("method") not in SAFE_METHODS:
        raise PermissionDeniedException(_("通过接口修改数据须使用 Bearer 令牌"))
    roles = handler.opt.get("roles")
    if roles and user.role not in roles:
        raise PermissionDeniedException(_("你的角色无权进行此操作"))


def shell_for_unrouted_errors(session_config: ServerSideSessionConfig):
    """An `after_exception` hook: a URL that matches no route (404, 405) fails before any
    middleware or guard runs, so its error page would lose the logged-in navigation. Load the
    session read-only and resolve the user the way the guard does, so the page keeps the shell."""
    backend = session_config._backend_class(config=session_config)

    async def resolve_for_error_page(exc: Exception, scope) -> None:
        if scope.get("type") != "http" or scope.get("path", "").startswith(("/static/", "/api/")):
            return
        state = scope.setdefault("state", {})
        if "user" in state:
            return
        connection: ASGIConnection[Any, Any, Any, Any] = ASGIConnection(scope)
        loaded = "session" in scope
        try:
            if not loaded:
                scope["session"] = await backend.load_from_connection(connection)
            state["user"] = await resolve_user(connection)
            state["demo"] = await system.demo_mode()
        except Exception:  # an error page must render even when the database is down
            state["user"] = None
        finally:
            if not loaded:  # read-only: this response never writes the session back
                scope.pop("session", None)

    return resolve_for_error_page


def current_user(request: Request) -> CurrentUser:
    """The logged-in user of a non-public route (the guard has made sure there is one)."""
    return request.state.user


def deny(message: str | None = None) -> PermissionDeniedException:
    return PermissionDeniedException(message or _("这不在你的辖区范围内"))


async def csrf_token_valid(request: Request, token: str | None) -> bool:
    """The CSRF check for a route that opts out of the middleware's form reading
    (`opt={"exclude_from_csrf": True}`) because it streams its body to disk: the middleware has
    already checked the cookie and its session binding before the body was read; this compares
    the token found in the streamed form (or the x-csrftoken header) with the cookie."""
    sent = request.headers.get("x-csrftoken") or token
    return csrf_matches(request.scope, sent, get_settings().secret_key)


def list_filters(request: Request, *keys: str) -> dict[str, str]:
    """A list page's filters from the query string: every key present, trimmed, "" when absent
    (so templates can refill the filter form and the pager and export links keep them).
    Each value is cut to parsing.MAX_SEARCH characters, so a hostile URL cannot make a LIKE
    pattern too long to run."""
    return {key: search_text(request.query_params.get(key)) for key in keys}


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


# -- Rendering -----------------------------------------------------------------------------------


def render(
    request: Request, template: str, fragment: str | None = None, **context: Any
) -> Template:
    """The full page, or only its fragment when htmx asks (one handler serves both). The media
    type is explicit because a handler annotated `-> object` would otherwise default to JSON."""
    if fragment and request.headers.get("hx-request") and not request.headers.get("hx-boosted"):
        return HTMXTemplate(template_name=fragment, context=context, media_type=MediaType.HTML)
    return Template(template_name=template, context=context, media_type=MediaType.HTML)


@dataclass(frozen=True)
class NavItem:
    key: str
    label: Any
    href: str
    roles: tuple[str, ...]
    ready: bool = True
    #: Only for people whose unit is of this kind (a station's duty desk works on warnings).
    scope_kind: str | None = None


ALL = (ADMIN, LEADER, COORDINATOR, TEAM)
NAV: tuple[NavItem, ...] = (
    NavItem("home", _l("工作台"), "/", ALL),
    NavItem("cases", _l("案件"), "/cases", (ADMIN, LEADER, COORDINATOR)),
    NavItem("streaks", _l("零发案榜"), "/streaks", (ADMIN, LEADER, COORDINATOR)),
    NavItem("contests", _l("控案竞赛"), "/contests", (ADMIN, LEADER, COORDINATOR)),
    NavItem("leaders", _l("领导视图"), "/leaders", (ADMIN, LEADER)),
    NavItem("events", _l("宣传活动"), "/events", (ADMIN, LEADER, COORDINATOR)),
    NavItem("materials", _l("素材超市"), "/materials", ALL),
    NavItem("volunteers", _l("宣传员与志愿者"), "/volunteers", ALL),
    NavItem("duties", _l("责任落实"), "/duties/tasks", (ADMIN, LEADER, COORDINATOR)),
    NavItem("warnings", _l("预警劝阻"), "/warnings", (ADMIN, LEADER, COORDINATOR)),
    NavItem("bulletin", _l("反诈地图"), "/bulletins", (ADMIN, LEADER)),
    NavItem("regions", _l("区划与派出所"), "/regions", ALL),
    NavItem("admin", _l("系统管理"), "/admin/users", (ADMIN,)),
)


def jinja_template(request: Request, name: str) -> Any:
    """A template of the app's engine, for HTML drawn outside a Template response (board rows
    streamed over SSE, published pages kept rendered)."""
    engine = request.app.template_engine
    if engine is None:
        raise RuntimeError("the app is built with its templates (campaign.app)")
    return engine.get_template(name)


def nav_for(user: CurrentUser | None) -> list[NavItem]:
    if user is None:
        return []
    return [item for item in NAV if user.role in item.roles]


# On a phone the side navigation becomes a bottom bar: each role's three or four daily actions
# as large tabs, and 更多 opening the full list above, so the bar never grows with NAV.
PHONE_TABS: tuple[NavItem, ...] = (
    NavItem("home", _l("工作台"), "/", ALL),
    NavItem("warnings", _l("预警"), "/warnings", (COORDINATOR,), scope_kind="station"),
    NavItem("log-event", _l("登记活动"), "/events/new", (COORDINATOR,)),
    NavItem("leaders", _l("领导视图"), "/leaders", (LEADER,)),
    NavItem("cases", _l("案件"), "/cases", (ADMIN, COORDINATOR)),
    NavItem("streaks", _l("榜单"), "/streaks", (ADMIN, LEADER, COORDINATOR)),
    NavItem("contests", _l("竞赛"), "/contests", (LEADER,)),
    NavItem("admin", _l("用户"), "/admin/users", (ADMIN,)),
    NavItem("materials", _l("素材"), "/materials", (TEAM,)),
    NavItem("upload-material", _l("上传素材"), "/materials/new", (TEAM,)),
    NavItem("material-orders", _l("素材需求"), "/materials/orders", (TEAM,)),
)
PHONE_TAB_LIMIT = 4


def phone_tabs_for(user: CurrentUser | None) -> list[NavItem]:
    if user is None:
        return []
    mine = [
        item
        for item in PHONE_TABS
        if user.role in item.roles and item.scope_kind in (None, user.scope.kind)
    ]
    return mine[:PHONE_TAB_LIMIT]


# -- Paging ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pager:
    page: int
    per_page: int
    total: int
    #: the list holds more than `total` rows (counted no further: db.count_upto)
    capped: bool = False

    @property
    def pages(self) -> int:
        """A capped list offers only full pages: its last one would otherwise show a few rows
        of "more than N" as if the list ended there."""
        whole = (
            self.total // self.per_page if self.capped else math.ceil(self.total / self.per_page)
        )
        return max(1, whole)

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page

    @property
    def first_item(self) -> int:
        return min(self.total, self.offset + 1)

    @property
    def last_item(self) -> int:
        return min(self.total, self.offset + self.per_page)


#: A list of possibly 10^6 rows counts them no further than this (db.count_upto): its pager then
#: says "more than 10,000" and pages through the first ones; filters narrow it down.
COUNT_CAP = 10_000


def pager(request: Request, total: int, per_page: int = 50, cap: int | None = None) -> Pager:
    """Page number from ?page=, clamped to what exists, so a stale link never errors. With `cap`
    (the total came from db.count_upto(…, cap)) a total past it reads "more than cap"."""
    capped = cap is not None and total > cap
    if cap is not None:
        total = min(total, cap)
    page = int_or(request.query_params.get("page"), 1, 1)
    shape = Pager(page=1, per_page=per_page, total=total, capped=capped)
    return replace(shape, page=min(max(page, 1), shape.pages))


def query_string(request: Request, **changes: Any) -> str:
    """The current query string with some parameters replaced (for pager and sort links)."""
    params = {k: v for k, v in request.query_params.items()}
    for key, value in changes.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = str(value)
    return "&".join(f"{quote(k)}={quote(v)}" for k, v in params.items() if v != "")


# -- Excel export ------------------------------------------------------------------------------


#: OWASP "CSV injection": spreadsheet programs run cell text starting with these as a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def xlsx_cell(sheet: Any, value: Any) -> Any:
    """A value for a write-only sheet; text that a spreadsheet would read as a formula is stored
    as plain text (openpyxl would otherwise store any string starting with "=" as a formula)."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"
        return cell
    return value


def wants_xlsx(request: Request) -> bool:
    """The one way a list asks for its Excel export: the same URL with `?format=xlsx` (the
    filters stay in the query string, so the export holds exactly the filtered rows, unpaged)."""
    return request.query_params.get("format") == "xlsx"


def xlsx_response(filename: str, headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> Response:
    """Every list offers its rows as an .xlsx; write-only mode keeps memory flat for big lists.
    Cells are data, never formulas (see xlsx_cell)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=filename[:31])
    sheet.append([xlsx_cell(sheet, h) for h in headers])
    for row in rows:
        sheet.append([xlsx_cell(sheet, value) for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return Response(
        content=buffer.getvalue(),
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={
            "Content-Disposition": f"attachment; filename=export.xlsx; filename*=UTF-8''{quote(filename)}.xlsx"
        },
    )


# -- Formatting for templates --------------------------------------------------------------------


def fmt_int(value: int | None) -> str:
    return "—" if value is None else f"{value:,}"


def fmt_yuan(fen: int | None) -> str:
    """Money is stored in fen (docs/definitions.md) and shown as 元 with two decimals."""
    return "—" if fen is None else f"{fen / 100:,.2f}"


def fmt_wan(fen: int | None) -> str:
    return "—" if fen is None else f"{fen / 1_000_000:,.2f}"


def fmt_date(value: Any) -> str:
    if value is None:
        return "—"
    return value.strftime("%Y-%m-%d")


def fmt_datetime(value: Any) -> str:
    if value is None:
        return "—"
    return local(value).strftime("%Y-%m-%d %H:%M")


TEMPLATE_FILTERS = {
    "num": fmt_int,
    "yuan": fmt_yuan,
    "wan": fmt_wan,
    "date": fmt_date,
    "datetime": fmt_datetime,
}


# -- Errors --------------------------------------------------------------------------------------

ERROR_TITLES = {
    400: _l("请求有误"),
    401: _l("请先登录"),
    403: _l("没有权限"),
    404: _l("页面不存在"),
    405: _l("不支持的请求方式"),
    413: _l("上传的文件太大"),
    429: _l("操作太频繁"),
    500: _l("系统出错了"),
    503: _l("服务暂时不可用"),
    507: _l("存储空间不足"),
}


def _wants_json(request: Request) -> bool:
    return (
        request.url.path.startswith("/api/")
        or "application/json" in request.headers.get("accept", "").split(",")[0]
    )


def _unavailable(request: Request, exc: Exception) -> Response:
    """503 while the database or Redis is away: a warning in the log, not a traceback."""
    request.logger.warning("service unavailable: %s: %s", type(exc).__name__, exc)
    detail = str(_("数据库或缓存服务暂时无法连接,请稍后重试,已填写的内容请勿关闭页面"))
    headers = {"Retry-After": "5"}
    if _wants_json(request):
        return Response({"status_code": 503, "detail": detail}, status_code=503, headers=headers)
    if not hasattr(request.state, "user"):
        request.state.user = None
    return Template(
        template_name="error.html",
        context={"status": 503, "title": ERROR_TITLES[503], "detail": detail},
        status_code=503,
        headers=headers,
    )


def handle_error(request: Request, exc: Exception) -> Response:
    """Chinese error pages for people, JSON for the API, the login page for the logged-out."""
    i18n.current_locale.set(i18n.locale_from_cookie(request.cookies.get(i18n.LOCALE_COOKIE)))
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    detail = exc.detail if isinstance(exc, HTTPException) and status < 500 else ""
    if status == 500 and outages.service_unavailable(exc):
        return _unavailable(request, exc)
    if status == 500 and disk_full(exc):
        status, detail = 507, str(DISK_FULL_MESSAGE)
    if detail == CSRF_FAILED:
        detail = _("页面已过期或缺少安全令牌,请刷新页面后重试")
    elif status == 404 and detail == "Not Found":
        detail = ""
    if _wants_json(request):
        return Response(
            {"status_code": status, "detail": detail or str(ERROR_TITLES.get(status, ""))},
            status_code=status,
        )
    if status == 401:
        target = "/login?next=" + quote(
            request.url.path + (f"?{request.url.query}" if request.url.query else "")
        )
        if getattr(request.state, "session_expired", False):
            target += "&expired=1"
        if request.headers.get("hx-request"):
            return ClientRedirect(redirect_to=target)
        return Redirect(path=target)
    if status >= 500:
        request.logger.exception("unhandled error", exc_info=exc)
    if not hasattr(request.state, "user"):
        request.state.user = None
    return Template(
        template_name="error.html",
        context={
            "status": status,
            "title": ERROR_TITLES.get(status, ERROR_TITLES[500]),
            "detail": detail,
        },
        status_code=status,
    )
