"""The shell on a 390 px phone, for every demo role: the daily actions sit in a bottom bar, 更多
opens every entry, and no page or bar scrolls sideways; the coverage map survives being resized."""

from __future__ import annotations

import re

import pytest

from campaign.web import NAV
from tests.helpers.browser import log_in

pytestmark = pytest.mark.e2e
PHONE = {"width": 390, "height": 844}

#: Demo login → (role, the bar's daily actions, pages the role works on).
ROLES = {
    "admin": ("admin", ["home", "cases", "streaks", "admin"], ["/cases", "/events", "/materials"]),
    "leader": ("leader", ["home", "leaders", "streaks", "contests"], ["/leaders", "/contests"]),
    "leader_cixi": ("leader", ["home", "leaders", "streaks", "contests"], ["/streaks"]),
    "coord_baisha": (
        "coordinator",
        ["home", "log-event", "cases", "streaks"],
        ["/events/new", "/cases/new", "/streaks", "/contests", "/events"],
    ),
    "coord_fuhai": (
        "coordinator",
        ["home", "warnings", "log-event", "cases"],
        ["/warnings", "/streaks"],
    ),
    "team_dashu": (
        "team",
        ["home", "materials", "upload-material", "material-orders"],
        ["/materials/new"],
    ),
}

SIDEWAYS = """() => {
  const out = [];
  if (document.documentElement.scrollWidth > window.innerWidth) out.push('page ' + document.documentElement.scrollWidth);
  for (const e of document.querySelectorAll('body *')) {
    const s = getComputedStyle(e);
    if (e.checkVisibility() && ['auto', 'scroll'].includes(s.overflowX) && e.scrollWidth > e.clientWidth + 1)
      out.push(e.tagName + '.' + e.className + ' ' + e.scrollWidth + '/' + e.clientWidth);
  }
  return out;
}"""


def test_every_role_finds_its_daily_actions_on_a_phone_and_nothing_scrolls_sideways(
    browser, server
):
    for username, (role, tabs, pages) in ROLES.items():
        context = browser.new_context(base_url=server, viewport=PHONE, locale="zh-CN")
        page = context.new_page()
        log_in(page, username)
        page.wait_for_url(re.compile(r"/$"))
        bar = page.locator("nav.phonebar")
        assert page.locator("nav.sidenav").is_hidden()
        shown = bar.locator("[data-phone-tab]").evaluate_all("e => e.map(x => x.dataset.phoneTab)")
        assert shown == tabs, username
        box = bar.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
        assert box["y"] + box["height"] <= PHONE["height"] + 1  # pinned to the bottom
        for tab in bar.locator("[data-phone-tab], summary").all():
            assert tab.bounding_box()["height"] >= 44  # a thumb's tap target
        # 更多 opens every entry of the role's navigation, whatever modules have landed.
        sheet = bar.locator(".sheet")
        assert sheet.is_hidden()
        bar.locator("summary").click()
        assert sheet.is_visible()
        listed = sheet.locator("[data-more-nav]").evaluate_all("e => e.map(x => x.dataset.moreNav)")
        assert listed[:-1] == [item.key for item in NAV if role in item.roles], username
        assert page.evaluate(SIDEWAYS) == [], f"{username} home"
        for path in pages:
            page.goto(path)
            assert page.evaluate(SIDEWAYS) == [], f"{username} {path}"
        context.close()


def test_coverage_map_survives_being_squeezed_and_resized(browser, server):
    """The map used to throw `Cannot read properties of null (reading '0')` when a resize came
    while its box had no size; the console-error check of every browser test catches it."""
    context = browser.new_context(base_url=server, viewport=PHONE, locale="zh-CN")
    page = context.new_page()
    log_in(page, "coord_fuhai")
    page.wait_for_url(re.compile(r"/$"))
    page.goto("/events/coverage?days=30")
    page.wait_for_selector("#coverage-map canvas")
    page.evaluate("document.getElementById('coverage-map').style.width = '0px'")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.wait_for_timeout(300)
    page.evaluate("document.getElementById('coverage-map').style.width = ''")
    page.set_viewport_size(PHONE)
    page.wait_for_timeout(300)
    assert page.locator("#coverage-map canvas").count() == 1
    context.close()
