"""The jobs: escalation of missed targets (admin-set per risk level), case matching, the demo."""

from __future__ import annotations

import datetime as dt

from campaign.accounts.rules import Scope
from campaign.system import queries as system
from campaign.timeutil import today
from campaign.warnings import jobs, queries
from campaign.warnings.tables import BoardEvent, Warning
from campaign.worker import CRON_JOBS, FUNCTIONS
from tests.helpers.warnings import item, push


async def test_a_high_risk_warning_unacknowledged_after_five_minutes_is_escalated(ningbo):
    rows = await push(
        item(warning_id="H1"),  # issued ten minutes ago, high risk: 5 min to 签收
        item(warning_id="M1", risk_level="中"),  # medium: 30 min to 签收, 4 h to contact
    )
    before = await BoardEvent.count()
    assert await jobs.escalate_warnings({}) == 1
    flags = {r["warning_no"]: r for r in await Warning.select()}
    assert flags["H1"]["ack_overdue"] and not flags["M1"]["ack_overdue"]
    assert await BoardEvent.count() == before + 1
    assert await jobs.escalate_warnings({}) == 0  # marked once
    day = today()
    counts = await queries.overdue_by_station(Scope(), day - dt.timedelta(days=1), day)
    assert counts == {"PS330282005": 1}
    assert rows


async def test_targets_are_admin_settings(ningbo):
    await system.set_setting("warnings.targets.medium", "5,8")
    await push(item(warning_id="M2", risk_level="中"))
    assert await jobs.escalate_warnings({}) == 1
    row = await Warning.select().where(Warning.warning_no == "M2").first()
    assert row["ack_overdue"] and row["contact_overdue"]


async def test_bad_target_settings_are_refused_with_a_reason(ningbo):
    for bad in ("5", "a,b", "30,5", "0,10"):
        try:
            await system.set_setting("warnings.targets.high", bad)
        except ValueError as error:
            assert str(error)
            continue
        raise AssertionError(bad)


def test_the_jobs_are_registered_with_the_worker_and_the_in_process_cron():
    assert {jobs.escalate_warnings, jobs.match_warned_victims, jobs.demo_warning_feed} <= set(
        FUNCTIONS
    )
    names = {job.name for job in CRON_JOBS}
    assert {"cron:escalate_warnings", "cron:match_warned_victims"} <= names


async def test_the_demo_feed_only_runs_in_demo_mode(ningbo, monkeypatch):
    monkeypatch.setattr(system, "_demo_cache", (0.0, False))
    assert await jobs.demo_warning_feed({}) is None and await Warning.count() == 0
    from campaign.system.tables import Setting

    await Setting.insert(Setting(key="demo_data", value="1", updated_at=dt.datetime.now(dt.UTC)))
    monkeypatch.setattr(system, "_demo_cache", (0.0, False))
    monkeypatch.setitem(jobs._feed, "next", None)
    assert await jobs.demo_warning_feed({}) is not None
    assert await jobs.demo_warning_feed({}) is None  # the next one is 20–60 s away
    row = await Warning.select().first()
    assert row["is_demo"] and row["station_code"]


async def test_demo_warnings_are_shaped_like_the_report(ningbo):
    from campaign.warnings.demo import generate_warnings

    count = await generate_warnings(since=today() - dt.timedelta(days=20))
    assert count > 1000
    figures = await queries.warning_figures("district", today() - dt.timedelta(days=20), today())
    total = sum(f.warnings for f in figures.values())
    dissuaded = sum(f.dissuaded for f in figures.values())
    assert total == count and 0.75 < dissuaded / total < 0.95
    assert sum(f.stopped_fen for f in figures.values()) > 0
    assert await Warning.count().where(Warning.is_demo == False) == 0  # noqa: E712
