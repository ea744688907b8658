"""The shop window, detail, byte ranges, downloads, collections, orders, statistics and the API."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile

import pytest

from campaign.accounts.rules import CurrentUser, Scope
from campaign.cases.queries import insert_case, seed_reference_lists
from campaign.db import write_transaction
from campaign.materials import queries, rules
from campaign.materials.storage import get_storage
from campaign.materials.tables import Download, Material
from campaign.timeutil import today
from tests.helpers.materials import TINY_MP4, png_bytes, upload
from tests.helpers.web import login, post_form


def person(user_id: int, username: str, role: str, team: str | None = None) -> CurrentUser:
    return CurrentUser(user_id, username, username, role, Scope(), team=team)


async def make_material(
    author: CurrentUser,
    kind: str = "poster",
    title: str = "防范刷单海报",
    content: bytes | None = None,
    status: str = "approved",
    **values,
) -> int:
    columns = {
        "title": title,
        "description": values.pop("description", ""),
        "tags": values.pop("tags", ""),
        "fraud_types": rules.join_list(values.pop("fraud_types", ["兼职刷单"])),
        "audiences": rules.join_list(values.pop("audiences", ["学生"])),
        "series": "小牛警",
        "body": values.pop("body", ""),
        **values,
    }
    async with write_transaction():
        material_id = await queries.create_material(kind, columns, author)
        if content is not None:
            key = rules.storage_key(material_id, 1, "t", rules.sniff(content[:64]).extension)
            await get_storage().put_bytes(key, content)
            ctype = rules.sniff(content[:64]).content_type
            await queries.add_version(
                material_id, key, f"f.{key[-3:]}", ctype, len(content), "x", author
            )
        await Material.update({Material.status: status}).where(Material.id == material_id)
    return material_id


@pytest.fixture
async def people(client, make_user):
    await seed_reference_lists()
    admin_id = await make_user("boss", "admin")
    team_id = await make_user("dashu", "team", team="达叔讲堂")
    other_id = await make_user("mulan", "team", team="木兰织梦")
    queries.forget_cached()
    return {
        "admin": person(admin_id, "boss", "admin"),
        "team": person(team_id, "dashu", "team", "达叔讲堂"),
        "other": person(other_id, "mulan", "team", "木兰织梦"),
    }


async def test_shop_finds_materials_by_chinese_search_over_title_description_and_tags(
    client, people
):
    await make_material(people["admin"], title="警惕刷单返利", content=png_bytes())
    await make_material(
        people["admin"], title="海报二", description="老年人保健品骗局", content=png_bytes()
    )
    await make_material(people["admin"], title="海报三", tags="冒充客服 退款", content=png_bytes())
    await login(client, "dashu")
    for word, title in (("刷单", "警惕刷单返利"), ("保健品", "海报二"), ("退款", "海报三")):
        page = await client.get("/materials", params={"q": word})
        assert page.text.count("data-material=") == 1 and title in page.text, word


async def test_shop_filters_by_kind_fraud_type_audience_and_series(client, people):
    a = await make_material(
        people["admin"],
        kind="slogan",
        body="不听不信不转账",
        fraud_types=["贷款"],
        audiences=["老年人"],
    )
    await make_material(people["admin"], content=png_bytes(), fraud_types=["投资理财"])
    await login(client, "dashu")
    for params in ({"kind": "slogan"}, {"fraud_type": "贷款"}, {"audience": "老年人"}):
        page = await client.get("/materials", params=params, headers={"hx-request": "true"})
        assert f'data-material="{a}"' in page.text and page.text.count("data-material=") == 1
    page = await client.get("/materials", params={"series": "小牛警"})
    assert page.text.count('data-kind="') >= 2


async def test_most_downloaded_sort_and_hot_this_week(client, people):
    quiet = await make_material(people["admin"], title="冷门", content=png_bytes())
    popular = await make_material(people["admin"], title="热门", content=png_bytes())
    await login(client, "dashu")
    for _ in range(3):
        assert (await client.get(f"/materials/{popular}/download")).status_code == 200
    page = await client.get(
        "/materials", params={"sort": "popular"}, headers={"hx-request": "true"}
    )
    assert page.text.index(f'data-material="{popular}"') < page.text.index(
        f'data-material="{quiet}"'
    )
    queries.forget_cached()
    page = await client.get("/materials")
    hot = page.text.split('data-shelf="hot"')[1].split("</section>")[0]
    assert f'data-material="{popular}"' in hot and f'data-material="{quiet}"' not in hot


async def test_recommendations_follow_last_weeks_leading_fraud_types_and_victim_groups(
    client, people
):
    monday, _sunday = rules.latest_full_week(today())
    async with write_transaction():
        cases = [
            ("贷款", "在校学生", "学生"),
            ("贷款", "大学生", "学生"),
            ("投资理财", "退休", "退休人员"),
        ]
        for i, (fraud, job, group) in enumerate(cases):
            await insert_case(
                {
                    "case_no": f"C{i}",
                    "occurred_on": monday + dt.timedelta(days=i),
                    "town_code": "330282005",
                    "district_code": "330282",
                    "fraud_type": fraud,
                    "loss_fen": 100,
                    "victim_occupation": job,
                    "occupation_group": group,
                }
            )
    fits = await make_material(
        people["admin"], title="贷款防骗", fraud_types=["贷款"], content=png_bytes()
    )
    off = await make_material(
        people["admin"],
        title="游戏",
        fraud_types=["网络游戏"],
        audiences=["宝妈"],
        content=png_bytes(),
    )
    await login(client, "dashu")
    page = await client.get("/materials")
    shelf = page.text.split('data-shelf="recommended"')[1].split("</section>")[0]
    assert 'data-theme="贷款"' in shelf and 'data-group="学生"' in shelf
    assert f'data-material="{fits}"' in shelf and f'data-material="{off}"' not in shelf


async def test_recommendations_put_the_leading_fraud_type_before_popular_group_matches(
    client, people
):
    """Six popular materials that only suit last week's leading victim group must not push
    the one on its leading fraud type off the shelf."""
    monday, _sunday = rules.latest_full_week(today())
    async with write_transaction():
        for i in range(3):
            await insert_case(
                {
                    "case_no": f"C{i}",
                    "occurred_on": monday,
                    "town_code": "330282005",
                    "district_code": "330282",
                    "fraud_type": "贷款",
                    "loss_fen": 100,
                    "victim_occupation": "学生",
                    "occupation_group": "学生",
                }
            )
    popular = []
    for i in range(6):
        popular.append(
            await make_material(
                people["admin"], title=f"热门{i}", fraud_types=["网络游戏"], content=png_bytes()
            )
        )
    await Material.update({Material.downloads: 1_000}).where(Material.id.is_in(popular))
    fits = await make_material(
        people["admin"],
        title="贷款防骗",
        fraud_types=["贷款"],
        audiences=["老人"],
        content=png_bytes(),
    )
    queries.forget_cached()
    await login(client, "dashu")
    shelf = (await client.get("/materials")).text.split('data-shelf="recommended"')[1]
    shelf = shelf.split("</section>")[0]
    shown = [int(n) for n in re.findall(r'data-material="(\d+)"', shelf)]
    assert shown[0] == fits and len(shown) == 6 and set(shown[1:]) <= set(popular)


async def test_unapproved_and_expired_items_are_hidden_and_not_downloadable_for_others(
    client, people
):
    pending = await make_material(people["team"], content=png_bytes(), status="pending")
    expired = await make_material(
        people["admin"], content=png_bytes(), valid_until=today() - dt.timedelta(days=1)
    )
    await login(client, "mulan")
    page = await client.get("/materials")
    assert (
        f'data-material="{pending}"' not in page.text
        and f'data-material="{expired}"' not in page.text
    )
    for material_id in (pending, expired):
        for path in ("", "/download", "/file", "/preview"):
            assert (await client.get(f"/materials/{material_id}{path}")).status_code == 404
    assert await Download.count() == 0


async def test_admin_sees_and_approves_pending_uploads(client, people):
    pending = await make_material(people["team"], content=png_bytes(), status="pending")
    await login(client, "boss")
    page = await client.get("/materials", params={"status": "pending"})
    assert f'data-material="{pending}"' in page.text
    response = await post_form(client, f"/materials/{pending}/review", {"decision": "approved"})
    assert response.status_code == 302
    assert (await queries.material(pending))["status"] == "approved"


async def test_a_team_cannot_edit_another_teams_material(client, people):
    theirs = await make_material(people["team"], title="达叔的海报", content=png_bytes())
    await login(client, "mulan")
    assert (await client.get(f"/materials/{theirs}/edit")).status_code == 403
    response = await post_form(client, f"/materials/{theirs}/edit", {"title": "改掉"})
    assert response.status_code == 403
    response = await upload(client, "poster", "x.png", png_bytes(), url=f"/materials/{theirs}/file")
    assert response.status_code == 403
    assert (await queries.material(theirs))["title"] == "达叔的海报"
    assert len(await queries.versions(theirs)) == 1


async def test_owner_edits_own_material_and_the_change_is_audited(client, people):
    mine = await make_material(people["team"], title="旧标题", content=png_bytes())
    await login(client, "dashu")
    response = await post_form(
        client, f"/materials/{mine}/edit", {"title": "新标题", "fraud_types": "贷款"}
    )
    assert response.status_code == 302
    assert (await queries.material(mine))["fraud_types"] == ";贷款;"
    from campaign.accounts.tables import AuditEntry

    assert await AuditEntry.exists().where(AuditEntry.target == f"material:{mine}")


async def test_video_is_served_with_byte_ranges(client, people):
    video = await make_material(people["admin"], kind="video", content=TINY_MP4)
    await login(client, "dashu")
    size = len(TINY_MP4)
    full = await client.get(f"/materials/{video}/file")
    assert (
        full.status_code == 200
        and full.content == TINY_MP4
        and full.headers["accept-ranges"] == "bytes"
    )
    part = await client.get(f"/materials/{video}/file", headers={"range": "bytes=100-199"})
    assert part.status_code == 206 and part.content == TINY_MP4[100:200]
    assert part.headers["content-range"] == f"bytes 100-199/{size}"
    suffix = await client.get(f"/materials/{video}/file", headers={"range": "bytes=-50"})
    assert suffix.status_code == 206 and suffix.content == TINY_MP4[-50:]
    open_ended = await client.get(
        f"/materials/{video}/file", headers={"range": f"bytes={size - 10}-"}
    )
    assert open_ended.content == TINY_MP4[-10:]
    beyond = await client.get(f"/materials/{video}/file", headers={"range": f"bytes={size}-"})
    assert beyond.status_code == 416 and beyond.headers["content-range"] == f"bytes */{size}"
    stale = await client.get(
        f"/materials/{video}/file", headers={"range": "bytes=0-9", "if-range": '"stale"'}
    )
    assert stale.status_code == 200 and len(stale.content) == size
    fresh = await client.get(
        f"/materials/{video}/file", headers={"range": "bytes=0-9", "if-range": full.headers["etag"]}
    )
    assert fresh.status_code == 206 and fresh.content == TINY_MP4[:10]


async def test_downloads_are_logged_with_who_when_and_which_version(client, people):
    poster = await make_material(people["admin"], content=png_bytes())
    await login(client, "dashu")
    response = await client.get(f"/materials/{poster}/download")
    assert response.status_code == 200 and "attachment" in response.headers["content-disposition"]
    log = await Download.select().first()
    assert (log["username"], log["team"], log["version"]) == ("dashu", "达叔讲堂", 1)
    await login(client, "boss")
    page = await client.get("/materials/stats/downloads")
    assert page.text.count("data-download=") == 1
    xlsx = await client.get("/materials/stats/downloads", params={"format": "xlsx"})
    assert xlsx.headers["content-type"].startswith("application/vnd.openxmlformats")
    stats = await client.get("/materials/stats")
    assert 'data-team="达叔讲堂"' in stats.text and f'data-most="{poster}"' in stats.text


async def test_coordinators_downloads_count_for_their_town_and_stats_group_by_unit(
    client, people, make_user
):
    """A coordinator has no team: the download is counted for their town, not "(未填团队)"."""
    from tests.helpers.ningbo import load_slice

    await load_slice()
    await make_user("baisha", "coordinator", unit=("town", "330282005"))
    poster = await make_material(people["admin"], content=png_bytes())
    await login(client, "baisha")
    assert (await client.get(f"/materials/{poster}/download")).status_code == 200
    await login(client, "boss")
    assert (await client.get(f"/materials/{poster}/download")).status_code == 200
    units = {r["username"]: r["team"] for r in await Download.select()}
    assert units == {"baisha": "白沙路街道", "boss": "全市"}
    stats = (await client.get("/materials/stats")).text
    assert 'data-team="白沙路街道"' in stats and "未填团队" not in stats


async def test_slogan_copy_button_and_text_download(client, people):
    slogan = await make_material(people["admin"], kind="slogan", body="陌生来电要警惕")
    await login(client, "dashu")
    page = await client.get(f"/materials/{slogan}")
    assert "data-copy" in page.text and "陌生来电要警惕" in page.text
    text = await client.get(f"/materials/{slogan}/download")
    assert text.content.decode() == "陌生来电要警惕"


async def test_article_html_is_escaped(client, people):
    article = await make_material(
        people["admin"], kind="article", body="# 提醒\n<script>alert(1)</script>"
    )
    await login(client, "dashu")
    page = await client.get(f"/materials/{article}")
    assert "<script>alert(1)</script>" not in page.text and "&lt;script&gt;" in page.text


async def test_a_collection_downloads_as_one_zip_of_its_live_materials(client, people):
    poster = await make_material(people["admin"], content=png_bytes())
    slogan = await make_material(people["admin"], kind="slogan", body="开学季防骗")
    hidden = await make_material(people["team"], content=png_bytes(), status="pending")
    await login(client, "boss")
    response = await post_form(
        client,
        "/materials/collections",
        {"name": "开学季", "materials": f"{poster},{slogan},{hidden}"},
    )
    assert response.status_code == 302
    await login(client, "mulan")
    archive = await client.get(response.headers["location"] + "/zip")
    assert archive.status_code == 200
    names = zipfile.ZipFile(io.BytesIO(archive.content)).namelist()
    assert len(names) == 2 and names[0].endswith(".png") and names[1].endswith(".txt")
    assert zipfile.ZipFile(io.BytesIO(archive.content)).read(names[0]) == png_bytes()


async def test_an_order_is_answered_and_the_requester_sees_it_on_the_home_page(client, people):
    material = await make_material(people["admin"], content=png_bytes(), fraud_types=["贷款"])
    await login(client, "dashu")
    bad = await post_form(client, "/materials/orders", {"topic": "", "audience": "外星人"})
    assert bad.status_code == 400 and "请写明需要什么素材" in bad.text
    response = await post_form(
        client, "/materials/orders", {"topic": "贷款诈骗短视频", "fraud_type": "贷款"}
    )
    order_url = response.headers["location"]
    await login(client, "boss")
    page = await client.get(order_url)
    assert f'value="{material}"' in page.text
    await post_form(
        client, order_url + "/answer", {"material": str(material), "answer": "请用这张"}
    )
    await login(client, "dashu")
    home = await client.get("/")
    assert "data-new-answer" in home.text
    page = await client.get(order_url)
    assert f'data-answer-material="{material}"' in page.text
    assert "data-new-answer" not in (await client.get("/")).text


async def test_another_team_cannot_read_an_order(client, people):
    await login(client, "dashu")
    response = await post_form(client, "/materials/orders", {"topic": "老年人海报"})
    await login(client, "mulan")
    assert (await client.get(response.headers["location"])).status_code == 404


async def test_shop_exports_to_excel_and_has_an_empty_state(client, people):
    await login(client, "dashu")
    page = await client.get("/materials", params={"q": "不存在的词"})
    assert "data-empty" in page.text
    await make_material(people["admin"], content=png_bytes())
    xlsx = await client.get("/materials", params={"format": "xlsx"})
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"


async def test_api_lists_only_live_materials(client, people):
    live = await make_material(people["admin"], content=png_bytes(), tags="刷单 学生")
    await make_material(people["team"], content=png_bytes(), status="pending")
    await make_material(
        people["admin"], content=png_bytes(), valid_until=today() - dt.timedelta(days=3)
    )
    await login(client, "dashu")
    body = (await client.get("/api/v1/materials")).json()
    assert body["total"] == 1 and body["items"][0]["id"] == live
    assert body["items"][0]["tags"] == ["刷单", "学生"]
    schema = (await client.get("/schema/openapi.json")).json()
    assert "/api/v1/materials" in schema["paths"]


async def test_behind_nginx_the_file_is_handed_over_with_x_accel_redirect(
    client, people, environment
):
    video = await make_material(people["admin"], kind="video", content=TINY_MP4)
    environment(MEDIA_ACCEL_REDIRECT="/protected-media/")
    await login(client, "dashu")
    response = await client.get(f"/materials/{video}/download")
    key = (await queries.material(video))["file_key"]
    assert response.headers["x-accel-redirect"] == f"/protected-media/{key}"
    assert response.content == b"" and await Download.count() == 1


async def test_a_designated_content_team_answers_orders_and_other_teams_cannot(
    client, people, environment
):
    environment(MATERIALS_CONTENT_TEAM="木兰织梦")
    await login(client, "dashu")
    order_url = (await post_form(client, "/materials/orders", {"topic": "开学季海报"})).headers[
        "location"
    ]
    answer = await post_form(client, order_url + "/answer", {"answer": "自己答"})
    assert answer.status_code == 403
    await login(client, "mulan")
    assert 'data-open-orders="1"' in (await client.get("/")).text
    assert (await post_form(client, order_url + "/answer", {"answer": "已安排"})).status_code == 302
    await login(client, "dashu")
    assert "data-new-answer" in (await client.get("/")).text
