"""Police stations: the list with district filter and counts, the jurisdiction of one station with
its village-level refinements, and who may see which station."""

from __future__ import annotations

import io
import re

from openpyxl import load_workbook

from campaign.regions.tables import Region, Station
from tests.helpers.ningbo import load_slice
from tests.helpers.web import login, text_of

BAISHA_STATION, FUHAI_STATION, XINQI_STATION = "PS330282005", "PS330282108", "PS330206002"


def stations_listed(html: str) -> list[str]:
    return re.findall(r'<tr data-station="(\w+)"', html)


def villages_listed(html: str) -> list[str]:
    return re.findall(r'<tr data-region="(\d{12})"', html)


async def as_user(client, make_user, role="admin", unit=None):
    await load_slice()
    await make_user("someone", role, unit=unit)
    await login(client, "someone")


async def test_admin_lists_every_station_with_town_and_village_counts(client, make_user):
    await as_user(client, make_user)
    page = await client.get("/stations")
    assert page.status_code == 200
    assert stations_listed(page.text) == [XINQI_STATION, BAISHA_STATION, FUHAI_STATION]
    assert text_of(page.text, "data-towns") == ["1", "1", "1"]
    assert text_of(page.text, "data-villages") == ["1", "2", "1"]


async def test_district_filter_and_search_narrow_the_list(client, make_user):
    await as_user(client, make_user)
    cixi = await client.get("/stations", params={"district": "330282"})
    assert stations_listed(cixi.text) == [BAISHA_STATION, FUHAI_STATION]
    fuhai = await client.get("/stations", params={"q": "附海"})
    assert stations_listed(fuhai.text) == [FUHAI_STATION]
    by_code = await client.get("/stations", params={"q": "330206"})
    assert stations_listed(by_code.text) == [XINQI_STATION]
    none = await client.get("/stations", params={"q": "没有这个所"})
    assert stations_listed(none.text) == [] and "没有符合条件的派出所" in none.text


async def test_demo_stations_carry_a_demo_badge(client, make_user):
    await as_user(client, make_user)
    await Station.update({Station.is_demo: True}).where(Station.code == FUHAI_STATION)
    page = await client.get("/stations")
    row = re.search(rf'<tr data-station="{FUHAI_STATION}">(.*?)</tr>', page.text, re.S).group(1)
    assert "data-demo" in row
    other = re.search(rf'<tr data-station="{BAISHA_STATION}">(.*?)</tr>', page.text, re.S).group(1)
    assert "data-demo" not in other


async def test_station_list_exports_as_xlsx(client, make_user):
    await as_user(client, make_user)
    response = await client.get("/stations", params={"district": "330282", "format": "xlsx"})
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[1] == (BAISHA_STATION, "白沙路派出所", "慈溪市", 1, 2, None)
    assert len(rows) == 3


async def test_station_detail_lists_its_towns_and_villages(client, make_user):
    await as_user(client, make_user)
    page = await client.get(f"/stations/{BAISHA_STATION}")
    assert page.status_code == 200
    assert '<tr data-region="330282005">' in page.text
    assert villages_listed(page.text) == ["330282005002", "330282005206"]
    assert text_of(page.text, 'data-stat="population"') == ["8,300"]


async def test_a_village_assigned_to_another_station_is_listed_under_that_one(client, make_user):
    await as_user(client, make_user)
    await Station.insert(Station(code="PS9", name="白沙二所", district_code="330282"))
    await Region.update({Region.station_code: "PS9"}).where(Region.code == "330282005206")
    own = await client.get(f"/stations/{BAISHA_STATION}")
    assert villages_listed(own.text) == ["330282005002"]
    other = await client.get("/stations/PS9")
    assert villages_listed(other.text) == ["330282005206"]
    listing = await client.get("/stations", params={"district": "330282"})
    assert stations_listed(listing.text) == [BAISHA_STATION, FUHAI_STATION, "PS9"]
    assert text_of(listing.text, "data-villages") == ["1", "1", "1"]


async def test_station_coordinator_sees_only_their_station(client, make_user):
    await as_user(client, make_user, "coordinator", ("station", FUHAI_STATION))
    assert stations_listed((await client.get("/stations")).text) == [FUHAI_STATION]
    assert (await client.get(f"/stations/{FUHAI_STATION}")).status_code == 200
    assert (await client.get(f"/stations/{BAISHA_STATION}")).status_code == 403


async def test_town_coordinator_sees_the_stations_covering_their_town(client, make_user):
    await as_user(client, make_user, "coordinator", ("town", "330282005"))
    assert stations_listed((await client.get("/stations")).text) == [BAISHA_STATION]
    assert (await client.get(f"/stations/{FUHAI_STATION}")).status_code == 403


async def test_district_leader_sees_the_stations_of_their_district(client, make_user):
    await as_user(client, make_user, "leader", ("district", "330206"))
    page = await client.get("/stations")
    assert stations_listed(page.text) == [XINQI_STATION]
    assert 'name="district"' not in page.text  # one district: no filter to offer
    assert (await client.get(f"/stations/{BAISHA_STATION}")).status_code == 403


async def test_unknown_station_is_a_chinese_404(client, make_user):
    await as_user(client, make_user)
    response = await client.get("/stations/PS000")
    assert response.status_code == 404 and "派出所 PS000 不存在" in response.text
