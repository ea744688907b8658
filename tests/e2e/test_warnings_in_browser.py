"""Warnings in a real browser: a station's board is open, the platform pushes a warning through
the API, it appears without a reload, and the duty officer acknowledges it, records the contact
and closes it as 止付; the station's figures and the home card move."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from tests.helpers.browser import log_in

pytestmark = pytest.mark.e2e


def api_token(browser, server) -> str:
    context = browser.new_context(base_url=server, locale="zh-CN")
    page = context.new_page()
    log_in(page, "admin")
    page.goto("/account")
    page.fill("form[action='/account/tokens'] input[name=name]", "platform")
    page.click("form[action='/account/tokens'] button[type=submit]")
    token = page.locator("[data-new-token]").inner_text().strip()
    context.close()
    return token


def stopped_yuan(page) -> float:
    page.goto("/warnings/figures?level=station")
    cell = page.locator('tr[data-unit="PS330282108"] [data-figure="stopped"]')
    return float(cell.inner_text().replace(",", ""))


def home_stopped_wan(page) -> float:
    page.goto("/")
    return float(page.locator('[data-stat="warnings-stopped"]').inner_text().replace(",", ""))


def test_a_pushed_warning_appears_live_and_is_closed_as_stopped(page, browser, server):
    token = api_token(browser, server)
    log_in(page, "coord_fuhai")
    before = stopped_yuan(page)
    home_before = home_stopped_wan(page)
    page.goto("/warnings")
    page.wait_for_selector('[data-live-state="live"]')
    number = f"E2E{dt.datetime.now():%H%M%S%f}"
    issued = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).strftime("%Y-%m-%d %H:%M:%S")
    response = page.request.post(
        f"{server}/api/v1/warnings",
        headers={"Authorization": f"Bearer {token}"},
        data={
            "warning_id": number,
            "issued_at": issued,
            "risk_level": "高",
            "phone": "13812345678",
            "region_code": "330282108",
            "fraud_type": "刷单",
            "amount_yuan": "50000",
        },
    )
    assert response.status == 201, response.text()
    row = page.locator(f'tr[data-warning="{number}"]')
    row.wait_for()  # arrived over server-sent events, no reload
    assert "138****5678" in row.inner_text() and "13812345678" not in page.content()
    row.locator('[data-action="acknowledge"]').click()
    page.wait_for_selector(f'tr[data-warning="{number}"][data-status="acknowledged"]')
    page.locator(f'tr[data-warning="{number}"] [data-action="open"]').click()
    page.wait_for_url(re.compile(r".*/warnings/\d+$"))
    page.select_option("form[data-form=attempt] select[name=method]", "visit")
    page.check("form[data-form=attempt] input[name=reached]")
    page.fill("form[data-form=attempt] input[name=result]", "上门劝阻,当事人已认可")
    page.click("form[data-form=attempt] button[type=submit]")
    page.wait_for_selector('[data-step="contacted"].done')
    page.select_option("form[data-form=close] select[name=method]", "several")
    page.select_option("form[data-form=close] select[name=outcome]", "stopped")
    page.fill("form[data-form=close] input[name=amount]", "30000")
    page.click('[data-action="close"]')
    page.wait_for_selector('[data-outcome="stopped"]')
    assert stopped_yuan(page) == pytest.approx(before + 30000)
    assert home_stopped_wan(page) == pytest.approx(home_before + 3.0)  # 万元 on the home card
