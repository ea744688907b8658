"""Each demo role, in a real browser: logging in, what the shell shows them, and the admin's pages."""

from __future__ import annotations

import re

import pytest

from campaign.web import NAV
from tests.helpers.browser import log_in

pytestmark = pytest.mark.e2e

#: Demo login → (role, unit shown on the home page).
DEMO_LOGINS = {
    "admin": ("admin", "全市"),
    "leader": ("leader", "全市"),
    "leader_cixi": ("leader", "慈溪市"),
    "coord_baisha": ("coordinator", "白沙路街道"),
    "coord_fuhai": ("coordinator", "附海派出所"),
    "team_dashu": ("team", "全市"),
}
#: What the product promises whatever modules land: everyone shares these entries …
EVERYONE_SEES = {"home", "materials", "regions"}
#: … and some entries are for some roles only.
NEVER_SEEN_BY = {
    "leader": {"admin"},
    "coordinator": {"admin"},
    "team": {"admin", "streaks", "contests", "warnings"},  # no case data for propaganda teams
}


def expected_nav(role: str) -> list[str]:
    """The shell shows exactly NAV's entries for the role, in NAV's order."""
    return [item.key for item in NAV if role in item.roles]


def nav_keys(page) -> list[str]:
    return page.locator("nav.sidenav [data-nav]").evaluate_all(
        "items => items.map(item => item.dataset.nav)"
    )


@pytest.mark.parametrize("username", DEMO_LOGINS)
def test_each_demo_login_lands_home_with_its_own_navigation_role_and_unit(page, username):
    role, unit = DEMO_LOGINS[username]
    log_in(page, username)
    page.wait_for_url(re.compile(r"/$"))
    shown = nav_keys(page)
    assert shown == expected_nav(role)
    assert set(shown) >= EVERYONE_SEES
    assert not NEVER_SEEN_BY.get(role, set()) & set(shown)
    assert page.locator(".topbar [data-role]").get_attribute("data-role") == role
    assert page.locator(".page-head .sub").inner_text().endswith(unit)
    assert ("系统管理" in page.locator("nav.sidenav").inner_text()) == (role == "admin")


def test_wrong_password_keeps_the_username_and_says_so_in_chinese(page):
    log_in(page, "coord_baisha", "not-the-password1")
    assert page.locator(".flash.error[role=alert]").inner_text() == "用户名或密码错误,或账户已停用"
    assert page.input_value("#f-username") == "coord_baisha"
    assert page.url.endswith("/login")


def test_logout_returns_to_the_login_page_and_closes_the_session(page):
    log_in(page, "leader")
    page.wait_for_url(re.compile(r"/$"))
    page.click("form[action='/logout'] button")
    page.wait_for_url(re.compile(r"/login$"))
    page.goto("/account")
    assert "/login?next=/account" in page.url


def test_admin_creates_a_coordinator_in_the_browser_and_finds_it_in_the_list(page):
    log_in(page, "admin")
    page.wait_for_url(re.compile(r"/$"))
    page.goto("/admin/users/new")
    page.fill("#f-username", "e2e_zhou")
    page.fill("#f-password", "zhou2026pass")
    page.fill("#f-password2", "zhou2026pass")
    page.fill("#f-display_name", "周协调员")
    page.select_option("#f-role", "coordinator")
    # the unit picker: type, let the server offer districts, towns and stations, choose one
    page.fill("#unit-search", "白沙路")
    option = page.wait_for_selector(
        "#unit-options option[data-code='town:330282005']", state="attached"
    )
    page.fill("#unit-search", option.get_attribute("value"))
    assert page.input_value("input[name=unit]") == "town:330282005"
    page.click("form.card button.primary[type=submit]")
    page.wait_for_url(re.compile(r"/admin/users/\d+$"))
    assert "已创建用户 e2e_zhou" in page.locator(".flash.success").inner_text()
    page.goto("/admin/users?q=e2e_zhou")
    row = page.locator("tr[data-user='e2e_zhou']")
    assert "周协调员" in row.inner_text() and "白沙路街道" in row.inner_text()


def test_admin_user_form_shows_errors_beside_fields_and_keeps_the_input(page):
    log_in(page, "admin")
    page.wait_for_url(re.compile(r"/$"))
    page.goto("/admin/users/new")
    page.fill("#f-username", "x")
    page.fill("#f-display_name", "某人")
    page.click("form.card button.primary[type=submit]")
    assert page.locator(".field.invalid #e-username").is_visible()
    assert page.locator(".field.invalid #e-password").is_visible()
    assert page.input_value("#f-display_name") == "某人"


def test_live_search_on_users_filters_rows_without_reloading_the_page(page):
    log_in(page, "admin")
    page.wait_for_url(re.compile(r"/$"))
    page.goto("/admin/users")
    assert page.locator("tr[data-user]").count() >= 6
    page.evaluate("window.notReloaded = true")
    page.fill("#q", "fuhai")
    page.wait_for_function("() => document.querySelectorAll('tr[data-user]').length === 1")
    assert page.locator("tr[data-user]").get_attribute("data-user") == "coord_fuhai"
    assert page.evaluate("window.notReloaded") is True
    assert "q=fuhai" in page.url  # hx-push-url keeps the filter shareable


def test_switching_to_english_translates_the_navigation(page):
    log_in(page, "coord_baisha")
    page.wait_for_url(re.compile(r"/$"))
    page.goto("/lang/en")
    page.goto("/")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("[data-nav=home]").inner_text() == "Dashboard"
    assert page.locator("a[data-nav=regions]").inner_text() == "Regions & stations"
    page.goto("/lang/zh_CN")
    page.goto("/")
    assert page.locator("[data-nav=home]").inner_text() == "工作台"


def test_unknown_page_says_so_in_chinese_inside_the_logged_in_shell(page):
    log_in(page, "team_dashu")
    page.wait_for_url(re.compile(r"/$"))
    response = page.goto("/no-such-page")
    assert response.status == 404
    assert page.locator(".error-page h1").inner_text() == "页面不存在"
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert page.locator("a[data-nav=materials]").count() >= 1
    assert page.locator("form[action='/logout']").count() == 1
