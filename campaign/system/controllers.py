"""Health probes, the language switch and the runtime settings page."""

from __future__ import annotations

import hmac

from litestar import Controller, Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_503_SERVICE_UNAVAILABLE

from campaign import i18n, jobs
from campaign.accounts.rules import ADMIN
from campaign.i18n import _
from campaign.observability import QUEUE_DEPTH, REGISTRY
from campaign.settings import ROOT, get_settings
from campaign.system import forms, queries, rules
from campaign.web import client_ip, current_user, render

FAVICON = ROOT / "static" / "favicon.svg"


class SystemController(Controller):
    include_in_schema = True

    @get("/healthz", opt={"public": True, "anonymous": True}, tags=["system"])
    async def healthz(self) -> dict[str, str]:
        """The process is alive. Touches nothing, so it is the baseline of every benchmark."""
        return {"status": "ok"}

    @get("/metrics", opt={"public": True, "anonymous": True}, include_in_schema=False)
    async def metrics(self, request: Request) -> Response[str]:
        """Prometheus text format, for loopback clients or with the METRICS_TOKEN bearer token."""
        token = get_settings().metrics_token or ""
        sent = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        local = client_ip(request) in ("127.0.0.1", "::1", "testclient")
        if not (local or (token and hmac.compare_digest(sent, token))):
            raise NotFoundException()
        QUEUE_DEPTH.set(await jobs.queue_depth())
        return Response(REGISTRY.render(), media_type="text/plain; version=0.0.4")

    @get("/admin/jobs", opt={"roles": (ADMIN,)}, include_in_schema=False)
    async def job_queue(self, request: Request) -> Template:
        """The background queue: what waits or runs now, and the latest failures."""
        return render(
            request,
            "admin/jobs.html",
            queue=await jobs.queue_listing(),
            depth=await jobs.queue_depth(),
            failures=list(jobs.recent_failures),
            with_redis=bool(get_settings().redis_url),
            section="jobs",
            active_nav="admin",
        )

    @get("/favicon.ico", opt={"public": True, "anonymous": True}, include_in_schema=False)
    async def favicon(self) -> Response[bytes]:
        """Browsers ask for /favicon.ico on pages that name no icon (and bookmarks do): the
        app's mark as SVG, cached for a day, instead of a 404 in every console."""
        return Response(
            FAVICON.read_bytes(),
            media_type="image/svg+xml",
            headers={"Cache-Control": "public, max-age=86400"},
        )

    @get("/readyz", opt={"public": True}, tags=["system"])
    async def readyz(self) -> Response[dict]:
        """The database (and Redis, when configured) answer."""
        checks = await queries.readiness()
        ok = all(value == "ok" for value in checks.values())
        return Response(
            {"status": "ok" if ok else "unavailable", **checks},
            status_code=200 if ok else HTTP_503_SERVICE_UNAVAILABLE,
        )

    @get("/lang/{locale:str}", opt={"public": True}, include_in_schema=False)
    async def set_language(self, request: Request, locale: FromPath[str]) -> Redirect:
        back = request.headers.get("referer") or "/"
        response = Redirect(path=back if back.startswith(("/", str(request.base_url))) else "/")
        response.set_cookie(
            i18n.LOCALE_COOKIE, i18n.locale_from_cookie(locale), max_age=365 * 86400, samesite="lax"
        )
        return response

    @get("/admin/settings", opt={"roles": (ADMIN,)}, include_in_schema=False)
    async def settings_page(self, request: Request) -> Template:
        return await self._settings(request, {}, {})

    async def _settings(
        self, request: Request, typed: dict, errors: dict, status: int = 200
    ) -> Template:
        stored = await queries.all_settings()
        items = [
            {
                "key": key,
                "label": rules.SETTING_LABELS[key][0],
                "hint": rules.SETTING_LABELS[key][1],
                "value": typed.get(key, stored.get(key, "")),
                "default": ",".join(map(str, rules.DEFAULT_MILESTONES[key.split(".")[1]]))
                if key.startswith("milestones.")
                else "",
            }
            for key in rules.KNOWN_KEYS
        ]
        return Template(
            template_name="admin/settings.html",
            context={
                "items": items,
                "errors": errors,
                "active_nav": "admin",
                "section": "settings",
            },
            status_code=status,
        )

    @post("/admin/settings", opt={"roles": (ADMIN,)}, include_in_schema=False)
    async def save_setting(self, request: Request) -> Template | Redirect:
        key, value = forms.setting_form(await request.form())
        try:
            await queries.change_setting(key, value, current_user(request), client_ip(request))
        except ValueError as problem:
            return await self._settings(request, {key: value}, {key: str(problem)}, status=400)
        flash(request, _("已保存"), "success")
        return Redirect(path="/admin/settings")
