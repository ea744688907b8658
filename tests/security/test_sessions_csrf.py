"""Sessions only the server issues, renewed at login; CSRF tokens bound to the session, checked
before a body is read, with anchored exclusions (issue 15, items 2 and 7)."""

from __future__ import annotations

import httpx

from campaign.security import EXEMPT
from campaign.settings import get_settings
from tests.helpers.web import PASSWORD, csrf_token, login, post_form

INVENTED = "a" * 64


def _client(app, **cookies) -> httpx.AsyncClient:
    c = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
    for key, value in cookies.items():
        c.cookies.set(key, value)
    return c


def _session_files() -> set[str]:
    folder = get_settings().var_dir / "sessions"
    return {p.name for p in folder.iterdir()} if folder.exists() else set()


async def test_a_session_id_chosen_by_the_client_is_never_used(app, make_user):
    await make_user("boss", "admin")
    async with _client(app, campaign_session=INVENTED) as victim:
        issued = (await login(victim, "boss")).cookies.get("campaign_session")
        assert issued not in (None, "", "null", INVENTED)
        victim.cookies.clear()
        victim.cookies.set("campaign_session", issued)
        assert (await victim.get("/account")).status_code == 200
    async with _client(app, campaign_session=INVENTED) as attacker:
        answer = await attacker.get("/account")
        assert answer.status_code == 302 and "/login" in answer.headers["location"]


async def test_login_and_password_change_issue_a_new_session_id(client, make_user):
    await make_user("zhou", "leader")
    await login(client, "zhou")
    first = client.cookies.get("campaign_session")
    await login(client, "zhou")  # logging in again over a live session
    second = client.cookies.get("campaign_session")
    assert first != second
    await client.get("/account")
    changed = await post_form(
        client,
        "/account/password",
        {"old": PASSWORD, "new": "another-pass-9", "new2": "another-pass-9"},
    )
    assert changed.status_code == 302
    assert client.cookies.get("campaign_session") not in (second, None)
    assert (await client.get("/account")).status_code == 200


async def test_anonymous_requests_store_no_session(client):
    before = _session_files()
    for path in ("/login", "/login?next=/cases", "/healthz", "/no-such-page"):
        await client.get(path)
    client.cookies.set("campaign_session", INVENTED)
    await client.get("/login")
    assert _session_files() == before


async def test_csrf_token_of_another_session_is_refused(app, make_user):
    await make_user("alice", "admin")
    await make_user("bob", "admin")
    async with _client(app) as alice, _client(app) as bob:
        await login(alice, "alice")
        await login(bob, "bob")
        await alice.get("/account")
        await bob.get("/account")
        stolen = csrf_token(alice)
        assert stolen and stolen != csrf_token(bob)
        bob.cookies.set("campaign_csrf", stolen)  # planted, e.g. from a sibling subdomain
        answer = await bob.post("/account/tokens", data={"name": "x", "_csrf_token": stolen})
        assert answer.status_code == 403
        assert "安全令牌" in answer.text


async def test_the_token_from_before_login_is_replaced(client, make_user):
    await make_user("wu", "admin")
    await client.get("/login")
    anonymous = csrf_token(client)
    await login(client, "wu")
    assert csrf_token(client) != anonymous
    client.cookies.set("campaign_csrf", anonymous)
    answer = await client.post("/account/tokens", data={"name": "x", "_csrf_token": anonymous})
    assert answer.status_code == 403


def test_exclusions_are_anchored():
    for path in ("/api/v1/me", "/healthz", "/readyz", "/schema", "/schema/openapi.json"):
        assert EXEMPT.match(path), path
    for path in ("/regions/healthz", "/cases/api/", "/x/schema", "/healthz/more", "/apix"):
        assert not EXEMPT.match(path), path


async def test_post_to_a_path_containing_healthz_needs_a_token(client, make_user):
    await make_user("root", "admin")
    await login(client, "root")
    answer = await client.post("/regions/healthz", data={"name": "x"})
    assert answer.status_code == 403


async def test_forged_upload_is_refused_before_its_body_is_read(client, make_user):
    await make_user("adm", "admin")
    await login(client, "adm")
    client.cookies.delete("campaign_csrf")
    chunks_read = 0

    async def body():
        nonlocal chunks_read
        for _ in range(50):
            chunks_read += 1
            yield b"x" * 65536

    answer = await client.post(
        "/admin/import",
        content=body(),
        headers={"content-type": "multipart/form-data; boundary=zzz"},
    )
    assert answer.status_code == 403
    assert chunks_read <= 1


def _session_stamps() -> dict[str, int]:
    folder = get_settings().var_dir / "sessions"
    return {p.name: p.stat().st_mtime_ns for p in folder.iterdir()} if folder.exists() else {}


async def test_a_bearer_token_request_neither_loads_nor_writes_a_session(client, make_user):
    from campaign.accounts import queries

    await make_user("boss", "admin")
    token = await queries.create_token(await make_user("platform", "admin"), "push")
    await login(client, "boss")
    assert (await client.get("/api/v1/me")).json()["username"] == "boss"
    before = _session_stamps()
    bearer = {"Authorization": f"Bearer {token}"}
    for _ in range(3):
        answer = await client.get("/api/v1/me", headers=bearer)  # the session cookie goes along
        assert answer.json()["username"] == "platform"
        assert "set-cookie" not in answer.headers
    assert _session_stamps() == before  # nothing renewed, rewritten or deleted
    assert (await client.get("/api/v1/me")).json()["username"] == "boss"  # the session lives
