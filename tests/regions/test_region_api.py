"""The regions and stations JSON API: fixed shapes, capped limits, the caller's jurisdiction, and
bearer tokens for other systems."""

from __future__ import annotations

from pathlib import Path

from campaign.accounts import queries as accounts
from campaign.regions.imports import import_file
from tests.helpers.ningbo import load_slice
from tests.helpers.web import login

NINGBO = Path(__file__).resolve().parents[2] / "campaign" / "regions" / "data" / "ningbo-2023.csv"
REGION_KEYS = {
    "code",
    "name",
    "level",
    "parent_code",
    "district_code",
    "town_code",
    "population",
    "station_code",
}


async def as_user(client, make_user, role="admin", unit=None):
    await load_slice()
    await make_user("someone", role, unit=unit)
    await login(client, "someone")


async def test_children_of_a_district_in_code_order(client, make_user):
    await as_user(client, make_user)
    response = await client.get("/api/v1/regions", params={"parent": "330282"})
    assert response.status_code == 200
    items = response.json()["items"]
    assert [i["code"] for i in items] == ["330282005", "330282108"]
    assert set(items[0]) == REGION_KEYS
    assert items[0]["level"] == "town" and items[0]["district_code"] == "330282"


async def test_level_and_q_filter_regions(client, make_user):
    await as_user(client, make_user)
    districts = await client.get("/api/v1/regions", params={"level": "district"})
    assert [i["name"] for i in districts.json()["items"]] == ["北仑区", "慈溪市"]
    villages = await client.get("/api/v1/regions", params={"level": "village", "q": "社区"})
    assert [i["code"] for i in villages.json()["items"]] == ["330206002001", "330282005002"]
    prefix = await client.get("/api/v1/regions", params={"q": "330282108"})
    assert [i["code"] for i in prefix.json()["items"]] == ["330282108", "330282108201"]
    wrong = await client.get("/api/v1/regions", params={"level": "province"})
    assert wrong.status_code == 400


async def test_one_region_by_code(client, make_user):
    await as_user(client, make_user)
    item = (await client.get("/api/v1/regions/330282005206")).json()
    assert item == {
        "code": "330282005206",
        "name": "白沙路村",
        "level": "village",
        "parent_code": "330282005",
        "district_code": "330282",
        "town_code": "330282005",
        "population": 3100,
        "station_code": None,
    }
    missing = await client.get("/api/v1/regions/330282999999")
    assert missing.status_code == 404 and "不存在" in missing.json()["detail"]


async def test_limit_defaults_to_100_and_is_capped_at_1000(client, make_user):
    await make_user("someone", "admin")
    await import_file("regions", NINGBO.name, NINGBO.read_bytes(), False, None)
    await login(client, "someone")
    default = await client.get("/api/v1/regions")
    assert len(default.json()["items"]) == 100
    capped = await client.get("/api/v1/regions", params={"limit": 50000})
    assert capped.status_code == 200 and len(capped.json()["items"]) == 1000
    small = await client.get("/api/v1/regions", params={"limit": 3, "level": "district"})
    assert [i["code"] for i in small.json()["items"]] == ["330203", "330205", "330206"]


async def test_coordinator_gets_403_json_outside_their_town(client, make_user):
    await as_user(client, make_user, "coordinator", ("town", "330282005"))
    village = await client.get("/api/v1/regions/330282108201")
    assert village.status_code == 403 and village.json()["status_code"] == 403
    branch = await client.get("/api/v1/regions", params={"parent": "330282108"})
    assert branch.status_code == 403
    own = await client.get("/api/v1/regions", params={"level": "village"})
    assert [i["code"] for i in own.json()["items"]] == ["330282005002", "330282005206"]


async def test_stations_with_their_towns(client, make_user):
    await as_user(client, make_user)
    response = await client.get("/api/v1/stations", params={"district": "330282"})
    assert response.json()["items"] == [
        {
            "code": "PS330282005",
            "name": "白沙路派出所",
            "district_code": "330282",
            "is_demo": False,
            "towns": ["330282005"],
        },
        {
            "code": "PS330282108",
            "name": "附海派出所",
            "district_code": "330282",
            "is_demo": False,
            "towns": ["330282108"],
        },
    ]
    found = await client.get("/api/v1/stations", params={"q": "新碶", "limit": 1})
    assert [s["code"] for s in found.json()["items"]] == ["PS330206002"]


async def test_station_coordinator_sees_only_their_station(client, make_user):
    await as_user(client, make_user, "coordinator", ("station", "PS330282108"))
    items = (await client.get("/api/v1/stations")).json()["items"]
    assert [s["code"] for s in items] == ["PS330282108"]


async def test_bearer_token_reads_the_api_within_the_users_scope(client, make_user):
    await load_slice()
    user_id = await make_user("bigscreen", "leader", unit=("district", "330282"))
    token = await accounts.create_token(user_id, "大屏")
    headers = {"Authorization": f"Bearer {token}"}
    response = await client.get("/api/v1/regions", params={"level": "town"}, headers=headers)
    assert response.status_code == 200
    assert [i["code"] for i in response.json()["items"]] == ["330282005", "330282108"]
    outside = await client.get("/api/v1/regions/330206002", headers=headers)
    assert outside.status_code == 403
    forged = await client.get("/api/v1/regions", headers={"Authorization": "Bearer cmp_nope"})
    assert forged.status_code == 401


async def test_the_schema_documents_the_region_endpoints(client, make_user):
    schema = (await client.get("/schema/openapi.json")).json()
    regions = schema["paths"]["/api/v1/regions"]["get"]
    assert "capped at 1,000" in regions["description"]
    assert {p["name"] for p in regions["parameters"]} >= {"parent", "level", "q", "limit"}
    assert "/api/v1/stations" in schema["paths"] and "/api/v1/regions/{code}" in schema["paths"]
