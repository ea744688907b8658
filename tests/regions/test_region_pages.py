"""The region tree, search and detail pages: each person sees their own part of the city, and
coordinators keep their villages' population and station up to date."""

from __future__ import annotations

import io
import re

from openpyxl import load_workbook

from campaign.accounts.tables import AuditEntry
from campaign.regions.tables import Region
from tests.helpers.ningbo import load_slice
from tests.helpers.web import login, post_form, text_of

BAISHA, FUHAI = "330282005", "330282108"
BAISHA_VILLAGE, FUHAI_VILLAGE = "330282005206", "330282108201"


def regions_listed(html: str) -> list[str]:
    return re.findall(r'data-region="(\d+)"', html)


async def as_user(client, make_user, role="admin", unit=None, name="someone"):
    await load_slice()
    await make_user(name, role, unit=unit)
    await login(client, name)


async def population_of(code: str) -> int | None:
    return (await Region.select(Region.population).where(Region.code == code).first())["population"]


async def test_admin_tree_shows_every_district(client, make_user):
    await as_user(client, make_user)
    page = await client.get("/regions")
    assert page.status_code == 200
    assert regions_listed(page.text) == ["330206", "330282"]
    assert 'hx-get="/regions/330282/children"' in page.text
    assert 'data-nav="regions" class="active"' in page.text


async def test_opening_a_district_loads_its_towns_with_village_counts(client, make_user):
    await as_user(client, make_user)
    fragment = await client.get("/regions/330282/children", headers={"HX-Request": "true"})
    assert fragment.text.lstrip().startswith('<ul class="tree" data-children-of="330282">')
    assert regions_listed(fragment.text) == [BAISHA, FUHAI]
    assert "2 个村社" in fragment.text


async def test_town_coordinators_tree_shows_only_their_town_opened(client, make_user):
    await as_user(client, make_user, "coordinator", ("town", BAISHA))
    page = await client.get("/regions")
    assert regions_listed(page.text) == [BAISHA, "330282005002", BAISHA_VILLAGE]
    assert "<details open>" in page.text


async def test_coordinator_cannot_open_another_towns_branch(client, make_user):
    await as_user(client, make_user, "coordinator", ("town", BAISHA))
    response = await client.get(f"/regions/{FUHAI}/children", headers={"HX-Request": "true"})
    assert response.status_code == 403


async def test_search_by_name_lists_matches_with_their_path(client, make_user):
    await as_user(client, make_user)
    page = await client.get("/regions", params={"q": "白沙"})
    assert regions_listed(page.text) == [BAISHA, BAISHA_VILLAGE]
    assert text_of(page.text, "data-path") == [
        "慈溪市 › 白沙路街道",
        "慈溪市 › 白沙路街道 › 白沙路村",
    ]
    assert "<mark>白沙</mark>路村" in page.text


async def test_search_by_code_prefix_lists_the_town_and_its_villages(client, make_user):
    await as_user(client, make_user)
    page = await client.get("/regions", params={"q": FUHAI})
    assert regions_listed(page.text) == [FUHAI, FUHAI_VILLAGE]


async def test_live_search_returns_only_the_results_fragment(client, make_user):
    await as_user(client, make_user)
    fragment = await client.get("/regions", params={"q": "社区"}, headers={"HX-Request": "true"})
    assert "<html" not in fragment.text
    assert 'data-result-count="2"' in fragment.text


async def test_search_stays_inside_the_coordinators_town(client, make_user):
    await as_user(client, make_user, "coordinator", ("town", BAISHA))
    page = await client.get("/regions", params={"q": "村"})
    assert regions_listed(page.text) == [BAISHA_VILLAGE]


async def test_search_without_matches_says_what_to_try(client, make_user):
    await as_user(client, make_user)
    page = await client.get("/regions", params={"q": "不存在的地方"})
    assert regions_listed(page.text) == []
    assert "没有找到" in page.text and "试试更短的名称" in page.text


async def test_search_results_export_as_xlsx(client, make_user):
    await as_user(client, make_user)
    response = await client.get("/regions", params={"q": "白沙", "format": "xlsx"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("区划代码", "名称", "级别")
    assert rows[2] == (
        BAISHA_VILLAGE,
        "白沙路村",
        "村社",
        "慈溪市 › 白沙路街道 › 白沙路村",
        3100,
        "白沙路派出所",
    )


async def test_village_detail_shows_breadcrumbs_population_and_station(client, make_user):
    await as_user(client, make_user)
    page = await client.get(f"/regions/{BAISHA_VILLAGE}")
    assert page.status_code == 200
    assert text_of(page.text, "data-breadcrumbs")[0].split() == ["区划"]
    assert f'href="/regions/{BAISHA}">白沙路街道</a>' in page.text
    assert 'data-level="village"' in page.text
    assert text_of(page.text, 'data-stat="population"') == ["3,100"]
    assert 'data-station="PS330282005"' in page.text


async def test_district_detail_lists_towns_with_village_counts_and_its_stations(client, make_user):
    await as_user(client, make_user)
    page = await client.get("/regions/330282")
    assert regions_listed(page.text) == [BAISHA, FUHAI]
    assert text_of(page.text, "data-count") == ["2", "1"]
    assert re.findall(r'<li data-station="(\w+)"', page.text) == ["PS330282005", "PS330282108"]


async def test_coordinator_gets_403_on_another_towns_village(client, make_user):
    await as_user(client, make_user, "coordinator", ("town", BAISHA))
    assert (await client.get(f"/regions/{FUHAI_VILLAGE}")).status_code == 403
    assert (await client.get(f"/regions/{BAISHA_VILLAGE}")).status_code == 200


async def test_unknown_code_is_a_chinese_404(client, make_user):
    await as_user(client, make_user)
    response = await client.get("/regions/330282999999")
    assert response.status_code == 404
    assert "区划代码 330282999999 不存在" in response.text


async def test_coordinator_edits_population_of_a_village_in_their_town(client, make_user):
    await as_user(client, make_user, "coordinator", ("town", BAISHA), name="coord")
    response = await post_form(client, f"/regions/{BAISHA_VILLAGE}", {"population": "3,250"})
    assert response.status_code == 302
    assert await population_of(BAISHA_VILLAGE) == 3250
    entry = await AuditEntry.select().where(AuditEntry.action == "region.update").first()
    assert entry["actor_name"] == "coord" and entry["target"] == f"region:{BAISHA_VILLAGE}"
    assert entry["detail"] in (
        {"before": {"population": 3100}, "after": {"population": 3250}},
        '{"before": {"population": 3100}, "after": {"population": 3250}}',
    )


async def test_coordinator_gets_403_editing_another_towns_village_and_nothing_changes(
    client, make_user
):
    await as_user(client, make_user, "coordinator", ("town", BAISHA))
    response = await post_form(client, f"/regions/{FUHAI_VILLAGE}", {"population": "1"})
    assert response.status_code == 403
    assert await population_of(FUHAI_VILLAGE) == 2800
    assert not await AuditEntry.exists().where(AuditEntry.action == "region.update")


async def test_leader_reads_but_gets_403_on_edit(client, make_user):
    await as_user(client, make_user, "leader", ("district", "330282"))
    page = await client.get(f"/regions/{BAISHA_VILLAGE}")
    assert page.status_code == 200 and 'data-form="region-edit"' not in page.text
    response = await post_form(client, f"/regions/{BAISHA_VILLAGE}", {"population": "1"})
    assert response.status_code == 403
    assert await population_of(BAISHA_VILLAGE) == 3100


async def test_invalid_population_is_explained_beside_the_field_and_kept(client, make_user):
    await as_user(client, make_user, "coordinator", ("town", BAISHA))
    for typed, reason in (("-12", "不小于 0 的整数"), ("12000000", "不能超过 10,000,000")):
        response = await post_form(client, f"/regions/{BAISHA_VILLAGE}", {"population": typed})
        assert response.status_code == 400
        assert reason in text_of(response.text, 'id="e-population"')[0]
        assert f'value="{typed}"' in response.text
    assert await population_of(BAISHA_VILLAGE) == 3100


async def test_village_may_be_assigned_only_to_a_station_covering_its_town(client, make_user):
    await as_user(client, make_user)
    refused = await post_form(
        client, f"/regions/{BAISHA_VILLAGE}", {"population": "3100", "station_code": "PS330282108"}
    )
    assert refused.status_code == 400 and "请选择辖区包含该镇街的派出所" in refused.text
    accepted = await post_form(
        client, f"/regions/{BAISHA_VILLAGE}", {"population": "3100", "station_code": "PS330282005"}
    )
    assert accepted.status_code == 302
    row = await Region.select(Region.station_code).where(Region.code == BAISHA_VILLAGE).first()
    assert row["station_code"] == "PS330282005"
