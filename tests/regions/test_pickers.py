"""Searchable pickers (GET /pick/<kind>): matches by name or code prefix, at most PICK_LIMIT,
never outside the person's jurisdiction; the streak pages render the picker instead of a select
of every district."""

from __future__ import annotations

import re

from campaign.accounts.rules import Scope
from campaign.regions import queries as regions
from campaign.regions.tables import Region
from tests.helpers.ningbo import load_slice
from tests.helpers.web import login


def _codes(html: str) -> list[str]:
    return re.findall(r'data-code="([^"]+)"', html)


async def test_admin_finds_districts_by_name_and_by_code_prefix(client, make_user):
    await load_slice()
    await make_user("boss", "admin")
    await login(client, "boss")
    assert _codes((await client.get("/pick/district?q=慈溪")).text) == ["330282"]
    assert _codes((await client.get("/pick/district?q=3302")).text) == ["330206", "330282"]
    # a picked entry reads "name code": its last word is searched for
    assert _codes((await client.get("/pick/district?q=北仑区 330206")).text) == ["330206"]
    assert _codes((await client.get("/pick/town?q=&parent=330282")).text) == [
        "330282005",
        "330282108",
    ]
    assert _codes((await client.get("/pick/station?q=附海")).text) == ["PS330282108"]
    assert (await client.get("/pick/province?q=x")).status_code == 404


async def test_a_coordinator_is_offered_only_their_own_jurisdiction(client, make_user):
    await load_slice()
    await make_user("coord", "coordinator", unit=("town", "330282108"))
    await login(client, "coord")
    assert _codes((await client.get("/pick/district?q=")).text) == ["330282"]
    assert _codes((await client.get("/pick/district?q=北仑")).text) == []
    assert _codes((await client.get("/pick/town?q=")).text) == ["330282108"]
    assert _codes((await client.get("/pick/station?q=派出所")).text) == ["PS330282108"]


async def test_no_more_than_the_limit_is_offered(db):
    await Region.insert(
        *(
            Region(code=f"9{i:05d}", name=f"测试区{i}", level="district")
            for i in range(regions.PICK_LIMIT + 5)
        )
    )
    found = await regions.pick("district", Scope(), "测试")
    assert len(found) == regions.PICK_LIMIT
    assert [u.code for u in found] == sorted(u.code for u in found)


async def test_streak_pages_show_the_picker_with_the_chosen_district(client, make_user):
    await load_slice()
    await make_user("boss", "admin")
    await login(client, "boss")
    for path in ("/streaks", "/streaks/honours", "/streaks/feed"):
        page = (await client.get(f"{path}?district=330282")).text
        assert 'data-picker="/pick/district"' in page, path
        assert 'name="district" value="330282"' in page, path
        assert 'value="慈溪市 330282"' in page, path
        assert '<option value="330206"' not in page, path  # no select of every district


async def test_a_persons_unit_is_picked_among_districts_towns_and_stations(client, make_user):
    """The user form's 所属单位: one picker over the three kinds a person can belong to, each
    submitted as "kind:code" and shown as its name, kind and code."""
    await load_slice()
    await make_user("boss", "admin")
    await make_user("coord", "coordinator", unit=("town", "330282108"))
    await login(client, "boss")
    found = (await client.get("/pick/unit?q=附海")).text
    assert _codes(found) == ["town:330282108", "station:PS330282108"]
    assert 'value="附海镇(镇街) 330282108"' in found
    assert _codes((await client.get("/pick/unit?q=慈溪")).text)[0] == "district:330282"
    form = (await client.get("/admin/users/new")).text
    assert 'data-picker="/pick/unit"' in form and "<optgroup" not in form
    users = (await client.get("/admin/users?q=coord")).text
    user_id = re.search(r'href="/admin/users/(\d+)"', users).group(1)
    edit = (await client.get(f"/admin/users/{user_id}")).text
    assert 'name="unit" value="town:330282108"' in edit and 'value="附海镇(镇街) 330282108"' in edit
