"""The streak boards in a real browser: the searchable district picker and htmx filters swap the
rows and offer the district's towns; a coordinator's unit page reads on a phone without sideways
scrolling."""

from __future__ import annotations

import pytest

from tests.helpers.browser import log_in

pytestmark = pytest.mark.e2e


def test_leader_filters_the_village_board_by_district_and_town(page):
    log_in(page, "leader")
    page.goto("/streaks?level=village")
    page.wait_for_selector("[data-board=village] tr[data-code]")
    # the district picker: type, let the server offer matches, choose 慈溪市
    page.fill("#district-search", "慈溪")
    option = page.wait_for_selector(
        "#district-options option[data-code='330282']", state="attached"
    )
    page.fill("#district-search", option.get_attribute("value"))
    page.wait_for_selector("#town option[value='330282005']", state="attached")
    codes = page.locator("[data-board=village] tr[data-code]").evaluate_all(
        "rows => rows.map(r => r.dataset.code)"
    )
    assert codes and all(code.startswith("330282") for code in codes)
    page.select_option("#town", "330282005")
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-board=village] tr[data-code]')]"
        ".every(r => r.dataset.code.startsWith('330282005'))"
    )
    assert "town=330282005" in page.url


def test_coordinator_unit_page_fits_a_phone(browser, server):
    context = browser.new_context(base_url=server, viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        log_in(page, "coord_fuhai")
        page.goto("/streaks/station/PS330282108")
        page.wait_for_selector("[data-heatmap] .cal-grid")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390
        assert page.locator("[data-stat=current]").inner_text().strip()
    finally:
        context.close()
