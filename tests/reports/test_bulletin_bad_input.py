"""Bad input: empty weeks, the first week, areas without residents, future and malformed weeks,
week 53 across New Year, and area definitions that leave towns out or name one twice."""

from __future__ import annotations

import datetime as dt

from campaign.cases.imports import import_file as import_cases
from campaign.regions.tables import Region
from campaign.reports import queries, rules
from campaign.reports.rules import Week
from tests.helpers.web import login, post_form, text_of


async def _cases(rows: list[tuple[str, str, str]]) -> None:
    lines = ["案件编号,发案时间,区划代码,诈骗类型,损失金额"]
    lines += [f"{no},{day},{town},投资理财,1000" for no, day, town in rows]
    await import_cases("cases", "c.csv", "\n".join(lines).encode(), dry_run=False, actor=None)


async def test_a_week_without_cases_says_so(ningbo_towns):
    figures = await queries.compute_figures(Week(2023, 27))
    assert figures["cases"] == 0 and figures["top_cases"] == [] and figures["leading_share"] == 0
    assert figures["cases_change"]["direction"] == "flat"
    assert (
        rules.narrative(figures)
        .translate(rules.ASCII_PUNCTUATION)
        .startswith("上周(7月3日至9日),全市未受理电信网络诈骗案件")
    )


async def test_the_first_week_has_no_previous_week_to_compare(ningbo_towns):
    await _cases([("A1", "2023-07-04", "330206002"), ("A2", "2023-07-05", "330206002")])
    figures = await queries.compute_figures(Week(2023, 27))
    assert figures["has_previous_data"] is False
    assert figures["cases_change"]["is_new"] is True
    assert "上上周无可比数据" in rules.narrative(figures)


async def test_an_area_without_residents_shows_no_share(ningbo_towns):
    await Region.update({Region.population: None}).where(Region.district_code == "330206")
    figures = await queries.compute_figures(Week(2023, 27))
    beilun = next(a for a in figures["areas"] if a["code"] == "330206")
    assert beilun["population"] is None and beilun["warned_per_10k"] is None


async def test_week_53_spans_new_year(ningbo_towns):
    await _cases(
        [
            ("N1", "2020-12-31", "330206002"),
            ("N2", "2021-01-03", "330206002"),
            ("N3", "2021-01-04", "330206002"),
        ]
    )
    figures = await queries.compute_figures(rules.parse_week("2020-W53"))
    assert figures["cases"] == 2 and figures["label"] == "2020年12月28日至2021年1月3日"
    assert figures["year_earlier_week"] == "2019-W52"
    after = await queries.compute_figures(rules.parse_week("2021-W01"))
    assert (after["cases"], after["previous_cases"], after["previous_week"]) == (1, 2, "2020-W53")


async def test_malformed_and_future_weeks_in_the_url(client, make_user, ningbo_towns):
    await make_user("admin", "admin")
    await login(client, "admin")
    bad = await client.get("/bulletins/2023-W99")
    assert bad.status_code == 404 and "没有第 99 周" in bad.text
    garbage = await client.get("/bulletins/latest")
    assert garbage.status_code == 404 and "格式" in garbage.text
    future = rules.week_of(dt.date.today() + dt.timedelta(days=14)).key
    assert (await client.get(f"/bulletins/{future}")).status_code == 400
    opened = await client.get("/bulletins/open?week=2023-W27")
    assert opened.headers["location"] == "/bulletins/2023-W27"


async def test_area_definitions_that_leave_towns_out_or_double_them_are_refused(
    client, make_user, ningbo_towns
):
    await make_user("admin", "admin")
    await login(client, "admin")
    towns = [t for ts in ningbo_towns.values() for t in ts]
    form = {f"town-{t}": "北仑区" if t.startswith("330206") else "其余" for t in towns}
    form["town-330206001"] = ""  # 大榭街道 left out
    refused = await post_form(client, "/bulletin-areas", form)
    assert refused.status_code == 400
    assert "大榭街道(330206001)" in " ".join(text_of(refused.text, 'data-problem="missing"'))
    assert await queries.areas_are_default()

    csv = "片区,镇街代码\n" + "\n".join(f"全市,{t}" for t in towns) + "\n大榭,330206001\n"
    files = {"file": ("areas.csv", csv.encode(), "text/csv")}
    doubled = await client.post(
        "/bulletin-areas/import",
        files=files,
        data={"_csrf_token": client.cookies.get("campaign_csrf")},
    )
    assert doubled.status_code == 400
    assert "大榭街道(全市/大榭)" in " ".join(text_of(doubled.text, 'data-problem="duplicate"'))

    csv = "片区,镇街代码\n" + "\n".join(
        f"{'大榭' if t == '330206001' else '全市'},{t}" for t in towns
    )
    files = {"file": ("areas.csv", csv.encode(), "text/csv")}
    ok = await client.post(
        "/bulletin-areas/import",
        files=files,
        data={"_csrf_token": client.cookies.get("campaign_csrf")},
    )
    assert ok.status_code in (302, 303)
    areas = await queries.reporting_areas()
    assert [(a.name, len(a.towns)) for a in areas] == [("全市", len(towns) - 1), ("大榭", 1)]


async def test_leaders_may_not_publish_or_define_areas(client, make_user, ningbo_towns):
    await make_user("boss", "leader")
    await login(client, "boss")
    assert (await post_form(client, "/bulletins/2023-W27/publish")).status_code == 403
    assert (await client.get("/bulletin-areas")).status_code == 403


async def test_a_reminder_needs_text_and_valid_months(client, make_user, ningbo_towns):
    await make_user("admin", "admin")
    await login(client, "admin")
    bad = await post_form(client, "/bulletin-reminders", {"text": "谨防刷单", "months": "13"})
    assert bad.status_code == 400 and "谨防刷单" in bad.text and "1 到 12" in bad.text
    good = await post_form(
        client, "/bulletin-reminders", {"text": "谨防刷单", "months": "7-8", "active": "1"}
    )
    assert good.status_code in (302, 303)
    assert any(r["text"] == "谨防刷单" for r in await queries.reminders())
