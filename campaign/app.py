"""The Litestar application factory: `campaign.app:create_app`."""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape
from litestar import Litestar, Router
from litestar.logging.config import LoggingConfig
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.plugins.htmx import HTMXPlugin
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.stores.redis import RedisStore
from litestar.template.config import TemplateConfig

from campaign import db, i18n, jobs, observability, security, web
from campaign.accounts.controllers import AccountController, AdminController, ApiAccountController
from campaign.cases.controllers import CaseApiController, CaseController
from campaign.cases.import_controller import CaseImportController
from campaign.cases.lists_controller import ReferenceListController
from campaign.contests.controllers import (
    ContestApiController,
    ContestController,
    LeadersController,
)
from campaign.duties.assessment_controllers import AssessmentApiController, AssessmentController
from campaign.duties.controllers import MeasureController, OrganisationController
from campaign.duties.event_field import ORGANISATION_FIELD
from campaign.duties.review_controllers import ReviewController
from campaign.duties.task_controllers import TaskController
from campaign.events import hooks as event_hooks
from campaign.events.controllers import EventApiController, EventController
from campaign.events.type_controllers import EventTypeController
from campaign.home.controllers import HomeController
from campaign.materials.controllers import MaterialApiController, MaterialController
from campaign.regions.controllers import PickController, RegionApiController, RegionController
from campaign.regions.import_controller import RegionImportController
from campaign.reports import public as public_bulletin
from campaign.reports.controllers import (
    AreaController,
    BulletinApiController,
    BulletinController,
    PublicBulletinController,
    ReminderController,
)
from campaign.settings import ROOT, get_settings
from campaign.streaks.controllers import StreakApiController, StreakController
from campaign.system.controllers import SystemController
from campaign.volunteers.controllers import VolunteerStaffController
from campaign.volunteers.public_controllers import ShareController, VolunteerPublicController
from campaign.warnings import live
from campaign.warnings.controllers import (
    WarningApiController,
    WarningController,
    WarningImportController,
)
from campaign.worker import CRON_JOBS, recover_interrupted_work

TEMPLATES = ROOT / "templates"
STATIC = ROOT / "static"


def _jinja_environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        # a stat() of every template (and of each one it extends, includes or imports) on every
        # render is for editing templates on a running server: only with CAMPAIGN_DEBUG=1
        auto_reload=get_settings().debug,
    )
    env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.filters.update(web.TEMPLATE_FILTERS)
    env.globals.update(
        nav_for=web.nav_for,
        phone_tabs_for=web.phone_tabs_for,
        locales=i18n.LOCALES,
        current_locale=lambda: i18n.current_locale.get(),
        flashes=_flashes,
        query_string=web.query_string,
        csp_nonce=_csp_nonce,
    )
    return env


@pass_context
def _csp_nonce(context) -> str:
    request = context.get("request")
    return security.csp_nonce(request.scope) if request is not None else ""


@pass_context
def _flashes(context) -> list[dict]:
    """Messages queued with litestar.plugins.flash.flash(); empty where no session exists (404)."""
    request = context.get("request")
    if request is None or "session" not in request.scope:
        return []
    return request.session.pop("_messages", [])


def _session_config() -> security.SessionConfig:
    settings = get_settings()
    return security.SessionConfig(
        key=web.SESSION_COOKIE,
        max_age=settings.session_max_age,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        store="sessions",
        renew_on_access=True,
        # Probes and static files never need a session; without this every anonymous hit would
        # store an empty one (a load balancer's health checks would fill the store).
        exclude=["^/healthz", "^/readyz", "^/static/", "^/public/", "^/favicon.ico"],
    )


def _stores() -> dict:
    settings = get_settings()
    if settings.redis_url:
        return {
            "sessions": RedisStore.with_client(
                url=settings.redis_url, namespace="campaign-sessions"
            ),
            **public_bulletin.redis_stores(),
        }
    return {
        "sessions": security.SessionFileStore(
            path=Path(settings.var_dir) / "sessions", create_directories=True
        )
    }


@asynccontextmanager
async def _lifespan(app: Litestar):
    """Database pool, and without Redis the cron schedule in-process (with Redis: `campaign worker`)."""
    await db.start_pool()
    if not get_settings().redis_url:
        await recover_interrupted_work(embedded=True)
    stop = asyncio.Event()
    cron = (
        None
        if get_settings().redis_url
        else asyncio.create_task(jobs.run_cron_in_process(CRON_JOBS, stop))
    )
    try:
        yield
    finally:
        stop.set()
        if cron:
            await cron
        await jobs.close()
        await live.close()
        await db.close_pool()


def create_app() -> Litestar:
    settings = get_settings()
    event_hooks.register(ORGANISATION_FIELD)
    app = Litestar(
        route_handlers=[
            SystemController,
            HomeController,
            AccountController,
            AdminController,
            ApiAccountController,
            RegionController,
            RegionApiController,
            PickController,
            RegionImportController,
            StreakController,
            StreakApiController,
            CaseImportController,
            ReferenceListController,
            CaseController,
            CaseApiController,
            ContestController,
            ContestApiController,
            LeadersController,
            EventController,
            EventTypeController,
            EventApiController,
            MaterialController,
            MaterialApiController,
            VolunteerStaffController,
            VolunteerPublicController,
            ShareController,
            OrganisationController,
            MeasureController,
            TaskController,
            AssessmentController,
            AssessmentApiController,
            ReviewController,
            WarningImportController,
            WarningController,
            WarningApiController,
            BulletinController,
            AreaController,
            ReminderController,
            PublicBulletinController,
            BulletinApiController,
            create_static_files_router(
                path="/static",
                directories=[STATIC],
                name="static",
                opt={"public": True, "anonymous": True},
            ),
        ],
        guards=[web.authorize],
        before_send=[security.security_headers],
        middleware=[
            observability.RequestMiddleware,
            _session_config().middleware,
            DefineMiddleware(
                security.CSRFMiddleware,
                secret=settings.secret_key,
                secure=settings.secure_cookies,
            ),
        ],
        stores=_stores(),
        template_config=TemplateConfig(
            engine=JinjaTemplateEngine.from_environment(_jinja_environment())
        ),
        plugins=[HTMXPlugin()],
        openapi_config=OpenAPIConfig(
            title="反诈攻坚 campaign API",
            version="1",
            use_handler_docstrings=True,
            path="/schema",
            render_plugins=[JsonRenderPlugin(path=["/", "/openapi.json"])],
            openapi_router=Router(path="/schema", route_handlers=[], opt={"public": True}),
            components=Components(
                security_schemes={
                    "bearer": SecurityScheme(
                        type="http",
                        scheme="bearer",
                        description="API token from /account (令牌在“账户”页创建)",
                    )
                }
            ),
            security=[{"bearer": []}],
        ),
        exception_handlers={Exception: web.handle_error},
        after_exception=[web.shell_for_unrouted_errors(_session_config())],
        lifespan=[_lifespan],
        debug=settings.debug,
        # campaign.observability logs each request once, with its id (LOG_FORMAT=json): the
        # root logger stays as `campaign serve` configured it (Litestar's default replaces it)
        logging_config=LoggingConfig(configure_root_logger=False),
    )
    security.declare_api_errors(app)
    return app
