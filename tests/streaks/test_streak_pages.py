"""The streak pages: boards per level, honour roll, feed, unit pages, Excel export, scope."""

from __future__ import annotations

import datetime as dt
import io
import re

from openpyxl import load_workbook

from campaign.streaks import queries
from tests.helpers.streaks import TODAY, ago, setup_cases
from tests.helpers.web import login


def attr_values(html: str, attr: str) -> list[str]:
    return re.findall(rf'{attr}="([^"]*)"', html)


async def test_station_board_ranks_the_longest_streak_first_with_milestone_badges(
    client, make_user
):
    await setup_cases()
    await make_user("boss", "leader")
    await login(client, "boss")
    page = await client.get("/streaks?level=station")
    assert page.status_code == 200
    assert attr_values(page.text, "data-code") == ["PS330282005", "PS330206002", "PS330282108"]
    assert attr_values(page.text, "data-days") == ["40", "12", "3"]
    assert attr_values(page.text, "data-milestone") == ["30", "10"]
    assert 'href="/streaks/station/PS330282005"' in page.text


async def test_each_level_has_its_own_tab_and_board(client, make_user):
    await setup_cases()
    await make_user("boss", "leader")
    await login(client, "boss")
    for level, first in (("village", "330282005206"), ("town", "330282005")):
        page = await client.get(f"/streaks?level={level}")
        assert f'data-board="{level}"' in page.text
        assert attr_values(page.text, "data-code")[0] == first
        assert f'data-tab="{level}" class="active"' in page.text


async def test_names_on_the_board_are_escaped(client, make_user):
    """The rows escape explicitly (autoescape is off around them, see _board_rows.html)."""
    from campaign.regions.tables import Region

    await setup_cases()
    await Region.update({Region.name: '<i x="1">村&</i>'}).where(Region.code == "330282005206")
    await Region.update({Region.name: "<b>镇</b>"}).where(Region.code == "330282005")
    await make_user("boss", "leader")
    await login(client, "boss")
    page = (await client.get("/streaks?level=village")).text
    assert "&lt;i x=&#34;1&#34;&gt;村&amp;&lt;/i&gt;" in page and "&lt;b&gt;镇&lt;/b&gt;" in page
    assert "<i x=" not in page and "<b>镇" not in page


async def test_htmx_filter_returns_only_the_rows_fragment(client, make_user):
    await setup_cases()
    await make_user("boss", "leader")
    await login(client, "boss")
    page = await client.get(
        "/streaks?level=village&district=330282&q=附海", headers={"HX-Request": "true"}
    )
    assert "<html" not in page.text
    assert attr_values(page.text, "data-code") == ["330282108201"]
    assert 'id="town-field" hx-swap-oob="true"' in page.text


async def test_rank_arrows_compare_with_the_snapshot_of_a_week_earlier(client, make_user):
    await setup_cases()
    await queries.write_snapshot(ago(7))
    await make_user("boss", "leader")
    await login(client, "boss")
    page = await client.get("/streaks?level=station")
    # a week ago 附海 had no case yet and led; its case 3 days ago dropped it to 3rd
    moves = dict(
        zip(attr_values(page.text, "data-code"), attr_values(page.text, "data-move"), strict=True)
    )
    assert moves == {"PS330282005": "1", "PS330206002": "1", "PS330282108": "-2"}


async def test_board_exports_every_row_to_excel(client, make_user):
    await setup_cases()
    await make_user("boss", "leader")
    await login(client, "boss")
    response = await client.get("/streaks?level=village&format=xlsx")
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("名次", "编码", "名称") and len(rows) == 5
    assert rows[1][1] == "330282005206" and rows[1][0] == 1


async def test_coordinator_sees_the_whole_district_board_with_own_row_pinned_and_highlighted(
    client, make_user
):
    """A station coordinator competes with the district: every station of 慈溪 with its
    city-wide rank, their own pinned above the board and highlighted in it; only their own
    unit page (case days) is linked."""
    await setup_cases()
    await make_user("fuhai", "coordinator", unit=("station", "PS330282108"))
    await login(client, "fuhai")
    html = (await client.get("/streaks?level=station")).text
    pinned, table = html.split('class="table-wrap"', 1)
    assert attr_values(pinned[pinned.index("data-pinned") :], "data-code") == ["PS330282108"]
    assert attr_values(table, "data-code") == ["PS330282005", "PS330282108"]
    assert attr_values(table, "data-rank") == ["1", "3"]
    assert re.findall(r'data-code="(\w+)"[^>]*data-mine', table) == ["PS330282108"]
    assert 'href="/streaks/station/PS330282108"' in table
    assert 'href="/streaks/station/PS330282005"' not in table
    assert (await client.get("/streaks/station/PS330282005")).status_code == 403


async def test_coordinator_gets_403_for_another_districts_board_and_unit(client, make_user):
    await setup_cases()
    await make_user("baisha", "coordinator", unit=("town", "330282005"))
    await login(client, "baisha")
    assert (await client.get("/streaks?level=village&district=330206")).status_code == 403
    assert (await client.get("/streaks/village/330206002001")).status_code == 403
    assert (await client.get("/streaks/village/330282005002")).status_code == 200


async def test_bad_level_or_future_day_is_a_400_in_chinese(client, make_user):
    await make_user("boss", "leader")
    await login(client, "boss")
    bad = await client.get("/streaks?level=county")
    assert bad.status_code == 400 and "级别应为" in bad.text
    future = await client.get(f"/streaks?as_of={TODAY + dt.timedelta(days=1)}")
    assert future.status_code == 400 and "不能晚于今天" in future.text


async def test_unit_page_shows_streak_best_rank_progress_and_case_calendar(client, make_user):
    await setup_cases()
    await make_user("boss", "leader")
    await login(client, "boss")
    page = await client.get("/streaks/village/330282005002")
    assert page.status_code == 200
    html = page.text
    assert re.search(r'data-stat="current">40 ', html)
    assert re.search(r'data-stat="rank">3 ', html)
    assert 'data-next="90"' in html and 'data-milestone="30"' in html
    assert attr_values(html, "data-cases") == ["1", "1"]
    assert [d for d in attr_values(html, "data-day") if d in (str(ago(60)), str(ago(40)))]
    assert (await client.get("/streaks/village/330299999999")).status_code == 404


async def test_honour_roll_groups_units_by_the_highest_milestone_reached(client, make_user):
    await setup_cases()
    await make_user("boss", "leader")
    await login(client, "boss")
    page = await client.get("/streaks/honours?level=station")
    assert "连续一个月零发案派出所" in page.text and "连续十天零发案派出所" in page.text
    groups = re.findall(r'data-milestone="(\d+)">(.*?)</section>', page.text, re.S)
    members = {m: attr_values(body, "data-code") for m, body in groups}
    assert members == {"100": [], "60": [], "30": ["PS330282005"], "10": ["PS330206002"]}
    village = await client.get("/streaks/honours?level=village")
    assert "连续一个月零发案村" in village.text


async def test_feed_lists_events_newest_first_and_filters_by_level(client, make_user):
    await setup_cases()
    for level in queries.LEVELS:
        await queries.refresh_bests(level)
    await queries.write_snapshot(ago(10))
    await make_user("boss", "leader")
    await login(client, "boss")
    page = await client.get("/streaks/feed")
    assert page.status_code == 200
    assert set(attr_values(page.text, "data-code")) == {"PS330282005", "330282005002", "330282005"}
    stations = await client.get("/streaks/feed?level=station")
    assert attr_values(stations.text, "data-level") == ["station"]
    assert "连续一个月零发案派出所" in stations.text
    empty = await client.get("/streaks/feed?district=330206")
    assert "暂无动态" in empty.text


async def test_home_card_shows_a_coordinators_streak_rank_and_next_milestone(client, make_user):
    await setup_cases()
    await make_user("fuhai", "coordinator", unit=("station", "PS330282108"))
    await login(client, "fuhai")
    home = (await client.get("/")).text
    card = home.split('data-card="streaks"')[1].split("</section>")[0]
    assert 'data-code="PS330282108"' in card and 'data-stat="current">3<' in card
    assert 'data-next="10"' in card and "连续十天零发案派出所" in card


async def test_home_card_shows_leaders_the_top_stations(client, make_user):
    await setup_cases()
    await make_user("boss", "leader")
    await login(client, "boss")
    home = (await client.get("/")).text
    card = home.split('data-card="streaks"')[1].split("</section>")[0]
    assert attr_values(card, "data-code") == ["PS330282005", "PS330206002", "PS330282108"]


async def test_honour_roll_exports_every_honoured_unit(client, make_user):
    await setup_cases()
    await make_user("boss", "leader")
    await login(client, "boss")
    response = await client.get("/streaks/honours?level=station&format=xlsx")
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[1:] == [
        ("连续一个月零发案派出所", "PS330282005", "白沙路派出所", "慈溪市", None, 40),
        ("连续十天零发案派出所", "PS330206002", "新碶派出所", "北仑区", None, 12),
    ]
