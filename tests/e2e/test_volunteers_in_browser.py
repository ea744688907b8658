"""Volunteers on a 390 px phone: a propagandist's QR link, sign-up, check-in at an event by its
QR link, the daily quiz, and both leaderboards move."""

from __future__ import annotations

import re

import pytest

from tests.helpers.browser import log_in

pytestmark = pytest.mark.e2e
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
BAISHA = "330282005"


def context(browser, server, viewport):
    ctx = browser.new_context(base_url=server, viewport=viewport, locale="zh-CN")
    ctx.set_default_timeout(15_000)
    return ctx


def board_points(page, board: str, person: str) -> int:
    page.goto(f"/v/boards?board={board}&period=w&scope=town&code={BAISHA}")
    row = page.locator(f"ol[data-board='{board}'] li[data-person='{person}'] [data-points]")
    return int(row.inner_text().replace(",", "")) if row.count() else 0


def no_sideways_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, page.url


def test_qr_sign_up_check_in_quiz_and_both_boards_move(browser, server, tmp_path):
    desk = context(browser, server, DESKTOP)
    admin = desk.new_page()
    log_in(admin, "admin")
    admin.goto("/volunteers/quiz")
    answers = {
        row.get_attribute("data-question-id"): row.get_attribute("data-answer")
        for row in admin.locator("tr[data-question-id]").all()
    }
    assert len(answers) >= 3
    admin.close()
    desk.clear_cookies()
    staff = desk.new_page()
    log_in(staff, "coord_baisha")
    staff.goto("/volunteers")
    join_url = staff.get_attribute("[data-join-url]", "data-join-url")
    propagandist = staff.get_attribute("[data-my-propagandist]", "data-my-propagandist")
    before = board_points(staff, "p", propagandist)

    phone = context(browser, server, PHONE)
    page = phone.new_page()
    page.goto(join_url)
    no_sideways_scroll(page)
    page.fill("#f-nickname", "王小丫")
    page.fill("#f-phone", "13700001111")
    page.select_option("#f-village", index=1)
    page.click("[data-join]")
    page.wait_for_url(re.compile(r"/v/me"))
    assert page.locator("[data-welcome]").is_visible()
    no_sideways_scroll(page)

    # The coordinator logs an event happening now; its detail page shows the check-in code.
    staff.goto("/events/new")
    staff.click("label.chip:has-text('宣讲/讲堂')")
    staff.fill("#f-attendees", "60")
    staff.click("[data-submit]")
    staff.wait_for_url(re.compile(r"/events/\d+"))
    event_id = re.search(r"/events/(\d+)", staff.url).group(1)
    assert staff.locator("[data-checkin-qr] img").count() == 1
    staff.goto(f"/volunteers/events/{event_id}/checkin")
    checkin_url = staff.get_attribute("[data-checkin-url]", "data-checkin-url")

    page.goto(checkin_url)
    page.click("[data-checkin]")
    assert page.locator("[data-checkin-result='ok']").is_visible()

    page.goto("/v/quiz")
    for fieldset in page.locator("fieldset[data-question]").all():
        qid = fieldset.get_attribute("data-question")
        fieldset.locator(f"input[value='{answers[qid]}']").check()
    page.click("[data-submit-quiz]")
    assert page.locator("[data-quiz-result='passed']").is_visible()
    no_sideways_scroll(page)

    page.goto(f"/v/boards?board=v&period=w&scope=town&code={BAISHA}")
    assert page.locator("[data-my-position]").inner_text().startswith("我的排名")
    assert page.locator("li.me [data-points]").inner_text() == "40"
    no_sideways_scroll(page)
    page.screenshot(path=str(tmp_path / "boards-390.png"), full_page=True)
    assert board_points(staff, "p", propagandist) == before + 20
    staff.goto(f"/events/{event_id}")
    assert "扫码签到 1 人" in staff.locator("[data-checkin-qr]").inner_text()
    phone.close()
    desk.close()
