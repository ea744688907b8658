"""The assessment end to end: computed from tasks and cases, stored, ranked with the contests'
tie rule, the sheet's numbers equal to a hand computation (page and XLSX), the scheme form."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from campaign.cases import queries as cases
from campaign.db import write_transaction
from campaign.duties import rules
from campaign.duties.tables import AssessmentResult, AssessmentRun, Task
from campaign.regions.tables import Region
from campaign.timeutil import today
from tests.helpers.duties import BAISHA, FUHAI, XINQI, login, measure, warning
from tests.helpers.web import post_form

YEAR, QUARTER = rules.quarter_of(today())
START, _END = rules.quarter_bounds(YEAR, QUARTER)
PERIOD = f"{YEAR}Q{QUARTER}"


async def hand_computed_example() -> None:
    """白沙路: 2 tasks due (1 on time, 1 open) → 50; 2 cases / 10,000 residents → worst → 0.
    附海: no tasks → 50; 0 cases / 10,000 → best → 100. 新碶: 1 case / 20,000 = 0.5 → 75.
    One person dissuaded in 新碶 → 100, the others 0. No contests → 50; no events → all equal →
    100. Weights 30/20/20/15/15:
    白沙路 15+10+20+0+0 = 45; 附海 15+10+20+0+15 = 60; 新碶 15+10+20+15+11.25 = 71.25."""
    for code, population in ((BAISHA, 10_000), (FUHAI, 10_000), (XINQI, 20_000)):
        await Region.update({Region.population: population}).where(Region.code == code)
    measure_id = await measure()
    for status, submitted in (("accepted", START), ("open", None)):
        await Task.insert(
            Task(
                measure_id=measure_id,
                title="t",
                unit_kind="town",
                unit_code=BAISHA,
                unit_name="白沙路街道",
                town_code=BAISHA,
                district_code="330282",
                due_on=START,
                evidence_kind="document",
                reviewer_id=1,
                status=status,
                submitted_on=submitted,
            )
        )
    await warning("W1", XINQI, START, "dissuaded")
    await warning("W2", BAISHA, START, None)  # not yet answered: not a result
    async with write_transaction():
        for no, town in (("C1", BAISHA), ("C2", BAISHA), ("C3", XINQI)):
            await cases.insert_case(
                dict(
                    case_no=no,
                    occurred_on=START,
                    village_code=None,
                    town_code=town,
                    district_code=town[:6],
                    station_code=None,
                    fraud_type="贷款",
                    loss_fen=100_00,
                )
            )


async def test_the_sheet_matches_the_hand_computed_example(client, ningbo):
    await hand_computed_example()
    await login(client, "admin")
    page = await post_form(
        client, "/duties/assessment/compute", {"level": "town", "quarter": PERIOD}
    )
    assert page.status_code == 302
    ranking = await client.get(f"/duties/assessment?level=town&quarter={PERIOD}")
    assert 'data-unit="330206002"' in ranking.text
    results = {r["code"]: r for r in await AssessmentResult.select()}
    assert {c: (r["rank"], r["score"]) for c, r in results.items()} == {
        XINQI: (1, 71.25),
        FUHAI: (2, 60.0),
        BAISHA: (3, 45.0),
    }
    assert not results[BAISHA]["baseline_ok"]  # no events, one task overdue
    run_id = (await AssessmentRun.select().first())["id"]
    sheet = await client.get(f"/duties/assessment/runs/{run_id}/{BAISHA}")
    assert "data-total>45.00<" in sheet.text
    workbook = await client.get(f"/duties/assessment/runs/{run_id}/{BAISHA}?format=xlsx")
    rows = {r[0]: r for r in load_workbook(io.BytesIO(workbook.content)).active.values}
    assert rows["任务完成"][1:] == (50, 50, 30, 15)
    assert rows["发案情况(每万人)"][1:] == (2, 0, 15, 0)
    assert rows["预警劝阻"][1:] == (0, 0, 15, 0)
    assert rows["指标得分合计"][4] == 45 and rows["考核总分"][4] == 45
    assert rows["名次"][4] == 3
    printed = await client.get(f"/duties/assessment/runs/{run_id}/{BAISHA}?print=1")
    assert "print-page" in printed.text and 'class="sidenav"' not in printed.text


async def test_the_ranking_reads_the_stored_run(client, ningbo):
    await hand_computed_example()
    await login(client, "admin")
    empty = await client.get(f"/duties/assessment?quarter={PERIOD}")
    assert "本季度还没有计算考核结果" in empty.text
    await post_form(client, "/duties/assessment/compute", {"level": "town", "quarter": PERIOD})
    await Task.update({Task.status: "accepted", Task.submitted_on: START}, force=True)
    page = await client.get(f"/duties/assessment?quarter={PERIOD}")
    assert f'data-unit="{FUHAI}"' in page.text and "45.00" in page.text  # not recomputed
    export = await client.get(f"/duties/assessment?quarter={PERIOD}&format=xlsx")
    rows = list(load_workbook(io.BytesIO(export.content)).active.values)
    assert [r[0] for r in rows[1:]] == [1, 2, 3]
    await login(client, "beilun_leader")
    run_id = (await AssessmentRun.select().first())["id"]
    assert (await client.get(f"/duties/assessment/runs/{run_id}/{BAISHA}")).status_code == 403
    assert (await client.get(f"/duties/assessment/runs/{run_id}/{XINQI}")).status_code == 200


async def test_weights_that_do_not_add_up_are_refused(client, ningbo):
    await login(client, "admin")
    values = {
        "w_tasks": "30",
        "w_contest": "20",
        "w_outreach": "20",
        "w_dissuasion": "15",
        "w_cases": "5",
        "b_min_events": "3",
        "b_max_overdue": "0",
        "r_major_loss_yuan": "1000000",
    }
    page = await post_form(client, "/duties/assessment/scheme", values)
    assert page.status_code == 400 and "各项权重合计须为 100,当前合计 90" in page.text
    page = await post_form(client, "/duties/assessment/scheme", {**values, "w_cases": "15"})
    assert page.status_code == 302
    scheme = await client.get("/duties/assessment/scheme")
    assert 'value="15"' in scheme.text
    await login(client, "leader")
    assert (await client.get("/duties/assessment/scheme")).status_code == 403


async def test_the_api_returns_the_stored_ranking(client, ningbo):
    from campaign.accounts.queries import create_token, user_id_by_name

    await hand_computed_example()
    await login(client, "admin")
    await post_form(client, "/duties/assessment/compute", {"level": "town", "quarter": PERIOD})
    client.cookies.clear()
    token = await create_token(await user_id_by_name("leader"), "test")
    headers = {"Authorization": f"Bearer {token}"}
    body = (await client.get(f"/api/v1/assessment?quarter={PERIOD}", headers=headers)).json()
    assert body["total"] == 3 and body["weights"]["tasks"] == 30
    assert [(i["code"], i["rank"], i["score"]) for i in body["items"]] == [
        (XINQI, 1, 71.25),
        (FUHAI, 2, 60.0),
        (BAISHA, 3, 45.0),
    ]
    assert body["items"][2]["contributions"]["tasks"] == 15
    bad = await client.get("/api/v1/assessment?level=village", headers=headers)
    assert bad.status_code == 400 and "town" in bad.json()["detail"]
    coord = await create_token(await user_id_by_name("coord"), "test")
    denied = await client.get("/api/v1/assessment", headers={"Authorization": f"Bearer {coord}"})
    assert denied.status_code == 403
