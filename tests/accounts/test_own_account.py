"""A person changes their own password and manages their API tokens."""

from __future__ import annotations

from campaign.accounts.tables import ApiToken
from tests.helpers.web import PASSWORD, login, post_form


async def test_changing_password_logs_out_other_sessions(client, make_user):
    from httpx import AsyncClient

    await make_user("chen", "leader")
    await login(client, "chen")
    async with AsyncClient(transport=client._transport, base_url="http://testserver") as phone:
        await login(phone, "chen")
        response = await post_form(
            client,
            "/account/password",
            {"old": PASSWORD, "new": "brandnew2026", "new2": "brandnew2026"},
        )
        assert response.status_code == 302
        assert (await client.get("/")).status_code == 200  # this session carries on
        assert (await phone.get("/")).status_code == 302  # the other one is void


async def test_wrong_old_password_is_named_beside_the_field(client, make_user):
    await make_user("chen", "leader")
    await login(client, "chen")
    response = await post_form(
        client,
        "/account/password",
        {"old": "guess-123", "new": "brandnew2026", "new2": "brandnew2026"},
    )
    assert response.status_code == 400 and "原密码不正确" in response.text


async def test_weak_new_password_is_refused(client, make_user):
    await make_user("chen", "leader")
    await login(client, "chen")
    response = await post_form(
        client, "/account/password", {"old": PASSWORD, "new": "12345678", "new2": "12345678"}
    )
    assert response.status_code == 400 and "字母和数字" in response.text


async def test_token_is_shown_once_and_stored_only_as_a_hash(client, make_user):
    await make_user("chen", "leader")
    await login(client, "chen")
    response = await post_form(client, "/account/tokens", {"name": "大屏"})
    token = response.text.split("data-new-token")[1].split(">")[1].split("<")[0]
    assert token.startswith("cmp_")
    stored = await ApiToken.select().first()
    assert token not in str(stored) and stored["prefix"] == token[:8]
    me = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json()["username"] == "chen"
    assert token not in (await client.get("/account")).text


async def test_revoked_token_no_longer_works(client, make_user):
    from campaign.accounts import queries

    user_id = await make_user("chen", "leader")
    token = await queries.create_token(user_id, "x")
    await login(client, "chen")
    token_id = (await ApiToken.select(ApiToken.id).first())["id"]
    await post_form(client, f"/account/tokens/{token_id}/revoke")
    client.cookies.clear()
    assert (
        await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    ).status_code == 401


async def test_someone_elses_token_cannot_be_revoked(client, make_user):
    from campaign.accounts import queries

    owner = await make_user("owner", "leader")
    await queries.create_token(owner, "x")
    await make_user("other", "leader")
    await login(client, "other")
    token_id = (await ApiToken.select(ApiToken.id).first())["id"]
    response = await post_form(client, f"/account/tokens/{token_id}/revoke")
    assert response.status_code == 404
    assert (await ApiToken.select().first())["revoked_at"] is None


async def test_a_token_in_use_is_marked_used_without_a_write_per_request(client, make_user):
    from campaign.accounts import queries

    token = await queries.create_token(await make_user("platform", "admin"), "push")
    bearer = {"Authorization": f"Bearer {token}"}
    assert (await client.get("/api/v1/me", headers=bearer)).status_code == 200
    first = (await ApiToken.select(ApiToken.last_used_at).first())["last_used_at"]
    assert first is not None
    for _ in range(3):
        assert (await client.get("/api/v1/me", headers=bearer)).status_code == 200
    assert (await ApiToken.select(ApiToken.last_used_at).first())["last_used_at"] == first
