"""Done when: the source report's week, rebuilt from generated cases, comes out of the bulletin
with the report's figures, lists and words."""

from __future__ import annotations

from campaign.reports import queries, rules
from campaign.reports.rules import Week
from tests.helpers import report_week

W27 = Week(2023, 27)


async def test_the_report_week_has_the_reports_figures_lists_and_text(report_data):
    figures = await queries.compute_figures(W27)
    assert figures["label"] == "7月3日至9日"
    assert (figures["cases"], figures["loss_fen"]) == (185, 660_600_000)
    assert figures["cases_change"]["percent"] == -1.6
    assert figures["loss_change"]["percent"] == 41.1
    assert figures["cases_yoy"]["this"] == 185 and figures["cases_yoy"]["previous"] == 150
    names = {a["code"]: a["name"] for a in figures["areas"]}
    assert [names[c] for c in figures["top_cases"]] == ["慈溪市", "北仑区", "鄞州区"]
    assert [names[c] for c in figures["top_decline"]] == ["宁海县", "大榭", "海曙区"]
    assert [names[c] for c in figures["declining_two_weeks"]] == ["鄞州区"]
    assert [t["name"] for t in figures["hot_towns"]] == ["新碶街道", "大碶街道", "庵东镇"]
    assert figures["leading_types"] == ["投资理财", "兼职刷单", "冒充客服", "贷款"]
    assert round(figures["leading_share"] * 100) == 88
    assert [(r["name"], r["cases"]) for r in figures["sharp_risers"]] == [("冒充亲友", 18)]
    groups = {o["name"]: o["cases"] for o in figures["occupations"]}
    assert (groups["学生"], groups["医务人员"], groups["教师"]) == (33, 5, 1)

    text = rules.narrative(figures).translate(rules.ASCII_PUNCTUATION)
    assert "上周(7月3日至9日),全市共受理电信网络诈骗案件185起,涉案金额660.6万元" in text
    assert "环比上上周分别下降1.6%、上升41.1%" in text
    assert "案件高发区县前三位的是慈溪、北仑、鄞州" in text
    assert "环比下降前三位的是宁海、大榭和海曙,其中鄞州连续两周环比下降" in text
    assert "上周案件高发的乡镇街道为北仑的新碶街道、大碶街道、慈溪的庵东镇" in text
    assert (
        "占比最高的是投资理财诈骗、兼职刷单诈骗、冒充客服诈骗、贷款诈骗,这四类诈骗共占到了案件总数的88%"
        in text
    )
    assert (
        "其中,投资理财诈骗环比是上升的,兼职刷单诈骗、冒充客服诈骗、贷款诈骗环比则是下降的" in text
    )
    assert "另外,上周冒充亲友诈骗有所上升,共发案18起" in text
    assert "学生被骗33人,医务人员被骗5人,教师被骗1人" in text
    # no warnings stored for the week: no area is named for its share of potential victims
    assert figures["risk_areas"] == [] and "潜在受害人群" not in text


async def test_the_summer_reminder_goes_with_a_july_week_of_student_victims(report_data):
    draft = await queries.fresh_draft(W27)
    assert draft.reminder.startswith("暑假已经开始")


async def test_publishing_freezes_and_a_later_import_revises_the_week_at_once(report_data):
    from campaign import jobs
    from campaign.cases.imports import import_file as import_cases
    from tests.helpers import report_week

    published = await queries.publish(W27, actor=None)
    assert (published.revision, published.figures["cases"]) == (1, 185)
    assert await queries.revise_if_changed(W27) is None  # nothing changed

    # the platform re-exports the week with one case's loss corrected: the import's announcement
    # (CASES_CHANGED) revises the published week at once, not at the nightly check
    data = report_week.cases_csv(report_data, week27_loss_fen=report_week.LOSS_27_FEN + 1_000_000)
    await import_cases("cases", "again.csv", data, dry_run=False, actor=None)
    await jobs.drain()
    revised = await queries.latest_published(W27.key)
    assert revised is not None and revised.revision == 2
    assert {"what": "涉案金额(万元)", "before": "660.6", "after": "661.6"} in revised.changes
    assert [r.revision for r in await queries.revisions(W27.key)] == [2, 1]
    assert await queries.revise_if_changed(W27) is None  # already revised


async def test_areas_with_most_people_warned_per_10000_residents_are_named(report_data):
    from tests.helpers.warnings import item, push

    towns = report_data
    per_town = {"330206": 3, "330205": 2, "330203": 1}  # 北仑, 江北, 海曙 (50,000 residents a town)
    items, n = [], 0
    for district, people in per_town.items():
        for town in towns[district]:
            if town == report_week.DAXIE:
                continue
            for _ in range(people):
                n += 1
                items.append(
                    item(phone=f"1390000{n:04d}", region_code=town, issued_at="2023-07-05 10:00:00")
                )
    items.append(
        item(phone="13900009999", region_code=towns["330282"][0], issued_at="2023-07-05 10:00:00")
    )
    await push(*items)
    figures = await queries.compute_figures(W27)
    names = {a["code"]: a for a in figures["areas"]}
    assert [names[c]["name"] for c in figures["risk_areas"]] == ["北仑区", "江北区", "海曙区"]
    assert names["330206"]["warned_per_10k"] == 0.6  # 3 people per 50,000 residents
    assert figures["warnings_available"] is True
    text = rules.narrative(figures).translate(rules.ASCII_PUNCTUATION)
    assert "潜在受害人群比例较高的区县有北仑区、江北区、海曙区,这几个区需引起高度警惕" in text


async def test_default_areas_summed_per_district_match_the_same_areas_summed_per_town(
    ningbo_towns,
):
    """With the default areas the database sums each district; the same areas defined town by
    town are summed per town: every figure agrees (warned people and residents included)."""
    from campaign.cases.imports import import_file as import_cases
    from tests.helpers.warnings import item, push

    await import_cases(
        "cases", "cases.csv", report_week.cases_csv(ningbo_towns), dry_run=False, actor=None
    )
    await push(
        item(
            phone="13900000001",
            region_code=ningbo_towns["330206"][1],
            issued_at="2023-07-05 10:00:00",
        ),
        item(
            phone="13900000002",
            region_code=ningbo_towns["330203"][0],
            issued_at="2023-07-06 10:00:00",
        ),
    )
    assert await queries.areas_are_default()
    by_district = await queries.compute_figures(W27)
    names = {a["code"]: a["name"] for a in by_district["areas"]}
    assignment = [(names[d], t) for d, towns in ningbo_towns.items() for t in towns]
    assert await queries.save_areas(assignment, actor=None) == []
    by_town = await queries.compute_figures(W27)
    assert by_district["cases"] == 185 and by_district["risk_areas"][:2] == ["330206", "330203"]
    assert by_district == by_town
