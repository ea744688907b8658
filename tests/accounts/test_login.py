"""Logging in and out: the right person gets in, nobody learns which part was wrong, guessing slows down."""

from __future__ import annotations

from piccolo.apps.user.tables import BaseUser

from campaign.accounts.tables import LoginFailure
from tests.helpers.passwords import PRODUCTION_PBKDF2_ROUNDS
from tests.helpers.web import PASSWORD, login, post_form


def test_password_kdf_is_pbkdf2_with_at_least_600k_rounds():
    assert PRODUCTION_PBKDF2_ROUNDS >= 600_000
    stored = BaseUser.hash_password("secret123", iterations=1000)
    assert stored.startswith("pbkdf2_sha256$1000$") and "secret123" not in stored


async def test_anonymous_visitor_is_sent_to_login_with_next(client):
    response = await client.get("/account?tab=tokens")
    assert response.status_code == 302
    assert response.headers["location"].startswith("/login?next=/account")


async def test_login_then_home_shows_name_and_role(client, make_user):
    await make_user("zhang", "leader")
    response = await login(client, "zhang")
    assert response.headers["location"] == "/"
    home = await client.get("/")
    assert home.status_code == 200
    assert "你好,zhang" in home.text and 'data-role="leader"' in home.text


async def test_wrong_password_and_unknown_user_get_the_same_message(client, make_user):
    await make_user("li")
    wrong = await post_form(client, "/login", {"username": "li", "password": "nope12345"})
    unknown = await post_form(client, "/login", {"username": "nobody", "password": "nope12345"})
    assert wrong.status_code == unknown.status_code == 400
    assert "用户名或密码错误" in wrong.text and "用户名或密码错误" in unknown.text
    assert 'value="li"' in wrong.text  # what was typed is kept


async def test_repeated_failures_slow_down_the_account_even_with_the_right_password(
    client, make_user
):
    await make_user("wang")
    for _ in range(5):
        await post_form(client, "/login", {"username": "wang", "password": "wrong-pass-1"})
    locked = await post_form(client, "/login", {"username": "wang", "password": PASSWORD})
    assert locked.status_code == 429
    assert "尝试次数过多" in locked.text
    assert await LoginFailure.exists().where(LoginFailure.key == "user:wang")


async def test_failures_from_one_address_slow_down_every_account_tried_from_it(client, make_user):
    await make_user("zhao")
    for i in range(5):
        await post_form(client, "/login", {"username": f"guess{i}", "password": "wrong-pass-1"})
    blocked = await post_form(client, "/login", {"username": "zhao", "password": PASSWORD})
    assert blocked.status_code == 429


async def test_deactivated_user_cannot_log_in(client, make_user):
    from campaign.accounts import queries

    user_id = await make_user("sun")
    await queries.set_active(user_id, False)
    response = await post_form(client, "/login", {"username": "sun", "password": PASSWORD})
    assert response.status_code == 400


async def test_login_ignores_offsite_next(client, make_user):
    await make_user("qian")
    response = await post_form(
        client,
        "/login",
        {"username": "qian", "password": PASSWORD, "next": "https://evil.example/"},
    )
    assert response.headers["location"] == "/"


async def test_logout_ends_the_session(client, make_user):
    await make_user("zhou")
    await login(client, "zhou")
    await post_form(client, "/logout")
    assert (await client.get("/")).status_code == 302


async def test_forged_session_cookie_is_treated_as_expired(client, make_user):
    client.cookies.set("campaign_session", "forged-session-id")
    response = await client.get("/")
    assert response.status_code == 302
    assert "expired=1" in response.headers["location"]
    page = await client.get(response.headers["location"])
    assert "登录已过期" in page.text


async def test_post_without_csrf_token_is_refused_in_chinese(client, make_user):
    await make_user("wu")
    await login(client, "wu")
    response = await client.post("/account/tokens", data={"name": "x"})
    assert response.status_code == 403
    assert "安全令牌" in response.text
