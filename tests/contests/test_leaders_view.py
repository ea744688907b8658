"""The leadership view: streak boards, contest 红黑榜 and milestones, refreshing themselves,
and a wall screen without navigation."""

from __future__ import annotations

import re

from tests.helpers.contests import make_contest, slice_with_cases
from tests.helpers.web import login


async def test_leaders_view_shows_three_streak_boards_contests_and_the_feed(client, make_user):
    await slice_with_cases()
    contest_id = await make_contest()
    await make_user("chief", "leader")
    await login(client, "chief")
    page = (await client.get("/leaders")).text
    assert re.findall(r'data-streak-board="(\w+)"', page) == ["station", "village", "town"]
    assert f'data-contest-board="{contest_id}"' in page
    assert len(re.findall(r'hx-trigger="every 60s"', page)) == 3
    assert 'data-nav="leaders"' in page and 'href="/leaders/wall"' in page


async def test_each_part_refreshes_as_a_fragment(client, make_user):
    await slice_with_cases()
    await make_contest()
    await make_user("chief", "leader")
    await login(client, "chief")
    for part in ("streaks", "contests", "feed"):
        response = await client.get(f"/leaders/part/{part}", headers={"HX-Request": "true"})
        assert response.status_code == 200
        assert "<html" not in response.text and "data-updated=" in response.text
    assert (await client.get("/leaders/part/other")).status_code == 404


async def test_wall_screen_renders_without_navigation(client, make_user):
    await slice_with_cases()
    await make_contest()
    await make_user("chief", "leader")
    await login(client, "chief")
    page = (await client.get("/leaders/wall")).text
    assert 'class="wall"' in page and "data-clock" in page and "数据更新时间" in page
    assert "sidenav" not in page and 'data-nav="' not in page
    assert "every 60s" in page


async def test_a_district_leader_sees_boards_of_the_own_district_only(client, make_user):
    await slice_with_cases()
    await make_user("cixi", "leader", unit=("district", "330282"))
    await login(client, "cixi")
    page = (await client.get("/leaders")).text
    town_board = re.search(r'data-streak-board="town".*?</ol>', page, re.S).group(0)
    assert set(re.findall(r'data-code="(\d+)"', town_board)) == {"330282005", "330282108"}


async def test_coordinators_and_teams_are_kept_out_of_the_leaders_view(client, make_user):
    await slice_with_cases()
    await make_user("baisha", "coordinator", unit=("town", "330282005"))
    await login(client, "baisha")
    assert (await client.get("/leaders")).status_code == 403
    assert (await client.get("/leaders/wall")).status_code == 403


async def test_home_card_shows_running_contests_top_and_bottom_to_leaders(client, make_user):
    await slice_with_cases()
    contest_id = await make_contest()
    await make_user("chief", "leader")
    await login(client, "chief")
    home = (await client.get("/")).text
    card = re.search(r'data-card="contests".*?</section>', home, re.S).group(0)
    assert f'href="/contests/{contest_id}"' in card
    assert 'data-code="330206002"' in card


async def test_home_card_tells_a_coordinator_where_the_own_town_stands(client, make_user):
    await slice_with_cases()
    contest_id = await make_contest()
    await make_user("fuhai", "coordinator", unit=("town", "330282108"))
    await login(client, "fuhai")
    home = (await client.get("/")).text
    card = re.search(r'data-card="contests".*?</section>', home, re.S).group(0)
    assert f'data-contest-board="{contest_id}"' in card
    assert re.findall(r'data-code="(\d+)"', card) == ["330282108"]
    assert "第 3 名" in card and "共 3 个单位" in card
