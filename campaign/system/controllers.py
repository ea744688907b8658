"""Health probes, the language switch and the home dashboard."""

from __future__ import annotations

from litestar import Controller, Request, Response, get
from litestar.params import FromPath
from litestar.response import Redirect
from litestar.status_codes import HTTP_503_SERVICE_UNAVAILABLE

from campaign import i18n
from campaign.system import queries
from campaign.web import current_user, render


class SystemController(Controller):
    include_in_schema = True

    @get("/healthz", opt={"public": True}, tags=["system"])
    async def healthz(self) -> dict[str, str]:
        """The process is alive. Touches nothing, so it is the baseline of every benchmark."""
        return {"status": "ok"}

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

    @get("/", include_in_schema=False)
    async def home(self, request: Request) -> object:
        user = current_user(request)
        return render(request, "home.html", user=user, dashboard=await queries.dashboard_for(user))
