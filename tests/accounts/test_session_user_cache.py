"""The logged-in user is cached per process and session stamp; a change of role, unit, password
or active flag, or a log-out, is seen on the very next request — also one made in another process
(which says so through campaign.generations)."""

from __future__ import annotations

import httpx
import pytest
from piccolo.apps.user.tables import BaseUser

from campaign import generations
from campaign.accounts import queries
from tests.helpers.ningbo import load_slice
from tests.helpers.services import REDIS_URL, need_redis
from tests.helpers.web import PASSWORD, login, post_form


async def _me(client) -> dict:
    response = await client.get("/api/v1/me")
    assert response.status_code == 200, response.status_code
    return response.json()


async def _coordinator(client, make_user) -> int:
    await load_slice()
    user_id = await make_user("coord", "coordinator", unit=("district", "330282"))
    await login(client, "coord")
    assert (await _me(client))["role"] == "coordinator"
    return user_id


async def test_a_change_made_elsewhere_is_seen_once_its_generation_moves(client, make_user):
    user_id = await _coordinator(client, make_user)
    # Another process changes the profile and commits; this process still holds the old user …
    await queries.update_profile(user_id, role="leader", unit_kind=None, unit_code=None)
    assert (await _me(client))["role"] == "coordinator"
    # … until that process bumps the accounts generation after its commit, as `audited` does.
    await generations.bump(generations.ACCOUNTS)
    me = await _me(client)
    assert (me["role"], me["unit_kind"]) == ("leader", None)


async def test_an_admins_role_and_unit_change_applies_at_once(client, make_user, app):
    user_id = await _coordinator(client, make_user)
    await make_user("boss", "admin")
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as admin:
        await login(admin, "boss")
        response = await post_form(
            admin,
            f"/admin/users/{user_id}",
            {"display_name": "改", "role": "coordinator", "unit": "town:330282005", "team": ""},
        )
        assert response.status_code == 302, response.text
        me = await _me(client)
        assert (me["unit_kind"], me["unit_code"], me["display_name"]) == (
            "town",
            "330282005",
            "改",
        )
        response = await post_form(admin, f"/admin/users/{user_id}/active", {"active": "0"})
        assert response.status_code == 302
    assert (await client.get("/api/v1/me")).status_code == 401


async def test_a_new_password_voids_the_cached_session(client, make_user):
    user_id = await _coordinator(client, make_user)
    await queries.set_password(user_id, "another-pass-2026")
    await generations.bump(generations.ACCOUNTS)  # what `audited` does after the commit
    assert (await client.get("/api/v1/me")).status_code == 401


async def test_logging_out_drops_the_session_user(client, make_user):
    user_id = await _coordinator(client, make_user)
    row = await BaseUser.select(BaseUser.password).where(BaseUser.id == user_id).first()
    key = (user_id, queries.stamp_for(row["password"]))
    assert key in queries._session_users.entries
    response = await post_form(client, "/logout")
    assert response.status_code == 302
    assert key not in queries._session_users.entries
    assert (await client.get("/api/v1/me")).status_code == 401


@pytest.mark.parametrize("shared", ["file", "redis"])
async def test_generations_move_for_every_reader(db, environment, shared):
    if shared == "redis":
        await need_redis()
        environment(REDIS_URL=REDIS_URL)
    before = await generations.current(generations.ACCOUNTS, generations.DATA)
    await generations.bump(generations.DATA)
    after = await generations.current(generations.ACCOUNTS, generations.DATA)
    assert after[0] == before[0] and after[1] != before[1]


async def test_password_of_a_cached_user_still_checked_at_login(client, make_user):
    await _coordinator(client, make_user)
    client.cookies.clear()
    response = await post_form(client, "/login", {"username": "coord", "password": PASSWORD + "x"})
    assert response.status_code == 400
