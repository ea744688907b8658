"""The home page: every domain's card for the person logged in (campaign.home.queries.CARDS)."""

from __future__ import annotations

from litestar import Controller, Request, get

from campaign.home import queries
from campaign.web import current_user, render


class HomeController(Controller):
    include_in_schema = False

    @get("/")
    async def home(self, request: Request) -> object:
        user = current_user(request)
        return render(request, "home.html", user=user, dashboard=await queries.dashboard_for(user))
