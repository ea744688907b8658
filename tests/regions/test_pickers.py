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
