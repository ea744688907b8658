"""Admins define contests; everyone concerned sees standings with ranks, 红黑榜 and explanations."""

from __future__ import annotations

import datetime as dt
import io
import re

from openpyxl import load_workbook

from campaign.accounts.tables import AuditEntry
from campaign.contests import queries as contest_queries
from campaign.contests.tables import Contest, ContestSnapshot
from tests.helpers.contests import finish_jobs, make_contest, slice_with_cases
from tests.helpers.web import login, post_form

FORM = {
    "name": "慈溪市镇街控案竞赛",
    "level": "town",
    "district": "330282",
    "start_on": "2026-10-01",
    "end_on": "2026-12-31",
    "normalisation": "minmax",
    "top_n": "3",
    "use_cases_per_10k": "1",
    "weight_cases_per_10k": "60",
    "use_zero_days": "1",
    "weight_zero_days": "40",
}


async def test_admin_creates_a_contest_and_the_change_is_audited(client, make_user):
    await slice_with_cases()
    await make_user("boss", "admin")
    await login(client, "boss")
    response = await post_form(client, "/contests/new", FORM)
    assert response.status_code == 302
    contest = await Contest.select().output(load_json=True).first()
    assert contest["district_code"] == "330282" and contest["level"] == "town"
    assert contest["metrics"] == [
        {"metric": "cases_per_10k", "weight": 60.0},
        {"metric": "zero_days", "weight": 40.0},
    ]
    entry = await AuditEntry.select().where(AuditEntry.action == "contest.create").first()
    assert entry["actor_name"] == "boss" and entry["target"] == f"contest:{contest['id']}"
    await finish_jobs()  # created mid-period: its weekly snapshots are back-filled
    sundays = {r["as_of"] for r in await ContestSnapshot.select(ContestSnapshot.as_of)}
    assert dt.date(2026, 10, 4) in sundays and all(d.weekday() == 6 for d in sundays)

    edited = {**FORM, "name": "慈溪市镇街控案竞赛(四季度)", "weight_zero_days": "20"}
    response = await post_form(client, f"/contests/{contest['id']}/edit", edited)
    assert response.status_code == 302
    await finish_jobs()
    entry = (
        await AuditEntry.select()
        .where(AuditEntry.action == "contest.update")
        .output(load_json=True)
        .first()
    )
    assert entry["detail"]["before"]["metrics"][1]["weight"] == 40.0
    assert entry["detail"]["after"]["metrics"][1]["weight"] == 20.0


async def test_rejected_contest_form_keeps_input_and_explains_each_field_in_chinese(
    client, make_user
):
    await slice_with_cases()
    await make_user("boss", "admin")
    await login(client, "boss")
    bad = {
        **FORM,
        "district": "999999",
        "start_on": "2026-12-31",
        "end_on": "2026-10-01",
        "weight_cases_per_10k": "0",
        "weight_zero_days": "-3",
    }
    response = await post_form(client, "/contests/new", bad)
    assert response.status_code == 400
    assert "结束日期不能早于开始日期" in response.text
    assert "未知的区县代码 999999" in response.text
    assert 'class="field picker invalid" data-picker="/pick/district"' in response.text
    assert response.text.count("权重须为正数") == 2
    assert 'value="慈溪市镇街控案竞赛"' in response.text
    assert 'value="-3"' in response.text
    no_metrics = {k: v for k, v in FORM.items() if not k.startswith("use_")}
    response = await post_form(client, "/contests/new", no_metrics)
    assert response.status_code == 400
    assert "请至少选择一项计分指标" in response.text
    assert not await Contest.exists()


async def test_leaders_and_coordinators_cannot_create_or_edit_contests(client, make_user):
    await slice_with_cases()
    contest_id = await make_contest()
    await make_user("chief", "leader")
    await login(client, "chief")
    assert (await client.get("/contests/new")).status_code == 403
    assert (await post_form(client, "/contests/new", FORM)).status_code == 403
    assert (await post_form(client, f"/contests/{contest_id}/edit", FORM)).status_code == 403
    assert (await post_form(client, f"/contests/{contest_id}/delete", {})).status_code == 403
    page = await client.get(f"/contests/{contest_id}")
    assert page.status_code == 200 and 'data-action="edit-contest"' not in page.text


async def test_standings_rank_the_small_town_by_its_rate_and_show_red_and_black_lists(
    client, make_user
):
    await slice_with_cases()
    contest_id = await make_contest()
    await make_user("boss", "admin")
    await login(client, "boss")
    page = (await client.get(f"/contests/{contest_id}?n=1")).text
    ranks = dict(re.findall(r'data-unit="(\d+)" data-rank="(\d+)"', page))
    # 新碶 has no case. 白沙路 has 4 cases but 80,000 residents (0.5 per 10k); 附海 only one,
    # yet in 8,000 residents (1.25 per 10k): by rate, the weightier metric, 白沙路 is ahead.
    assert ranks == {"330206002": "1", "330282005": "2", "330282108": "3"}
    assert set(ranks) == {"330282005", "330282108", "330206002"}
    red = re.search(r'data-board="red".*?</section>', page, re.S).group(0)
    black = re.search(r'data-board="black".*?</section>', page, re.S).group(0)
    assert 'data-code="330206002"' in red
    assert 'data-code="330206002"' not in black


async def test_a_row_explains_its_score_metric_by_metric(client, make_user):
    await slice_with_cases()
    contest_id = await make_contest()
    await make_user("boss", "admin")
    await login(client, "boss")
    response = await client.get(
        f"/contests/{contest_id}/units/330282108/explain", headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    html = response.text
    assert html.lstrip().startswith('<tr id="x-330282108"')
    contributions = [float(x) for x in re.findall(r'data-contribution="([\d.]+)"', html)]
    total = float(re.search(r"data-total>([\d.]+)<", html).group(1))
    assert abs(sum(contributions) - total) < 0.011
    assert "常住 8,000 人" in html


async def test_standings_export_to_excel(client, make_user):
    await slice_with_cases()
    contest_id = await make_contest()
    await make_user("boss", "admin")
    await login(client, "boss")
    response = await client.get(f"/contests/{contest_id}?format=xlsx")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.values)
    assert rows[0][:5] == ("名次", "较上周", "单位", "代码", "得分")
    assert len(rows) == 4


async def test_rank_arrows_compare_with_the_last_weekly_snapshot(client, make_user):
    await slice_with_cases()
    contest_id = await make_contest()
    contest = await contest_queries.contest(contest_id)
    await contest_queries.take_snapshot(contest, dt.date(2026, 10, 4))  # a Sunday
    before = await contest_queries.weekly_ranks_before(contest_id, dt.date(2026, 10, 5))
    assert before and set(before) == {"330282005", "330282108", "330206002"}
    await make_user("boss", "admin")
    await login(client, "boss")
    page = (await client.get(f"/contests/{contest_id}")).text
    assert len(re.findall(r'data-move="-?\d+"', page)) == 3
    trend = await client.get(
        f"/contests/{contest_id}/trend?unit=330282108", headers={"HX-Request": "true"}
    )
    assert 'data-trend="330282108"' in trend.text and "2026-10-04" in trend.text


async def test_coordinator_sees_the_whole_field_with_own_unit_pinned_and_breakdowns_scoped(
    client, make_user
):
    """Competition needs the field: every unit with its rank and score, the coordinator's own
    row highlighted and pinned above the 红黑榜; the breakdown (明细) of another unit stays out of
    reach."""
    await slice_with_cases()
    contest_id = await make_contest()
    await make_user("fuhai", "coordinator", unit=("town", "330282108"))
    await login(client, "fuhai")
    page = (await client.get(f"/contests/{contest_id}")).text
    table = page[page.index('id="standing-rows"') :]
    assert sorted(re.findall(r'data-unit="(\d+)"', table)) == [
        "330206002",
        "330282005",
        "330282108",
    ]
    assert re.findall(r'<tr data-unit="(\d+)"[^>]*data-mine', table) == ["330282108"]
    pinned = page[page.index("data-pinned") : page.index('data-board="red"')]
    assert re.findall(r'data-code="(\d+)"', pinned) == ["330282108"]
    assert re.findall(r'data-explain-button="(\d+)"', table) == ["330282108"]
    other = await client.get(f"/contests/{contest_id}/units/330206002/explain")
    assert other.status_code == 404
    trend = await client.get(
        f"/contests/{contest_id}/trend?unit=330206002", headers={"HX-Request": "true"}
    )
    assert trend.status_code == 200


async def test_a_district_contest_is_hidden_from_another_district(client, make_user):
    await slice_with_cases()
    contest_id = await make_contest(district_code="330282")
    await make_user("beilun", "coordinator", unit=("town", "330206002"))
    await login(client, "beilun")
    assert (await client.get(f"/contests/{contest_id}")).status_code == 403
    listing = await client.get("/contests")
    assert f'data-contest="{contest_id}"' not in listing.text


async def test_contest_list_filters_pages_and_exports(client, make_user):
    await slice_with_cases()
    await make_contest(name="镇街竞赛")
    await make_contest(name="派出所竞赛", level="station")
    await make_user("boss", "admin")
    await login(client, "boss")
    page = (await client.get("/contests?level=station")).text
    assert "派出所竞赛" in page and "镇街竞赛" not in page
    empty = (await client.get("/contests?q=没有这个")).text
    assert "还没有符合条件的竞赛" in empty
    sheet = load_workbook(io.BytesIO((await client.get("/contests?format=xlsx")).content)).active
    assert len(list(sheet.values)) == 3


async def test_the_scope_is_picked_by_search_and_the_filter_offers_districts_with_contests(
    client, make_user
):
    """A province has ninety districts, the country 2,800: the form searches them (GET
    /pick/district) and the list's 范围 filter offers only the districts that have contests."""
    await slice_with_cases()
    await make_contest(name="慈溪竞赛", district_code="330282")
    await make_user("boss", "admin")
    await login(client, "boss")
    form = (await client.get("/contests/new")).text
    assert 'data-picker="/pick/district"' in form and 'id="f-district"' not in form
    listing = (await client.get("/contests")).text
    assert '<option value="330282"' in listing and '<option value="330206"' not in listing
    assert "慈溪竞赛" in (await client.get("/contests?district=330282")).text
    contest_id = await make_contest(name="北仑竞赛", district_code="330206")
    edit = (await client.get(f"/contests/{contest_id}/edit")).text
    assert 'value="330206" data-picker-code' in edit and "北仑区 330206" in edit


async def test_the_form_offers_metrics_of_installed_modules_only(client, make_user):
    await slice_with_cases()
    await make_user("boss", "admin")
    await login(client, "boss")
    page = (await client.get("/contests/new")).text
    offered = set(re.findall(r'data-metric="(\w+)"', page))
    assert {"cases", "cases_per_10k", "change_mom", "change_yoy", "loss", "zero_days"} <= offered
    assert offered == set(contest_queries.available_metrics())
    assert "outreach" in offered  # campaign.events provides verified outreach points


async def test_standings_search_answers_htmx_with_the_rows_fragment(client, make_user):
    await slice_with_cases()
    contest_id = await make_contest()
    await make_user("boss", "admin")
    await login(client, "boss")
    response = await client.get(f"/contests/{contest_id}?q=附海", headers={"HX-Request": "true"})
    assert "<html" not in response.text
    assert re.findall(r'data-unit="(\d+)"', response.text) == ["330282108"]
    assert 'data-rank="3"' in response.text  # its rank in the whole contest
    empty = await client.get(f"/contests/{contest_id}?q=没有", headers={"HX-Request": "true"})
    assert "没有符合条件的参赛单位" in empty.text
