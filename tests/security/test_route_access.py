"""Every route × every role (and anonymous), generated from the app's route list.

HOW TO DECLARE A NEW ROUTE'S ACCESS (one line, in one of two places):
1. On the handler, which is where it is enforced (the guard `campaign.web.authorize` reads it):
   - `opt={"roles": (ADMIN, COORDINATOR)}`  → only these roles; others get 403, anonymous 401/login;
   - `opt={"roles": ALL}` (`campaign.web.ALL`) → every logged-in role;
   - `opt={"public": True}`                  → everyone, also anonymous.
2. Or, when access is narrower or wider than the handler's `opt` says (e.g. the handler refuses a
   role itself), a line in `EXCEPTIONS` below: `"METHOD /path/{as:declared}": (roles that get in)`.
A route with neither fails `test_every_route_declares_who_may_use_it`; a route whose behaviour
differs from its declaration fails `test_every_route_answers_each_role_as_declared`.

"Gets in" means the answer is not 401/403 and not a redirect to /login; a 404 for the made-up
id/code in the URL counts as getting in (the role check came first). Users are city-wide except
the coordinator (a district), as jurisdiction is tested per domain. API routes are called with
each role's bearer token; pages with a session and a valid CSRF token.
"""

from __future__ import annotations

import httpx
import pytest

from campaign.accounts import queries as accounts
from campaign.accounts.rules import ADMIN, COORDINATOR, LEADER, TEAM
from campaign.web import ALL
from tests.helpers.ningbo import load_slice
from tests.helpers.routes import Route, app_routes
from tests.helpers.web import csrf_token, login

ANONYMOUS = "anonymous"
EVERYONE = (ANONYMOUS, *ALL)

#: Route → roles that get in, where the handler's opt does not say it all.
EXCEPTIONS: dict[str, tuple[str, ...]] = {
    # login-only pages and API (no opt roles yet: every logged-in role)
    "GET /": ALL,
    "GET /account": ALL,
    "POST /account/password": ALL,
    "POST /account/tokens": ALL,
    "POST /account/tokens/{token_id:int}/revoke": ALL,
    "POST /logout": ALL,
    "GET /api/v1/me": ALL,
    "GET /api/v1/materials": ALL,
    "GET /api/v1/regions": ALL,
    "GET /api/v1/regions/{code:str}": ALL,
    "GET /api/v1/stations": ALL,
    "GET /materials": ALL,
    "GET /materials/collections": ALL,
    "GET /materials/collections/{collection_id:int}": ALL,
    "GET /materials/collections/{collection_id:int}/zip": ALL,
    "GET /materials/orders": ALL,
    "GET /materials/orders/{order_id:int}": ALL,
    "GET /materials/{material_id:int}": ALL,
    "GET /materials/{material_id:int}/download": ALL,
    "GET /materials/{material_id:int}/file": ALL,
    "GET /materials/{material_id:int}/preview": ALL,
    "GET /regions": ALL,
    "GET /regions/{code:str}": ALL,
    "GET /regions/{code:str}/children": ALL,
    "GET /stations": ALL,
    "GET /stations/{code:str}": ALL,
    "POST /regions/{code:str}": ALL,  # the handler then checks can_write per region (404 here)
    # narrower than opt: among teams only the content team answers orders (a setting)
    "POST /materials/orders/{order_id:int}/answer": (ADMIN,),
}
#: Requests that must not run in this sweep (they end the session they are made with).
SKIP = {"POST /logout", "POST /account/password"}


def expected(route: Route) -> set[str] | None:
    if route.key in EXCEPTIONS:
        return set(EXCEPTIONS[route.key])
    if route.opt.get("public"):
        return set(EVERYONE)
    if roles := route.opt.get("roles"):
        return set(roles)
    return None


def _routes(app) -> list[Route]:
    return [r for r in app_routes(app) if not r.path.startswith("/static")]


async def test_every_route_declares_who_may_use_it(app):
    undeclared = [r.key for r in _routes(app) if expected(r) is None]
    assert undeclared == [], "declare opt roles/public or add to EXCEPTIONS (see docstring)"


async def test_no_exception_names_a_route_that_does_not_exist(app):
    keys = {r.key for r in _routes(app)}
    assert sorted(set(EXCEPTIONS) - keys) == []


def _got_in(response: httpx.Response) -> bool:
    if response.status_code in (401, 403):
        return False
    location = response.headers.get("location", "") + response.headers.get("hx-redirect", "")
    return not (response.status_code in (302, 303) and location.startswith("/login"))


@pytest.fixture
async def clients(app, make_user):
    await load_slice()
    made: dict[str, tuple[httpx.AsyncClient, str | None]] = {}
    transport = httpx.ASGITransport(app=app)
    for role in ALL:
        unit = ("district", "330282") if role == COORDINATOR else None
        uid = await make_user(f"u_{role}", role, unit=unit)
        client = httpx.AsyncClient(transport=transport, base_url="http://testserver")
        await login(client, f"u_{role}")
        await client.get("/account")
        made[role] = (client, await accounts.create_token(uid, "sweep"))
    anonymous = httpx.AsyncClient(transport=transport, base_url="http://testserver")
    await anonymous.get("/login")
    made[ANONYMOUS] = (anonymous, None)
    yield made
    for client, _token in made.values():
        await client.aclose()


async def _call(client: httpx.AsyncClient, token: str | None, route: Route) -> httpx.Response:
    url = route.url("999999" if "{" in route.path and ":int}" in route.path else None)
    if route.path.startswith("/api/"):
        headers = {"authorization": f"Bearer {token}"} if token else {}
        return await client.request(route.method, url, headers=headers)
    if route.method == "GET":
        return await client.get(url)
    return await client.request(route.method, url, data={"_csrf_token": csrf_token(client)})


async def test_every_route_answers_each_role_as_declared(app, clients):
    wrong = []
    for route in _routes(app):
        allowed = expected(route)
        if allowed is None or route.key in SKIP or route.streams:
            continue
        for who in EVERYONE:
            client, token = clients[who]
            answer = await _call(client, token, route)
            assert answer.status_code < 500, f"{route.key} as {who}: {answer.status_code}"
            if _got_in(answer) != (who in allowed):
                wrong.append(f"{route.key} as {who}: {answer.status_code}")
    assert wrong == []


async def test_team_role_cannot_read_events_through_the_api(clients):
    client, token = clients[TEAM]
    answer = await client.get("/api/v1/events", headers={"authorization": f"Bearer {token}"})
    assert answer.status_code == 403


async def test_district_leader_cannot_download_the_city_wide_download_log(app, clients, make_user):
    await make_user("district_leader", LEADER, unit=("district", "330282"))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as client:
        await login(client, "district_leader")
        for url in ("/materials/stats/downloads", "/materials/stats/downloads?format=xlsx"):
            assert (await client.get(url)).status_code == 403
    city_leader, _token = clients[LEADER]
    assert (await city_leader.get("/materials/stats/downloads?format=xlsx")).status_code == 200
    admin, _token = clients[ADMIN]
    assert (await admin.get("/materials/stats/downloads")).status_code == 200
