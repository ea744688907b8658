"""Cases in a real browser: a coordinator finds a village by name and records a case; an admin
filters the list."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from campaign.timeutil import today
from tests.helpers.browser import log_in

pytestmark = pytest.mark.e2e


def test_coordinator_records_a_case_picking_the_village_by_name(page):
    log_in(page, "coord_baisha")
    page.goto("/cases/new")
    page.fill("#f-case_no", f"E2E{dt.datetime.now():%H%M%S%f}")
    page.fill("#f-occurred_at", f"{today().isoformat()}T09:30")
    page.locator("#f-region_code").press_sequentially("白果树")
    page.wait_for_selector("#place-options option[data-place]", state="attached")
    code = page.locator("#place-options option[data-place]").first.get_attribute("value")
    page.fill("#f-region_code", code)
    page.select_option("#f-fraud_type", "兼职刷单")
    page.fill("#f-loss_yuan", "1200")
    page.click("form[data-form=case] button.primary")
    page.wait_for_url(re.compile(r".*/cases/\d+$"))
    assert page.locator(".flash.success").count() == 1
    assert page.locator("#f-region_code").input_value() == code


def test_admin_filters_the_case_list_without_reloading(page):
    log_in(page, "admin")
    page.goto("/cases")
    assert page.locator("tr[data-case]").count() == 50
    page.select_option("#fraud_type", "冒充亲友")
    page.wait_for_function(
        "() => [...document.querySelectorAll('tr[data-case]')].length > 0 && "
        "location.search.includes('fraud_type')"
    )
    types = page.locator("tr[data-case] .badge.accent").all_inner_texts()
    assert types and set(types) == {"冒充亲友"}
