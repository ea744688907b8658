"""The weekly anti-fraud map in a real browser: a leader opens the latest published week and sees
the district map drawn; the public page fits a 390 px phone without login."""

from __future__ import annotations

import pytest

from campaign.reports.rules import last_complete_week
from campaign.timeutil import today
from tests.helpers.browser import log_in

pytestmark = pytest.mark.e2e


def test_leader_sees_the_map_and_the_public_page_fits_a_phone(browser, server):
    week = last_complete_week(today()).shifted(-1)
    desktop = browser.new_context(
        base_url=server, viewport={"width": 1280, "height": 900}, locale="zh-CN"
    )
    desktop.set_default_timeout(15_000)
    page = desktop.new_page()
    log_in(page, "leader")
    page.goto(f"/bulletins/{week.key}")
    page.wait_for_selector("#bulletin-map canvas")
    assert page.locator("[data-status='published']").count() == 1
    assert page.locator("#chart-trend canvas").count() == 1
    desktop.close()

    phone = browser.new_context(
        base_url=server, viewport={"width": 390, "height": 844}, locale="zh-CN"
    )
    phone.set_default_timeout(15_000)
    public = phone.new_page()
    public.goto("/public/bulletin")
    assert public.locator(f"[data-public-week='{week.key}']").count() == 1
    public.wait_for_selector("#bulletin-map canvas")
    assert public.evaluate("document.documentElement.scrollWidth") <= 390
    phone.close()
