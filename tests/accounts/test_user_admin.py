"""Admins create, edit, deactivate users and assign their unit; every change lands in the audit log."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from campaign.accounts.tables import ApiToken, AuditEntry, Profile
from tests.helpers.ningbo import load_slice
from tests.helpers.web import PASSWORD, login, post_form

NEW_USER = {
    "username": "coord_fuhai2",
    "password": "fuhai2026x",
    "password2": "fuhai2026x",
    "display_name": "附海协调员",
    "role": "coordinator",
    "unit": "station:PS330282108",
    "team": "",
}


async def _admin(client, make_user):
    await load_slice()
    await make_user("boss", "admin")
    await login(client, "boss")


async def test_admin_creates_a_station_coordinator_who_can_then_log_in(client, make_user):
    await _admin(client, make_user)
    response = await post_form(client, "/admin/users/new", NEW_USER)
    assert response.status_code == 302
    profile = await Profile.select().where(Profile.display_name == "附海协调员").first()
    assert (profile["role"], profile["unit_kind"], profile["unit_code"]) == (
        "coordinator",
        "station",
        "PS330282108",
    )
    entry = await AuditEntry.select().where(AuditEntry.action == "user.create").first()
    assert entry["actor_name"] == "boss" and entry["target"] == "user:coord_fuhai2"

    client.cookies.clear()
    await login(client, "coord_fuhai2", "fuhai2026x")
    assert "附海派出所" in (await client.get("/")).text


async def test_rejected_user_form_keeps_what_was_typed_and_explains_each_field(client, make_user):
    await _admin(client, make_user)
    bad = {**NEW_USER, "username": "x", "password2": "different1", "unit": ""}
    response = await post_form(client, "/admin/users/new", bad)
    assert response.status_code == 400
    assert "用户名为 3–40 位" in response.text
    assert "两次输入的密码不一致" not in response.text or "密码" in response.text
    assert "协调员必须指定所属区县、镇街或派出所" in response.text
    assert 'value="附海协调员"' in response.text
    assert not await Profile.exists().where(Profile.display_name == "附海协调员")


async def test_unit_code_that_does_not_exist_is_refused(client, make_user):
    await _admin(client, make_user)
    response = await post_form(client, "/admin/users/new", {**NEW_USER, "unit": "town:330282999"})
    assert response.status_code == 400
    assert "330282999 不存在" in response.text


async def test_duplicate_username_is_refused(client, make_user):
    await _admin(client, make_user)
    await make_user("coord_fuhai2", "team")
    response = await post_form(client, "/admin/users/new", NEW_USER)
    assert response.status_code == 400 and "用户名已被使用" in response.text


async def test_deactivating_a_user_ends_their_session_and_tokens(client, make_user):
    from httpx import AsyncClient

    from campaign.accounts import queries

    await _admin(client, make_user)
    victim = await make_user("leaver", "leader")
    token = await queries.create_token(victim, "wall")
    async with AsyncClient(transport=client._transport, base_url="http://testserver") as other:
        await login(other, "leaver")
        assert (await other.get("/")).status_code == 200
        response = await post_form(client, f"/admin/users/{victim}/active", {"active": "0"})
        assert response.status_code == 302
        assert (await other.get("/")).status_code == 302
    api = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 401
    assert await AuditEntry.exists().where(AuditEntry.action == "user.deactivate")
    revoked = await ApiToken.select(ApiToken.revoked_at).where(ApiToken.user == victim).first()
    assert revoked["revoked_at"] is not None


async def test_admin_cannot_deactivate_themselves(client, make_user):
    await _admin(client, make_user)
    me = (await Profile.select(Profile.user).where(Profile.display_name == "boss").first())["user"]
    await post_form(client, f"/admin/users/{me}/active", {"active": "0"})
    assert (await client.get("/")).status_code == 200


async def test_admin_edits_role_and_unit(client, make_user):
    await _admin(client, make_user)
    user_id = await make_user("mover", "coordinator", unit=("town", "330282005"))
    response = await post_form(
        client,
        f"/admin/users/{user_id}",
        {"display_name": "调岗", "role": "leader", "unit": "district:330206", "team": ""},
    )
    assert response.status_code == 302
    profile = await Profile.select().where(Profile.user == user_id).first()
    assert (profile["role"], profile["unit_kind"], profile["unit_code"]) == (
        "leader",
        "district",
        "330206",
    )
    entry = await AuditEntry.select().where(AuditEntry.action == "user.update").first()
    assert entry["detail"]  # before and after are kept


async def test_user_list_filters_by_role_and_exports_excel(client, make_user):
    await _admin(client, make_user)
    await make_user("lead1", "leader")
    await make_user("team1", "team", team="达叔讲堂")
    page = await client.get("/admin/users", params={"role": "leader"})
    assert 'data-user="lead1"' in page.text and 'data-user="team1"' not in page.text
    fragment = await client.get(
        "/admin/users", params={"q": "team"}, headers={"HX-Request": "true"}
    )
    assert "<html" not in fragment.text and 'data-user="team1"' in fragment.text
    export = await client.get("/admin/users", params={"format": "xlsx"})
    sheet = load_workbook(io.BytesIO(export.content)).active
    usernames = {row[0] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert usernames == {"boss", "lead1", "team1"}


async def test_non_admins_get_403_on_user_admin(client, make_user):
    await load_slice()
    await make_user("coord", "coordinator", unit=("town", "330282005"))
    await login(client, "coord")
    assert (await client.get("/admin/users")).status_code == 403
    response = await post_form(client, "/admin/users/new", NEW_USER)
    assert response.status_code == 403
    assert "无权" in response.text
    assert not await Profile.exists().where(Profile.display_name == "附海协调员")


async def test_admin_resets_a_password(client, make_user):
    await _admin(client, make_user)
    user_id = await make_user("forgot", "leader")
    response = await post_form(
        client,
        f"/admin/users/{user_id}/password",
        {"password": "newpass2026", "password2": "newpass2026"},
    )
    assert response.status_code == 302
    client.cookies.clear()
    await login(client, "forgot", "newpass2026")
    client.cookies.clear()
    old = await post_form(client, "/login", {"username": "forgot", "password": PASSWORD})
    assert old.status_code == 400


async def test_audit_log_is_searchable(client, make_user):
    await _admin(client, make_user)
    await post_form(client, "/admin/users/new", NEW_USER)
    page = await client.get("/admin/audit", params={"q": "coord_fuhai2"})
    assert "创建用户 coord_fuhai2" in page.text
    empty = await client.get("/admin/audit", params={"q": "nothing-like-this"})
    assert "没有记录" in empty.text


async def test_a_long_audit_log_is_counted_no_further_than_the_cap(client, make_user, monkeypatch):
    """One entry per write, millions a year: past the cap the pager says "more than"."""
    from campaign.accounts import controllers

    await _admin(client, make_user)
    for user in ("cap_one", "cap_two", "cap_three"):
        await post_form(client, "/admin/users/new", {**NEW_USER, "username": user})
    monkeypatch.setattr(controllers, "COUNT_CAP", 2)
    assert "超过 2 条" in (await client.get("/admin/audit")).text
    assert "共 1 条" in (await client.get("/admin/audit", params={"q": "cap_two"})).text
