"""Contests and the leadership view in a real browser: the demo contests' standings expand an
explanation and draw a trend chart; the wall screen fits 1920×1080 and keeps its clock ticking."""

from __future__ import annotations

import pytest

from tests.helpers.browser import log_in

pytestmark = pytest.mark.e2e


def test_admin_expands_a_score_explanation_and_sees_the_trend_chart(page):
    log_in(page, "admin")
    page.goto("/contests")
    page.click("text=慈溪市镇街控案竞赛")
    page.wait_for_selector("[data-board=red] li[data-code]")
    page.wait_for_load_state("networkidle")  # htmx (deferred) is ready
    first = page.locator("[data-explain-button]").first
    code = first.get_attribute("data-explain-button")
    first.click()
    page.wait_for_selector(f"[data-explain='{code}'] [data-part]")
    contributions = page.locator(f"[data-explain='{code}'] [data-part]").evaluate_all(
        "rows => rows.map(r => parseFloat(r.dataset.contribution))"
    )
    total = float(page.locator(f"[data-explain='{code}'] [data-total]").inner_text())
    assert abs(sum(contributions) - total) < 0.011
    page.wait_for_selector("[data-trend] .chart svg")


def test_wall_screen_fits_a_1920_by_1080_screen_without_navigation(browser, server):
    context = browser.new_context(base_url=server, viewport={"width": 1920, "height": 1080})
    page = context.new_page()
    try:
        log_in(page, "leader")
        page.goto("/leaders/wall")
        page.wait_for_selector("[data-streak-board=town]")
        assert page.locator("nav, .sidenav").count() == 0
        size = page.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.scrollHeight]"
        )
        assert size == [1920, 1080]
        before = page.locator("[data-clock]").inner_text()
        page.wait_for_timeout(1100)
        assert page.locator("[data-clock]").inner_text() != before
    finally:
        context.close()
