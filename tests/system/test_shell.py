"""Probes, schema, error pages, settings and the language switch: the shell every page lives in."""

from __future__ import annotations

from campaign.accounts.tables import AuditEntry
from campaign.system.tables import Setting
from tests.helpers.web import login, post_form


async def test_healthz_answers_without_login(client):
    response = await client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


async def test_probes_and_static_files_create_no_session(client):
    for path in ("/healthz", "/readyz", "/static/css/app.css"):
        response = await client.get(path)
        assert response.status_code == 200
        assert "campaign_session" not in response.headers.get("set-cookie", "")


async def test_readyz_checks_the_database(client):
    response = await client.get("/readyz")
    assert response.status_code == 200 and response.json()["database"] == "ok"


async def test_openapi_schema_documents_the_api(client):
    schema = (await client.get("/schema")).json()
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/me" in schema["paths"]
    assert "/admin/users" not in schema["paths"]


async def test_unknown_page_gets_a_chinese_404(client):
    response = await client.get("/no/such/page")
    assert response.status_code == 404 and "页面不存在" in response.text


async def test_unknown_url_keeps_the_logged_in_navigation(client, make_user):
    """No route matches, so no guard runs: the error page still knows who is logged in."""
    await make_user("boss", "admin")
    await login(client, "boss")
    for path in ("/no/such/page", "/cases/not-a-number/x"):
        response = await client.get(path)
        assert response.status_code == 404 and "页面不存在" in response.text
        assert 'data-nav="cases"' in response.text and 'action="/logout"' in response.text


async def test_unknown_url_when_logged_out_shows_no_navigation(client):
    response = await client.get("/no/such/page")
    assert response.status_code == 404 and 'data-nav="' not in response.text


async def test_api_errors_are_json(client):
    response = await client.get("/api/v1/me")
    assert response.status_code == 401 and response.json()["detail"] == "请先登录"


async def test_api_writes_with_a_session_cookie_are_refused(app, client, make_user):
    """The guard refuses a cookie-authenticated API write (no CSRF under /api/), and lets the
    same write through with a Bearer token. The app has no API write yet: the test adds one."""
    from litestar import post

    from campaign.accounts import queries

    @post("/api/v1/test-write", opt={"roles": ("admin",)}, sync_to_thread=False)
    def test_write() -> dict[str, bool]:
        return {"written": True}

    app.register(test_write)
    boss = await make_user("boss", "admin")
    await login(client, "boss")
    refused = await client.post("/api/v1/test-write")
    assert refused.status_code == 403 and "Bearer" in refused.json()["detail"]
    token = await queries.create_token(boss, "test")
    allowed = await client.post("/api/v1/test-write", headers={"Authorization": f"Bearer {token}"})
    assert allowed.status_code == 201 and allowed.json() == {"written": True}


async def test_a_crash_shows_a_chinese_500_without_details(client, make_user, monkeypatch):
    from campaign.home import queries

    async def broken(user):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(queries, "dashboard_for", broken)
    await make_user("boss", "admin")
    await login(client, "boss")
    response = await client.get("/")
    assert response.status_code == 500
    assert "系统出错了" in response.text and "secret internals" not in response.text


async def test_home_is_different_for_each_role(client, make_user):
    await make_user("boss", "admin")
    await make_user("team", "team", team="达叔讲堂")
    await login(client, "boss")
    admin_home = (await client.get("/")).text
    assert 'data-nav="admin"' in admin_home and "为各单位开通账户" in admin_home
    client.cookies.clear()
    await login(client, "team")
    team_home = (await client.get("/")).text
    assert 'data-nav="admin"' not in team_home and "浏览和下载宣传素材" in team_home


async def test_admin_sets_tracking_start_and_it_is_audited(client, make_user):
    await make_user("boss", "admin")
    await login(client, "boss")
    response = await post_form(
        client, "/admin/settings", {"key": "tracked_since", "value": "2026-05-01"}
    )
    assert response.status_code == 302
    assert (await Setting.select().where(Setting.key == "tracked_since").first())[
        "value"
    ] == "2026-05-01"
    assert await AuditEntry.exists().where(AuditEntry.action == "setting.set")


async def test_tracking_start_in_the_future_is_refused_and_kept_in_the_form(client, make_user):
    await make_user("boss", "admin")
    await login(client, "boss")
    response = await post_form(
        client, "/admin/settings", {"key": "tracked_since", "value": "2099-01-01"}
    )
    assert response.status_code == 400
    assert "不能晚于今天" in response.text and 'value="2099-01-01"' in response.text
    assert not await Setting.exists()


async def test_milestones_are_normalised(client, make_user):
    await make_user("boss", "admin")
    await login(client, "boss")
    await post_form(
        client, "/admin/settings", {"key": "milestones.station", "value": "30, 10,100,60"}
    )
    assert (await Setting.select().first())["value"] == "10,30,60,100"


async def test_language_switch_to_english(client, make_user):
    await make_user("boss", "admin")
    await login(client, "boss")
    response = await client.get("/lang/en", headers={"referer": "/"})
    assert response.status_code in (301, 302, 303, 307)
    assert client.cookies.get("campaign_lang") == "en"
    page = (await client.get("/")).text
    assert '<html lang="en">' in page


async def test_favicon_is_served_without_login_or_session(client):
    response = await client.get("/favicon.ico")
    assert response.status_code == 200 and response.headers["content-type"].startswith("image/svg")
    assert "campaign_session" not in response.headers.get("set-cookie", "")
