"""Importing events from a spreadsheet: every bad row reported, nothing half-written, and a
second import of the same file changes nothing."""

from __future__ import annotations

import pytest

from campaign.events.imports import import_file
from campaign.events.tables import Event, Outreach
from campaign.importing import ImportRejected
from tests.helpers.events import BAISHA, SHUGUANG, people

GOOD = """外部编号,活动类型,地点代码,开始时间,结束时间,参与人数,入户户数,安装反诈APP,发放资料,受众,状态
E-1,宣讲/讲堂,330282005002,2026-05-21 14:00,2026-05-21 16:00,1000,,620,1500,学生;教师,已核实
E-2,敲门入户,330282108201,2026-05-22 09:00,,60,25,10,80,老人,待核实
"""
ENGLISH = """external_id,type,place_code,starts_at,attendees,status
E-3,摆摊宣传,330282005,2026-06-01 10:00,300,verified
"""
BAD = """外部编号,活动类型,地点代码,开始时间,结束时间,参与人数,入户户数
E-1,宣讲/讲堂,330282005002,2026-05-21 14:00,2026-05-21 13:00,10,
E-1,敲门入户,999999999999,2099-01-01 09:00,,20000,-3
E-4,舞龙表演,330282005002,not a time,,,
"""


async def test_good_file_imports_verified_events_and_reimport_changes_nothing(make_user):
    await people(make_user)
    summary = await import_file("events", "e.csv", GOOD.encode(), dry_run=False, actor=None)
    assert (len(summary.added), len(summary.changed), summary.unchanged) == (2, 0, 0)
    rows = {r["external_id"]: r for r in await Event.select()}
    assert rows["E-1"]["status"] == "verified" and rows["E-1"]["attendees"] == 1000
    assert rows["E-1"]["town_code"] == BAISHA and rows["E-1"]["audiences"] == ",学生,教师,"
    assert rows["E-2"]["status"] == "submitted"
    assert await Outreach.exists().where(Outreach.code == SHUGUANG)
    again = await import_file("events", "e.csv", GOOD.encode(), dry_run=False, actor=None)
    assert (len(again.added), len(again.changed), again.unchanged) == (0, 0, 2)
    changed = GOOD.replace(",1000,", ",900,")
    third = await import_file("events", "e.csv", changed.encode(), dry_run=False, actor=None)
    assert third.changed == ["E-1"]
    assert await Event.count() == 2


async def test_english_headers_work_and_a_town_can_be_the_place(make_user):
    await people(make_user)
    summary = await import_file("events", "e.csv", ENGLISH.encode(), dry_run=False, actor=None)
    assert summary.added == ["E-3"]
    row = await Event.select().first()
    assert (row["place_level"], row["unit_code"], row["village_code"]) == ("town", BAISHA, None)


async def test_every_bad_row_is_reported_and_nothing_is_imported(make_user):
    await people(make_user)
    with pytest.raises(ImportRejected) as rejected:
        await import_file("events", "bad.csv", BAD.encode(), dry_run=False, actor=None)
    report = rejected.value.report()
    for expected in (
        "第 2 行,列「结束时间」:结束时间应晚于开始时间",
        "第 3 行,列「外部编号」",
        "第 3 行,列「地点代码」",
        "第 3 行,列「开始时间」:不能导入未来的活动",
        "第 3 行,列「参与人数」",
        "第 3 行,列「入户户数」:不能为负数",
        "第 4 行,列「活动类型」:未知的活动类型「舞龙表演」",
        "第 4 行,列「开始时间」",
    ):
        assert expected in report, expected
    assert await Event.count() == 0
