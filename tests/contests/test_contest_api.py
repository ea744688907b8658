"""GET /api/v1/contests/{id}/standings: documented, scoped, explained."""

from __future__ import annotations

from campaign.accounts import queries as accounts
from tests.helpers.contests import make_contest, slice_with_cases
from tests.helpers.web import login


async def test_standings_api_returns_ranked_explained_items(client, make_user):
    await slice_with_cases()
    contest_id = await make_contest()
    user_id = await make_user("robot", "leader")
    token = await accounts.create_token(user_id, "wall")
    response = await client.get(
        f"/api/v1/contests/{contest_id}/standings", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"contest", "as_of", "items"}
    assert body["contest"]["id"] == contest_id and body["contest"]["level"] == "town"
    assert [item["rank"] for item in body["items"]] == [1, 2, 3]
    for item in body["items"]:
        assert set(item) == {"rank", "code", "name", "score", "rank_change", "cases", "parts"}
        assert [p["metric"] for p in item["parts"]] == ["cases_per_10k", "zero_days"]
        assert abs(sum(p["contribution"] for p in item["parts"]) - item["score"]) < 0.011
        assert item["rank_change"] is None  # no weekly snapshot yet


async def test_standings_api_leaves_out_units_outside_the_callers_jurisdiction(client, make_user):
    await slice_with_cases()
    contest_id = await make_contest()
    await make_user("cixi", "leader", unit=("district", "330282"))
    await login(client, "cixi")
    body = (await client.get(f"/api/v1/contests/{contest_id}/standings")).json()
    assert {item["code"] for item in body["items"]} == {"330282005", "330282108"}
    assert sorted(item["rank"] for item in body["items"]) == [2, 3]


async def test_standings_api_answers_404_for_an_unknown_contest_and_403_outside_its_district(
    client, make_user
):
    await slice_with_cases()
    contest_id = await make_contest(district_code="330206")
    await make_user("cixi", "leader", unit=("district", "330282"))
    await login(client, "cixi")
    assert (await client.get("/api/v1/contests/999/standings")).status_code == 404
    assert (await client.get(f"/api/v1/contests/{contest_id}/standings")).status_code == 403
    listing = (await client.get("/api/v1/contests")).json()
    assert listing["items"] == []


async def test_standings_endpoint_is_documented_in_the_schema(client, make_user):
    schema = (await client.get("/schema/openapi.json")).json()
    operation = schema["paths"]["/api/v1/contests/{contest_id}/standings"]["get"]
    assert "competition ranks" in operation["description"]
    assert "/api/v1/contests" in schema["paths"]
