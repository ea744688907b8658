"""GET /api/v1/streaks exactly as the README's API section specifies it."""

from __future__ import annotations

import datetime as dt

from campaign.accounts import queries as accounts
from campaign.timeutil import today
from tests.helpers.streaks import ago, setup_cases
from tests.helpers.web import login

ITEM_KEYS = {
    "rank",
    "code",
    "name",
    "current_days",
    "longest_days",
    "longest_from",
    "longest_to",
    "last_case_on",
    "milestone",
}


async def bearer(make_user, name: str, role: str = "leader", unit=None) -> dict:
    token = await accounts.create_token(await make_user(name, role, unit=unit), "test")
    return {"Authorization": f"Bearer {token}"}


async def test_streaks_api_matches_the_schema_of_design_section_4(client, make_user):
    await setup_cases()
    headers = await bearer(make_user, "boss")
    body = (await client.get("/api/v1/streaks?level=village", headers=headers)).json()
    assert set(body) == {"level", "as_of", "tracked_since", "items"}
    assert (body["level"], body["as_of"], body["tracked_since"]) == (
        "village",
        today().isoformat(),
        ago(60).isoformat(),
    )
    assert all(set(item) == ITEM_KEYS for item in body["items"])
    first, third = body["items"][0], body["items"][2]
    assert first == {
        "rank": 1,
        "code": "330282005206",
        "name": "白沙路村",
        "current_days": 61,
        "longest_days": 61,
        "longest_from": ago(60).isoformat(),
        "longest_to": today().isoformat(),
        "last_case_on": None,
        "milestone": 30,
    }
    assert third["code"] == "330282005002" and third["last_case_on"] == ago(40).isoformat()
    assert (third["longest_days"], third["longest_from"]) == (40, ago(39).isoformat())
    assert [i["rank"] for i in body["items"]] == [1, 1, 3, 4]


async def test_level_defaults_to_stations_and_as_of_in_the_past_ignores_later_cases(
    client, make_user
):
    await setup_cases()
    await make_user("boss", "leader")
    await login(client, "boss")
    body = (await client.get(f"/api/v1/streaks?as_of={ago(5)}&limit=1")).json()
    assert body["level"] == "station" and body["as_of"] == ago(5).isoformat()
    assert [(i["code"], i["current_days"]) for i in body["items"]] == [("PS330282108", 56)]


async def test_district_filter_keeps_city_wide_ranks(client, make_user):
    await setup_cases()
    headers = await bearer(make_user, "boss")
    body = (
        await client.get("/api/v1/streaks?level=station&district=330206", headers=headers)
    ).json()
    assert [(i["rank"], i["code"]) for i in body["items"]] == [(2, "PS330206002")]


async def test_limit_defaults_to_100_and_is_capped_at_1000(client, make_user):
    await setup_cases()
    headers = await bearer(make_user, "boss")
    capped = await client.get("/api/v1/streaks?level=village&limit=5000", headers=headers)
    assert capped.status_code == 200 and len(capped.json()["items"]) == 4
    two = await client.get("/api/v1/streaks?level=village&limit=2", headers=headers)
    assert len(two.json()["items"]) == 2
    for bad in ("0", "-3", "many"):
        response = await client.get(f"/api/v1/streaks?limit={bad}", headers=headers)
        assert response.status_code == 400 and "limit" in response.json()["detail"]


async def test_bad_level_bad_date_and_future_date_are_400_json_in_chinese(client, make_user):
    headers = await bearer(make_user, "boss")
    for query, words in (
        ("level=county", "级别应为"),
        ("as_of=2026-13-01", "日期格式"),
        (f"as_of={today() + dt.timedelta(days=1)}", "不能晚于今天"),
        ("district=999999", "不存在"),
    ):
        response = await client.get(f"/api/v1/streaks?{query}", headers=headers)
        assert response.status_code == 400, query
        assert words in response.json()["detail"], query


async def test_town_coordinator_asking_for_another_district_gets_403(client, make_user):
    await setup_cases()
    headers = await bearer(make_user, "baisha", "coordinator", unit=("town", "330282005"))
    other = await client.get("/api/v1/streaks?district=330206", headers=headers)
    assert other.status_code == 403
    own = await client.get("/api/v1/streaks?level=village&district=330282", headers=headers)
    assert [i["code"] for i in own.json()["items"]] == ["330282005206", "330282005002"]


async def test_streaks_api_is_documented_in_the_schema(client):
    schema = (await client.get("/schema/openapi.json")).json()
    operation = schema["paths"]["/api/v1/streaks"]["get"]
    assert {p["name"] for p in operation["parameters"]} == {"level", "as_of", "district", "limit"}
    assert "1,000" in operation["description"]


async def test_anonymous_callers_get_401(client):
    assert (await client.get("/api/v1/streaks")).status_code == 401
