"""Outreach events in a real browser: a town coordinator logs a lecture on a 390 px phone (the
draft survives a dropped network), an administrator above verifies it, and the totals and the
coverage change."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image

from campaign.timeutil import today
from tests.helpers.browser import log_in

pytestmark = pytest.mark.e2e
BAISHA = "330282005"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def photo() -> dict:
    buffer = io.BytesIO()
    Image.new("RGB", (800, 600), (31, 95, 191)).save(buffer, "JPEG")
    return {"name": "现场.jpg", "mimeType": "image/jpeg", "buffer": buffer.getvalue()}


def context(browser, server, viewport):
    ctx = browser.new_context(base_url=server, viewport=viewport, locale="zh-CN")
    ctx.set_default_timeout(15_000)
    return ctx


def figure(page, unit: str, column: str) -> int:
    cell = page.locator(f"tr[data-unit='{unit}'] td[data-col='{column}']")
    return int(cell.inner_text().replace(",", "")) if cell.count() else 0


def test_coordinator_logs_on_a_phone_admin_verifies_totals_and_coverage_change(
    browser, server, tmp_path
):
    phone = context(browser, server, PHONE)
    page = phone.new_page()
    log_in(page, "coord_baisha")
    page.goto(f"/events/coverage?town={BAISHA}&days=30")
    village = page.locator("tr[data-village]").first
    code = village.get_attribute("data-village")
    name = village.locator("td").first.inner_text().strip()

    page.goto("/events/new")
    page.click("label.chip:has-text('宣讲/讲堂')")
    assert page.locator("[data-figure=households]").is_hidden()
    page.click("[data-place-change]")
    page.fill("#place-search", name)
    page.click(f"[data-place-option='{code}']")
    page.fill("#f-attendees", "88")
    page.fill("#f-installs", "20")
    page.click("label.chip:has-text('老人')")
    assert page.get_attribute("#f-attendees", "inputmode") == "numeric"

    # The network drops mid-submit: nothing typed is lost.
    phone.set_offline(True)
    page.click("[data-submit]")
    page.wait_for_timeout(500)
    phone.set_offline(False)
    page.goto("/events/new")
    assert page.locator("[data-draft-restored]").is_visible()
    assert page.input_value("#f-attendees") == "88"
    assert page.input_value("[data-place-code]") == code
    page.set_input_files("#f-photos", files=[photo()])
    page.screenshot(path=str(tmp_path / "event-form-390.png"), full_page=True)
    page.click("[data-submit]")
    page.wait_for_url(re.compile(r"/events/\d+\?saved="))
    event_url = page.url.split("?")[0]
    assert page.locator("[data-status-badge=submitted]").count() == 1
    assert page.locator(".gallery img").count() == 1
    drafts = page.evaluate(
        "Object.keys(localStorage).filter(k => k.startsWith('event-draft')).length"
    )
    assert drafts == 0
    assert page.locator("[data-verify]").count() == 0  # nobody verifies their own event
    page.screenshot(path=str(tmp_path / "event-detail-390.png"), full_page=True)
    phone.close()

    desk = context(browser, server, DESKTOP)
    admin = desk.new_page()
    log_in(admin, "admin")
    day = today().isoformat()
    totals_url = f"/events/totals?level=town&from={day}&to={day}"
    admin.goto(totals_url)
    lectures, attendees = figure(admin, BAISHA, "lectures"), figure(admin, BAISHA, "attendees")
    admin.goto(f"/events/coverage?town={BAISHA}&days=30")
    assert admin.locator(f"tr[data-village='{code}']").count() == 1

    admin.goto(event_url)
    admin.click("[data-verify]")
    admin.wait_for_selector("[data-status-badge=verified]")

    admin.goto(totals_url)
    assert figure(admin, BAISHA, "lectures") == lectures + 1
    assert figure(admin, BAISHA, "attendees") == attendees + 88
    admin.screenshot(path=str(tmp_path / "event-totals-1280.png"), full_page=True)
    admin.goto(f"/events/coverage?town={BAISHA}&days=30")
    assert admin.locator(f"tr[data-village='{code}']").count() == 0
    admin.goto("/events/coverage")
    admin.wait_for_selector("#coverage-map canvas")
    admin.screenshot(path=str(tmp_path / "event-coverage-1280.png"), full_page=True)
    desk.close()
