"""The figures other modules read: contests (dissuasion metric), bulletins (warned people per
town), case matching (warnings of a phone) and the figures page."""

from __future__ import annotations

import datetime as dt

from campaign.accounts.rules import Scope
from campaign.contests import queries as contest_queries
from campaign.phones import keep_phone
from campaign.timeutil import today
from campaign.warnings import queries, rules
from campaign.warnings.tables import Warning
from tests.helpers.warnings import item, push

ADMIN = None


async def closed(row, outcome, amount="", method="phone"):
    from campaign.accounts.rules import CurrentUser

    admin = CurrentUser(1, "centre", "反诈中心", "admin", Scope())
    closing, errors = rules.check_closing(method, outcome, amount, "")
    assert not errors
    await queries.close(row.id, closing, admin)


async def three_stations():
    """白沙路: 2 dissuaded (one 止付 ¥3,000), 1 defrauded; 附海: 1 stopped; 新碶: open."""
    rows = await push(
        item(warning_id="A1", phone="13800000001"),
        item(warning_id="A2", phone="13800000002"),
        item(warning_id="A3", phone="13800000001"),
        item(warning_id="B1", region_code="330282108201", phone="13800000003"),
        item(warning_id="C1", region_code="330206002001", phone="13800000004"),
    )
    by_no = {r.warning_no: r for r in rows}
    await closed(by_no["A1"], "dissuaded")
    await closed(by_no["A2"], "stopped", "3000")
    await closed(by_no["A3"], "defrauded")
    await closed(by_no["B1"], "stopped", "12.5")
    return by_no


async def test_dissuasion_results_count_successful_dissuasions_per_unit(ningbo):
    await three_stations()
    day = today()
    assert await queries.dissuasion_results("station", day, day, None) == {
        "PS330282005": 2,
        "PS330282108": 1,
    }
    assert await queries.dissuasion_results("town", day, day, ["330282108", "330206002"]) == {
        "330282108": 1
    }
    assert (
        await queries.dissuasion_results(
            "station", day - dt.timedelta(days=9), day - dt.timedelta(days=1)
        )
        == {}
    )


async def test_contests_offer_and_score_the_dissuasion_metric(ningbo):
    await three_stations()
    assert "dissuasion" in contest_queries.available_metrics()
    contest_id = await contest_queries.create_contest(
        {
            "name": "劝阻竞赛",
            "level": "station",
            "district_code": None,
            "start_on": today() - dt.timedelta(days=3),
            "end_on": today() + dt.timedelta(days=3),
            "normalisation": "minmax",
            "top_n": 1,
            "metrics": [{"metric": "dissuasion", "weight": 100}],
        },
        None,
    )
    standings = await contest_queries.standings_for(await contest_queries.contest(contest_id))
    first = standings.rows[0]
    assert first.code == "PS330282005" and first.facts["dissuasion"] == 2.0


async def test_warned_people_are_counted_once_per_town(ningbo):
    await three_stations()
    day = today()
    assert await queries.warned_people_by_town(day, day) == {
        "330282005": 2,
        "330282108": 1,
        "330206002": 1,
    }


async def test_warnings_of_a_phone_hash_in_a_period(ningbo):
    await three_stations()
    found = await queries.warnings_for_phone_hash(keep_phone("13800000001").hash, today(), today())
    assert [w.warning_no for w in found] == ["A1", "A3"]
    assert found[1].outcome == "defrauded" and found[1].station_code == "PS330282005"
    assert found[0].closed_at is not None and found[0].issued_at.tzinfo is not None
    assert await queries.warnings_for_phone_hash("nope", today(), today()) == []


async def test_warning_figures_per_station_with_response_times(ningbo):
    await three_stations()
    figures = await queries.warning_figures("station", today(), today())
    baisha = figures["PS330282005"]
    assert (baisha.warnings, baisha.dissuaded, baisha.stopped_fen, baisha.defrauded) == (
        3,
        2,
        300000,
        1,
    )
    assert baisha.acknowledge_median is not None and baisha.acknowledge_median >= 600
    assert figures["PS330282108"].stopped_fen == 1250
    assert figures["PS330206002"].closed == 0
    by_district = await queries.warning_figures("district", today(), today(), ["330282"])
    assert set(by_district) == {"330282"} and by_district["330282"].warnings == 4


async def test_a_case_of_a_warned_phone_marks_the_warning_failed(ningbo):
    await three_stations()
    victim = rules.Victim(keep_phone("13800000002").hash, "CASE-9", today())
    assert await queries.match_cases([victim]) == 1
    assert await queries.match_cases([victim]) == 0  # idempotent
    row = await Warning.select().where(Warning.warning_no == "A2").first()
    assert row["failed_case_no"] == "CASE-9"
    assert await queries.dissuasion_results("station", today(), today()) == {
        "PS330282005": 1,
        "PS330282108": 1,
    }
    figures = (await queries.warning_figures("station", today(), today()))["PS330282005"]
    assert figures.failed == 2 and round(figures.failed_rate, 3) == 0.667
