"""GET /api/v1/cases and the queries the streak, contest and bulletin modules call."""

from __future__ import annotations

import datetime as dt

from campaign.accounts import queries as accounts
from campaign.accounts.rules import Scope
from campaign.cases import queries
from campaign.db import write_transaction
from tests.helpers.web import login

D = dt.date


async def given_cases() -> None:
    rows = [
        (
            "K1",
            D(2026, 7, 3),
            "330282005002",
            "330282005",
            "PS330282005",
            "投资理财",
            100_00,
            "学生",
        ),
        ("K2", D(2026, 7, 3), "330282005002", "330282005", "PS330282005", "贷款", 50_00, "教师"),
        ("K3", D(2026, 7, 5), None, "330282005", "PS330282005", "投资理财", 7_00, "学生"),
        ("K4", D(2026, 7, 9), "330282108201", "330282108", "PS330282108", "兼职刷单", 1_00, "其他"),
        ("K5", D(2026, 7, 9), "330206002001", "330206002", "PS330206002", "冒充客服", 2_00, "其他"),
        ("K6", D(2026, 6, 1), "330206002001", "330206002", "PS330206002", "冒充客服", 9_00, "其他"),
    ]
    async with write_transaction():
        for no, day, village, town, station, kind, fen, group in rows:
            await queries.insert_case(
                dict(
                    case_no=no,
                    occurred_on=day,
                    village_code=village,
                    town_code=town,
                    district_code=town[:6],
                    station_code=station,
                    fraud_type=kind,
                    loss_fen=fen,
                    occupation_group=group,
                )
            )


async def test_case_days_count_village_town_and_station_as_defined(ningbo):
    await given_cases()
    week = (D(2026, 7, 3), D(2026, 7, 9))
    assert await queries.case_days_by_unit("village", *week) == {
        "330282005002": [D(2026, 7, 3)],
        "330282108201": [D(2026, 7, 9)],
        "330206002001": [D(2026, 7, 9)],
    }
    towns = await queries.case_days_by_unit("town", *week, codes=["330282005"])
    assert towns == {"330282005": [D(2026, 7, 3), D(2026, 7, 5)]}
    stations = await queries.case_days_by_unit("station", D(2026, 6, 1), D(2026, 7, 9))
    assert stations["PS330206002"] == [D(2026, 6, 1), D(2026, 7, 9)]


async def test_counts_and_losses_per_unit(ningbo):
    await given_cases()
    week = (D(2026, 7, 3), D(2026, 7, 9))
    assert await queries.case_counts("town", *week) == {
        "330282005": 3,
        "330282108": 1,
        "330206002": 1,
    }
    assert (await queries.loss_totals("station", *week))["PS330282005"] == 157_00
    assert await queries.case_counts("village", *week, codes=[]) == {}


async def test_earliest_case_day_and_the_weekly_summary(ningbo):
    assert await queries.earliest_case_day() is None
    await given_cases()
    assert await queries.earliest_case_day() == D(2026, 6, 1)
    summary = await queries.weekly_summary(D(2026, 7, 3), D(2026, 7, 9))
    assert (summary.cases, summary.loss_fen) == (5, 160_00)
    assert summary.by_fraud_type[0] == queries.CaseFigure("投资理财", 2, 107_00)
    assert {g.name: g.cases for g in summary.by_occupation_group} == {
        "学生": 2,
        "教师": 1,
        "其他": 2,
    }
    assert summary.by_district[0].code == "330282"
    assert summary["by_district"][0]["name"] == "慈溪市"  # the dict-style reading still works
    beilun = await queries.weekly_summary(D(2026, 7, 3), D(2026, 7, 9), Scope("district", "330206"))
    assert beilun.cases == 1


async def test_api_lists_cases_in_the_callers_scope_with_filters(client, ningbo, make_user):
    await given_cases()
    await make_user("coord", "coordinator", unit=("town", "330282005"))
    await login(client, "coord")
    body = (await client.get("/api/v1/cases", params={"from": "2026-07-04"})).json()
    assert body["total"] == 1 and body["items"][0]["case_no"] == "K3"
    assert body["items"][0]["loss_fen"] == 7_00 and body["items"][0]["village_code"] is None
    everything = (await client.get("/api/v1/cases")).json()
    assert [i["case_no"] for i in everything["items"]] == ["K3", "K2", "K1"]


async def test_api_with_a_token_filters_by_district_type_and_pages(client, ningbo, make_user):
    await given_cases()
    user_id = await make_user("boss", "leader")
    token = await accounts.create_token(user_id, "test")
    headers = {"Authorization": f"Bearer {token}"}
    body = (
        await client.get(
            "/api/v1/cases",
            params={"district": "330206", "fraud_type": "冒充客服", "limit": 1, "offset": 1},
            headers=headers,
        )
    ).json()
    assert (body["total"], body["limit"], body["offset"]) == (2, 1, 1)
    assert body["items"][0]["case_no"] == "K6"
    capped = (await client.get("/api/v1/cases", params={"limit": 5000}, headers=headers)).json()
    assert capped["limit"] == 1000
    bad = await client.get("/api/v1/cases", params={"from": "July"}, headers=headers)
    assert bad.status_code == 400


async def test_api_is_documented_in_the_schema(client, ningbo):
    schema = (await client.get("/schema/openapi.json")).json()
    operation = schema["paths"]["/api/v1/cases"]["get"]
    assert {p["name"] for p in operation["parameters"]} >= {
        "from",
        "to",
        "district",
        "town",
        "fraud_type",
        "limit",
        "offset",
    }


async def test_team_members_get_403_from_the_api(client, ningbo, make_user):
    await make_user("team1", "team", team="警民小铺")
    await login(client, "team1")
    assert (await client.get("/api/v1/cases")).status_code == 403
