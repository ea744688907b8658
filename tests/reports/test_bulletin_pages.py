"""The bulletin pages, the public page, the exports and GET /api/v1/bulletins/{week}."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from campaign.accounts import queries as accounts
from tests.helpers.web import login, post_form, text_of

W27 = "2023-W27"


async def test_admin_sees_a_draft_that_leaders_see_only_once_published(
    client, make_user, report_data
):
    await make_user("boss", "leader")
    await make_user("admin", "admin")
    await login(client, "boss")
    missing = await client.get(f"/bulletins/{W27}")
    assert missing.status_code == 404 and "尚未发布" in missing.text
    await client.post("/logout", data={"_csrf_token": client.cookies.get("campaign_csrf", "")})
    client.cookies.clear()

    await login(client, "admin")
    page = await client.get(f"/bulletins/{W27}")
    assert page.status_code == 200
    assert text_of(page.text, 'data-figure="cases"') == ["185"]
    assert text_of(page.text, 'data-figure="loss"') == ["660.60"]
    assert "环比上上周分别下降1.6%、上升41.1%" in page.text
    assert 'data-status="draft"' in page.text
    published = await post_form(client, f"/bulletins/{W27}/publish")
    assert published.status_code in (302, 303)
    client.cookies.clear()

    await login(client, "boss")
    page = await client.get(f"/bulletins/{W27}")
    assert page.status_code == 200 and 'data-status="published"' in page.text
    archive = await client.get("/bulletins")
    assert 'data-week="2023-W27"' in archive.text


async def test_the_editor_adjusts_the_wording_before_publishing(client, make_user, report_data):
    await make_user("admin", "admin")
    await login(client, "admin")
    empty = await post_form(client, f"/bulletins/{W27}/text", {"narrative": " ", "reminder": "x"})
    assert empty.status_code == 400 and "通报正文不能为空" in empty.text
    saved = await post_form(
        client,
        f"/bulletins/{W27}/text",
        {"narrative": "上周全市共受理案件185起。", "reminder": "拨打96110"},
    )
    assert saved.status_code in (302, 303)
    page = await client.get(f"/bulletins/{W27}")
    assert "上周全市共受理案件185起。" in page.text and "拨打96110" in page.text


async def test_api_gives_every_figure_as_data_and_refuses_bad_weeks_in_chinese(
    client, make_user, report_data
):
    uid = await make_user("admin", "admin")
    token = await accounts.create_token(uid, "test")
    headers = {"Authorization": f"Bearer {token}"}
    body = (await client.get(f"/api/v1/bulletins/{W27}", headers=headers)).json()
    f = body["figures"]
    assert body["status"] == "draft" and body["revision"] == 0
    assert (f["cases"], f["loss_fen"]) == (185, 660_600_000)
    assert (f["cases_change"]["percent"], f["loss_change"]["percent"]) == (-1.6, 41.1)
    assert len(f["top_cases"]) == 3 and f["leading_types"][0] == "投资理财"
    assert "185起" in body["narrative"]

    malformed = await client.get("/api/v1/bulletins/2023-27", headers=headers)
    assert malformed.status_code == 404 and "格式" in malformed.json()["detail"]
    no_week = await client.get("/api/v1/bulletins/2021-W53", headers=headers)
    assert no_week.status_code == 404 and "只有 52 个" in no_week.json()["detail"]
    future = await client.get("/api/v1/bulletins/2099-W01", headers=headers)
    assert future.status_code == 400 and "还没有开始" in future.json()["detail"]


async def test_public_page_needs_no_login_and_shows_only_the_latest_published_week(
    client, make_user, report_data
):
    empty = await client.get("/public/bulletin")
    assert empty.status_code == 200 and "data-public-empty" in empty.text
    await make_user("admin", "admin")
    await login(client, "admin")
    await post_form(client, f"/bulletins/{W27}/publish")
    client.cookies.clear()
    page = await client.get("/public/bulletin")
    assert page.status_code == 200 and 'data-public-week="2023-W27"' in page.text
    assert "RateLimit-Policy" in page.headers or "ratelimit-policy" in page.headers
    qr = await client.get("/public/bulletin/qr.png")
    assert qr.status_code == 200 and qr.content[:8] == b"\x89PNG\r\n\x1a\n"
    share = await client.get("/public/bulletin/share.png")
    assert share.status_code == 200 and share.content[:4] == b"\x89PNG"
    assert "R0" not in page.text  # no case numbers


async def test_excel_print_and_share_image(client, make_user, report_data):
    await make_user("admin", "admin")
    await login(client, "admin")
    xlsx = await client.get(f"/bulletins/{W27}?format=xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    rows = [[c.value for c in r] for r in sheet.iter_rows()]
    city = next(r for r in rows if r[0] == "全市")
    assert city[1:3] == [185, 188] and city[4] == 6_606_000
    printed = await client.get(f"/bulletins/{W27}/print")
    assert printed.status_code == 200 and "data-print" in printed.text
    png = await client.get(f"/bulletins/{W27}/share.png")
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"


async def test_the_public_page_is_rate_limited_per_client(client, db):
    from campaign.reports.controllers import PUBLIC_RATE

    limit = PUBLIC_RATE.rate_limit[1]
    statuses = [(await client.get("/public/bulletin")).status_code for _ in range(limit + 1)]
    assert statuses[:limit] == [200] * limit
    assert statuses[-1] == 429


async def test_a_published_revision_is_drawn_once_and_a_new_revision_anew(
    client, make_user, report_data
):
    from campaign.reports import queries
    from campaign.reports.rules import Week
    from campaign.reports.tables import Bulletin

    await make_user("boss", "leader")
    await queries.publish(Week(2023, 27), actor=None)
    await login(client, "boss")
    first = await client.get(f"/bulletins/{W27}")
    assert text_of(first.text, 'data-figure="cases"') == ["185"]
    # a frozen revision never changes: the drawn page is kept, its stored figures not re-read
    await Bulletin.update({Bulletin.narrative: "新的文字"}).where(Bulletin.week_key == W27)
    again = await client.get(f"/bulletins/{W27}")
    assert text_of(again.text, 'data-figure="cases"') == ["185"] and "新的文字" not in again.text
    await queries.publish(Week(2023, 27), actor=None)  # revision 2, drawn anew
    third = await client.get(f"/bulletins/{W27}")
    assert "第 2 版" in third.text and "新的文字" not in third.text
    assert text_of(third.text, 'data-figure="cases"') == ["185"]
