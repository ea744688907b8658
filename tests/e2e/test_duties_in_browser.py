"""Task lists in a real browser: the 慈溪 leader assigns a task to 白沙路街道, the town coordinator
finds it on the home page and uploads a photo from a 390 px phone, the leader accepts it."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from tests.helpers.browser import log_in

pytestmark = pytest.mark.e2e
BAISHA = "330282005"


def photo() -> dict:
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), (31, 95, 191)).save(buffer, "JPEG")
    return {"name": "宣讲现场.jpg", "mimeType": "image/jpeg", "buffer": buffer.getvalue()}


def test_a_task_from_assignment_to_accepted_evidence(browser, server):
    desk = browser.new_context(base_url=server, viewport={"width": 1280, "height": 900})
    desk.set_default_timeout(15_000)
    leader = desk.new_page()
    log_in(leader, "leader_cixi")
    leader.goto("/duties/measures")
    leader.click("[data-measure='6'] a:has-text('分解下达任务')")
    leader.fill("#f-title", "浏览器测试:开展反诈进校园宣讲")
    # the responsible units: type, choose among the server's matches; each choice is a chip
    for typed, code in (("白沙路", f"town:{BAISHA}"), ("附海", "town:330282108")):
        leader.fill("#units-search", typed)
        option = leader.wait_for_selector(
            f"#units-options option[data-code='{code}']", state="attached"
        )
        leader.fill("#units-search", option.get_attribute("value"))
        leader.wait_for_selector(f"[data-picker-chips] input[value='{code}']", state="attached")
    leader.click("[data-picker-chips] li:has(input[value='town:330282108']) [data-picker-remove]")
    picked = leader.locator("[data-picker-chips] input").evaluate_all("l => l.map(i => i.value)")
    assert picked == [f"town:{BAISHA}"]
    leader.select_option("#f-evidence_kind", "photo")
    leader.click("form[data-form=task] button[type=submit]")
    leader.wait_for_url("**/duties/tasks/*")
    task_url = leader.url
    assert leader.locator("[data-task-status=open]").count() == 1

    phone = browser.new_context(base_url=server, viewport={"width": 390, "height": 844})
    phone.set_default_timeout(15_000)
    coord = phone.new_page()
    log_in(coord, "coord_baisha")
    coord.goto("/")
    coord.click("[data-open-tasks] a:has-text('浏览器测试')")
    assert coord.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )
    coord.set_input_files("#f-file", photo())
    coord.fill("#f-note", "白沙路小学三年级")
    coord.click("form[data-form=evidence] [data-submit]")
    coord.wait_for_selector("[data-task-status=submitted]")
    assert coord.locator("[data-evidence]").count() == 1

    leader.goto(task_url)
    leader.click("[data-accept]")
    leader.wait_for_selector("[data-task-status=accepted]")
    assert "宣讲现场.jpg" in leader.locator("[data-table=evidence]").inner_text()
    desk.close()
    phone.close()
