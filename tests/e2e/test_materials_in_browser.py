"""The materials supermarket in a real browser: a team uploads a poster and a video, an admin
approves them, the team finds them by search, plays the video with seeking and downloads the poster."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from tests.helpers.browser import log_in
from tests.helpers.materials import FIXTURES

pytestmark = pytest.mark.e2e


def upload(page, kind: str, title: str, path) -> str:
    page.goto("/materials/new")
    page.check(f"input[name=kind][value={kind}]")
    page.fill("#f-title", title)
    page.check("input[name=fraud_types][value='兼职刷单']")
    page.set_input_files("#f-file", str(path))
    page.click("form[data-form=material] button[type=submit]")
    page.wait_for_url("**/materials/*")
    assert page.locator("[data-status=pending]").count() == 1
    return page.url.rsplit("/", 1)[-1]


def test_upload_approve_search_play_and_download(browser, server, tmp_path):
    poster_path = tmp_path / "海报.png"
    buffer = io.BytesIO()
    Image.new("RGB", (300, 400), "navy").save(buffer, "PNG")
    poster_path.write_bytes(buffer.getvalue())

    team = browser.new_context(
        base_url=server, viewport={"width": 1280, "height": 900}, accept_downloads=True
    )
    team.set_default_timeout(15_000)
    page = team.new_page()
    log_in(page, "team_dashu")
    poster_id = upload(page, "poster", "浏览器测试海报甲", poster_path)
    video_id = upload(page, "video", "浏览器测试视频甲", FIXTURES / "tiny.mp4")

    admin = browser.new_context(base_url=server, viewport={"width": 1280, "height": 900})
    admin.set_default_timeout(15_000)
    review = admin.new_page()
    log_in(review, "admin")
    for material_id in (poster_id, video_id):
        review.goto(f"/materials/{material_id}")
        review.click("[data-approve]")
        review.wait_for_selector("[data-material][data-status=approved]")
    admin.close()

    page.goto("/materials")
    page.fill("#q", "浏览器测试")
    page.wait_for_function("document.querySelectorAll('#shop-grid [data-material]').length === 2")
    found = page.locator("#shop-grid [data-material]").evaluate_all(
        "els => els.map(e => e.dataset.material)"
    )
    assert sorted(found) == sorted([poster_id, video_id])

    page.click(f"#shop-grid [data-material='{video_id}'] h3 a")
    video = page.locator("video[data-player]")
    video.wait_for()
    page.wait_for_function("document.querySelector('video').readyState >= 1")
    assert page.evaluate("document.querySelector('video').duration") == pytest.approx(4, abs=0.3)
    page.evaluate(
        """() => new Promise(done => { const v = document.querySelector('video');
           v.addEventListener('seeked', done, {once: true}); v.currentTime = 2.5; })"""
    )
    assert page.evaluate("document.querySelector('video').currentTime") == pytest.approx(
        2.5, abs=0.3
    )
    page.evaluate(
        "document.querySelector('video').muted = true; document.querySelector('video').play()"
    )
    page.wait_for_function("document.querySelector('video').currentTime > 2.6")

    page.goto(f"/materials/{poster_id}")
    with page.expect_download() as info:
        page.click("[data-download]")
    download = info.value
    assert download.suggested_filename.endswith(".png")
    assert Path(download.path()).read_bytes() == poster_path.read_bytes()
    team.close()
