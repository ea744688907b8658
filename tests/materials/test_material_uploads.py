"""Uploading materials: content checks, size limits, safe names, versions; bad input stores nothing."""

from __future__ import annotations

import asyncio

import pytest

from campaign.cases.queries import seed_reference_lists
from campaign.materials import rules
from campaign.materials.storage import get_storage
from campaign.materials.tables import Material, MaterialVersion
from tests.helpers.materials import TINY_MP4, pdf_bytes, png_bytes, upload
from tests.helpers.web import csrf_token, login


@pytest.fixture
async def team(client, make_user):
    await seed_reference_lists()
    await make_user("dashu", "team", team="达叔讲堂")
    await login(client, "dashu")
    return client


def stored_files() -> set[str]:
    root = get_storage().root / "materials"
    return {str(p) for p in root.rglob("*") if p.is_file()} if root.exists() else set()


async def nothing_stored(before: set[str]) -> None:
    assert await Material.count() == 0
    assert await MaterialVersion.count() == 0
    assert stored_files() == before
    assert not list(get_storage().scratch_dir().iterdir())


async def settle() -> None:
    """Let the in-process preview jobs finish (before the test's event loop closes)."""
    for _ in range(100):
        if not await MaterialVersion.exists().where(MaterialVersion.preview_key.is_null()):
            return
        await asyncio.sleep(0.05)


async def test_team_uploads_a_poster_that_waits_for_approval_with_a_thumbnail(team):
    response = await upload(
        team, "poster", "海报.png", png_bytes(), fraud_types=["贷款"], audiences=["学生"]
    )
    assert response.status_code == 302
    await settle()
    material = await Material.select().first()
    assert material["status"] == "pending" and material["team"] == "达叔讲堂"
    assert material["fraud_types"] == ";贷款;" and material["audiences"] == ";学生;"
    assert material["file_key"].startswith(f"materials/{material['id']}/v1-")
    assert material["preview_key"] and await get_storage().exists(material["preview_key"])
    page = await team.get(f"/materials/{material['id']}")
    assert 'data-status="pending"' in page.text


async def test_renamed_executable_is_refused_as_a_poster(team):
    before = stored_files()
    response = await upload(team, "poster", "poster.png", b"MZ\x90\x00" + b"\x00" * 500)
    assert response.status_code == 400
    assert "可执行程序" in response.text
    await nothing_stored(before)


async def test_truncated_video_is_refused(team):
    before = stored_files()
    response = await upload(team, "video", "clip.mp4", TINY_MP4[: len(TINY_MP4) // 2])
    assert response.status_code == 400 and "截断" in response.text
    await nothing_stored(before)


async def test_video_upload_gets_a_poster_frame_and_duration(team, make_user, client):
    response = await upload(team, "video", "clip.mp4", TINY_MP4)
    assert response.status_code == 302
    await settle()
    material = await Material.select().first()
    assert material["content_type"] == "video/mp4" and material["preview_key"]
    from shutil import which

    if which("ffprobe"):
        assert material["duration"] == pytest.approx(4.0, abs=0.2)


async def test_a_declared_two_gigabyte_body_is_refused_before_reading(team):
    before = stored_files()
    response = await team.post(
        "/materials/new",
        content=b"--x\r\n",
        headers={
            "content-type": "multipart/form-data; boundary=x",
            "content-length": str(2 * 1024**3),
            "x-csrftoken": csrf_token(team),
        },
    )
    assert response.status_code == 413 and "上限" in response.text
    await nothing_stored(before)


async def test_a_file_just_over_the_kinds_limit_is_dropped_while_streaming(team, monkeypatch):
    monkeypatch.setitem(rules.SIZE_LIMITS, "poster", 50_000)
    before = stored_files()
    big = png_bytes(400, 400, "white") + b"\x00" * 60_000
    response = await upload(team, "poster", "big.png", big)
    assert response.status_code == 413 and "0.0476837 MB" in response.text or "MB" in response.text
    await nothing_stored(before)


async def test_a_pdf_bomb_is_refused(team):
    before = stored_files()
    response = await upload(team, "poster", "bomb.pdf", pdf_bytes(2, claimed=5_000_000))
    assert response.status_code == 400 and "页数异常" in response.text
    await nothing_stored(before)


async def test_a_pdf_poster_gets_a_first_page_preview(team):
    assert (await upload(team, "poster", "p.pdf", pdf_bytes(2))).status_code == 302
    await settle()
    assert (await Material.select(Material.preview_key).first())["preview_key"]


async def test_a_path_traversal_filename_is_harmless(team):
    response = await upload(team, "poster", "../../../../etc/cron.d/evil.png", png_bytes())
    assert response.status_code == 302
    await settle()
    material = await Material.select().first()
    assert material["file_name"] == "evil.png"
    path = get_storage().path(material["file_key"])
    assert path.is_relative_to(get_storage().root) and path.exists()


async def test_upload_without_csrf_token_is_refused(team):
    response = await team.post(
        "/materials/new",
        data={"kind": "slogan", "title": "t", "body": "b"},
        files={"file": ("a.png", png_bytes(), "image/png")},
    )
    assert response.status_code == 403
    assert await Material.count() == 0


async def test_upload_with_a_forged_csrf_token_is_refused(team):
    """Streamed uploads skip the middleware, but Litestar's own check still runs on the token."""
    await team.get("/materials/new")
    real = csrf_token(team)
    forged = real[:-4] + ("1111" if real.endswith("0000") else "0000")
    response = await team.post(
        "/materials/new",
        data={"kind": "slogan", "title": "t", "body": "b", "_csrf_token": forged},
        files={"file": ("a.png", png_bytes(), "image/png")},
    )
    assert response.status_code == 403
    assert await Material.count() == 0


async def test_form_errors_keep_the_typed_values(team):
    response = await upload(team, "slogan", title="我的标语", body="")
    assert response.status_code == 400
    assert 'value="我的标语"' in response.text and "请填写标语或文章正文" in response.text


async def test_coordinator_cannot_upload(client, make_user):
    await make_user("coord", "coordinator", unit=None)
    await login(client, "coord")
    response = await upload(client, "slogan", title="x", body="y")
    assert response.status_code == 403


async def test_replacing_the_file_keeps_earlier_versions(team, client):
    await upload(team, "poster", "a.png", png_bytes(color="red"))
    material = await Material.select().first()
    response = await upload(
        team, "poster", "b.png", png_bytes(color="blue"), url=f"/materials/{material['id']}/file"
    )
    assert response.status_code == 302
    await settle()
    versions = await MaterialVersion.select().order_by(MaterialVersion.number)
    assert [v["number"] for v in versions] == [1, 2]
    assert all([await get_storage().exists(v["file_key"]) for v in versions])
    assert (await Material.select(Material.version).first())["version"] == 2


async def test_a_file_sent_with_a_slogan_is_ignored(team):
    response = await upload(team, "slogan", "x.png", png_bytes(), body="不转账")
    assert response.status_code == 302
    assert await MaterialVersion.count() == 0
    assert not list(get_storage().scratch_dir().iterdir())


async def test_only_the_first_file_part_is_kept(team):
    await team.get("/login")
    response = await team.post(
        "/materials/new",
        data={"kind": "poster", "title": "两个文件", "_csrf_token": csrf_token(team)},
        files=[
            ("file", ("a.png", png_bytes(color="red"), "image/png")),
            ("file", ("b.png", b"MZ" + b"\x00" * 100, "image/png")),
        ],
    )
    assert response.status_code == 302
    await settle()
    material = await Material.select().first()
    assert get_storage().path(material["file_key"]).read_bytes() == png_bytes(color="red")


async def test_audio_is_accepted_by_its_content(team):
    mp3 = b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\xff\xfb\x90\x00" * 200
    response = await upload(team, "audio", "讲座.bin", mp3)
    assert response.status_code == 302
    await settle()
    material = await Material.select().first()
    assert material["content_type"] == "audio/mpeg" and material["file_name"] == "讲座.mp3"
    assert material["preview_key"]


async def test_a_new_version_of_an_approved_material_keeps_the_approved_one_live_until_reviewed(
    team, client, make_user
):
    """v2 from the team waits for review while v1 stays on the shelf (an order reply may link
    it); approving v2 makes it current, rejecting a later v3 drops it and v2 stays."""
    from campaign.materials import queries

    await make_user("boss", "admin")
    await make_user("coord", "coordinator", unit=None)
    await upload(team, "poster", "a.png", png_bytes(color="red"))
    material_id = (await Material.select(Material.id).first())["id"]
    await Material.update({Material.status: "approved"}).where(Material.id == material_id)
    response = await upload(
        team, "poster", "b.png", png_bytes(color="blue"), url=f"/materials/{material_id}/file"
    )
    assert response.status_code == 302
    await settle()
    live = await Material.select().first()
    assert (live["status"], live["version"], live["file_name"]) == ("approved", 1, "a.png")
    assert await queries.materials_with_versions_awaiting_review() == {material_id}
    await login(client, "coord")
    assert (await client.get(f"/materials/{material_id}")).status_code == 200
    download = await client.get(f"/materials/{material_id}/download")
    assert download.status_code == 200 and download.content == png_bytes(color="red")
    await login(client, "boss")
    page = await client.get(f"/materials/{material_id}")
    assert 'data-waiting="2"' in page.text
    await client.post(
        f"/materials/{material_id}/review",
        data={"decision": "approved", "note": "", "_csrf_token": csrf_token(client)},
    )
    live = await Material.select().first()
    assert (live["status"], live["version"], live["file_name"]) == ("approved", 2, "b.png")
    assert live["preview_key"]
    await login(client, "dashu")
    await upload(
        client, "poster", "c.png", png_bytes(color="green"), url=f"/materials/{material_id}/file"
    )
    await settle()
    await login(client, "boss")
    await client.post(
        f"/materials/{material_id}/review",
        data={"decision": "rejected", "note": "颜色不对", "_csrf_token": csrf_token(client)},
    )
    live = await Material.select().first()
    assert (live["status"], live["version"]) == ("approved", 2)
    assert [v["number"] for v in await MaterialVersion.select(MaterialVersion.number)] == [1, 2]
