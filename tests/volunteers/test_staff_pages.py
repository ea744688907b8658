"""Staff pages: applying for a code, approval by the station or an admin, the QR code and the
printable card, the admin settings and question bank, figures and exports, the event's code."""

from __future__ import annotations

import io

from openpyxl import load_workbook
from PIL import Image

from campaign.volunteers import queries, rules
from campaign.volunteers.tables import Propagandist, QuizQuestion
from tests.helpers.volunteers import (
    BAISHA,
    FUHAI,
    SHUGUANG,
    approved_propagandist,
    event_now,
    setup,
    staff,
)
from tests.helpers.web import login, post_form


async def test_a_coordinator_applies_and_their_station_approves(client, make_user):
    await setup(make_user)
    await make_user("police_wang", "coordinator", unit=("station", "PS330282005"))
    await login(client, "police_wang")
    page = await client.get("/volunteers")
    assert page.status_code == 200 and "曙光社区" in page.text and 'name="area"' in page.text
    outside = await post_form(client, "/volunteers/apply", {"kind": "民警", "area": [FUHAI]})
    assert outside.status_code == 400 and "辖区内" in outside.text
    empty = await post_form(client, "/volunteers/apply", {"kind": "民警"})
    assert empty.status_code == 400 and "至少选择" in empty.text
    ok = await post_form(client, "/volunteers/apply", {"kind": "辅警", "area": [BAISHA, SHUGUANG]})
    assert ok.status_code == 302
    p = await Propagandist.select().first()
    assert p["status"] == rules.APPLIED and rules.area_codes(p["area"]) == [BAISHA, SHUGUANG]
    assert (await client.get("/volunteers/my/qr.png")).status_code == 404, "no code before approval"

    client.cookies.clear()
    await login(client, "coord_fuhai")
    denied = await post_form(
        client, f"/volunteers/propagandists/{p['id']}/status", {"status": "approved"}
    )
    assert denied.status_code == 403
    client.cookies.clear()
    await login(client, "coord_baisha")
    listing = await client.get("/volunteers/propagandists?status=applied")
    assert f'data-approve="{p["id"]}"' in listing.text
    approved = await post_form(
        client, f"/volunteers/propagandists/{p['id']}/status", {"status": "approved"}
    )
    assert approved.status_code == 302
    assert (await queries.propagandist(p["id"])).status == rules.APPROVED

    client.cookies.clear()
    await login(client, "police_wang")
    mine = await client.get("/volunteers")
    assert "data-join-url" in mine.text and "/v/j/" in mine.text
    png = await client.get("/volunteers/my/qr.png")
    assert png.headers["content-type"] == "image/png" and png.content[:4] == b"\x89PNG"
    svg = await client.get("/volunteers/my/qr.svg")
    assert svg.headers["content-type"].startswith("image/svg+xml") and b"<svg" in svg.content
    card = await client.get("/volunteers/my/card.png")
    image = Image.open(io.BytesIO(card.content))
    assert image.size == (1080, 1500)
    again = await post_form(client, "/volunteers/apply", {"kind": "民警", "area": [BAISHA]})
    assert again.status_code == 400 and "审批人" in again.text


async def test_leaders_and_teams_cannot_approve(client, make_user):
    await setup(make_user)
    user = await staff(make_user, "police_chen")
    p = await queries.apply(user, "民警", [BAISHA], None)
    await login(client, "leader")
    assert (await client.get("/volunteers/propagandists")).status_code == 200
    denied = await post_form(
        client, f"/volunteers/propagandists/{p.id}/status", {"status": "approved"}
    )
    assert denied.status_code == 403
    assert (await queries.propagandist(p.id)).status == rules.APPLIED


async def test_admin_changes_a_rule_and_adds_a_question_gift_and_team(client, make_user):
    await setup(make_user)
    await login(client, "admin")
    bad = await post_form(
        client, "/volunteers/settings/rules/quiz", {"points": "x", "daily_cap": "5"}
    )
    assert bad.status_code == 400 and "分值" in bad.text
    ok = await post_form(
        client,
        "/volunteers/settings/rules/quiz",
        {"points": "15", "daily_cap": "15", "active": "1"},
    )
    assert ok.status_code == 302
    assert (await queries.point_rules())["quiz"] == rules.Rule("quiz", 15, 15, True)
    missing = await post_form(
        client,
        "/volunteers/quiz",
        {"fraud_type": "投资理财", "question": "题?", "option0": "只有一个"},
    )
    assert (
        missing.status_code == 400
        and "至少填写两个选项" in missing.text
        and 'value="题?"' in missing.text
    )
    count = await QuizQuestion.count()
    added = await post_form(
        client,
        "/volunteers/quiz",
        {
            "fraud_type": "投资理财",
            "question": "稳赚不赔可信吗?",
            "option0": "可信",
            "option1": "不可信",
            "answer": "1",
        },
    )
    assert added.status_code == 302 and await QuizQuestion.count() == count + 1
    gift = await post_form(
        client,
        "/volunteers/settings/rewards",
        {"name": "钥匙扣", "price": "50", "stock": "10", "active": "1"},
    )
    assert gift.status_code == 302 and (await queries.rewards_list())[0].stock == 10
    team = await post_form(
        client, "/volunteers/settings/teams", {"name": "警民小铺", "kind": "team"}
    )
    assert team.status_code == 302 and (await queries.teams())[0].name == "警民小铺"
    client.cookies.clear()
    await login(client, "coord_baisha")
    assert (await client.get("/volunteers/settings")).status_code == 403


async def test_figures_page_and_exports(client, make_user):
    await setup(make_user)
    user = await staff(make_user, "police_zhou")
    p = await approved_propagandist(user)
    for n in range(3):
        checked = rules.SignupInput(f"李{n}", f"1330000000{n}", SHUGUANG, None)
        await queries.sign_up(p, checked, "5.5.5.5", queries.now())
    await login(client, "admin")
    page = await client.get("/volunteers/stats")
    assert page.status_code == 200 and 'data-idle-propagandist="' in page.text
    for sheet in ("growth", "dau", "recruiters"):
        xlsx = await client.get(f"/volunteers/stats?format=xlsx&sheet={sheet}")
        assert xlsx.status_code == 200
        assert load_workbook(io.BytesIO(xlsx.content)).active.max_row >= 2
    people = await client.get("/volunteers/people?format=xlsx")
    rows = list(load_workbook(io.BytesIO(people.content)).active.values)
    assert len(rows) == 4 and rows[1][2].startswith("133****")
    empty = await client.get("/volunteers/people?q=nobody")
    assert "还没有志愿者" in empty.text
    for page in ("/volunteers/people", "/volunteers/propagandists"):
        chosen = (await client.get(f"{page}?district=330282")).text
        assert (
            'data-picker="/pick/district"' in chosen and 'value="330282" data-picker-code' in chosen
        )


async def test_event_detail_shows_its_check_in_code(client, make_user):
    await setup(make_user)
    event_id = await event_now()
    await login(client, "coord_baisha")
    detail = await client.get(f"/events/{event_id}")
    assert f"/volunteers/events/{event_id}/checkin.svg" in detail.text
    svg = await client.get(f"/volunteers/events/{event_id}/checkin.svg")
    assert svg.status_code == 200 and b"<svg" in svg.content
    screen = await client.get(f"/volunteers/events/{event_id}/checkin")
    assert f"/v/checkin/{event_id}?s=" in screen.text
    client.cookies.clear()
    await login(client, "coord_fuhai")
    assert (await client.get(f"/volunteers/events/{event_id}/checkin.svg")).status_code == 403


async def test_home_card_shows_applications_waiting_for_the_station(client, make_user):
    await setup(make_user)
    user = await staff(make_user, "police_sun")
    await queries.apply(user, "民警", [BAISHA], None)
    await login(client, "coord_baisha")
    home = await client.get("/")
    assert 'data-card="volunteers"' in home.text and "1 份宣传员申请待审批" in home.text
