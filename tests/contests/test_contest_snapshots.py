"""The nightly job closes the day in every running contest; Sundays are weekly snapshots."""

from __future__ import annotations

import datetime as dt

from campaign.contests import jobs
from campaign.contests.tables import ContestSnapshot
from campaign.worker import CRON_JOBS
from tests.helpers.contests import make_contest, slice_with_cases


def test_snapshot_job_runs_at_twenty_past_midnight_shanghai_time():
    job = next(j for j in CRON_JOBS if j.coroutine is jobs.snapshot_contests)
    assert (job.hour, job.minute) == ({0}, {20})


async def test_nightly_snapshot_stores_every_unit_and_marks_sundays_weekly(db):
    await slice_with_cases()
    contest_id = await make_contest()
    await make_contest(name="未开始", start_on=dt.date(2027, 1, 1), end_on=dt.date(2027, 3, 31))
    assert await jobs.snapshot_contests({}, "2026-10-17") == 3  # a Saturday
    assert await jobs.snapshot_contests({}, "2026-10-18") == 3  # a Sunday
    assert await jobs.snapshot_contests({}, "2026-10-18") == 3  # re-running replaces
    rows = await ContestSnapshot.select().where(ContestSnapshot.contest_id == contest_id)
    assert len(rows) == 6
    assert {(r["as_of"], r["weekly"]) for r in rows} == {
        (dt.date(2026, 10, 17), False),
        (dt.date(2026, 10, 18), True),
    }
    baisha = next(r for r in rows if r["code"] == "330282005" and r["weekly"])
    assert baisha["cases"] == 3  # cases on 10-03, 10-09 and 10-17 by the 18th


async def test_backfill_takes_every_sunday_and_the_last_day_of_a_finished_contest(db):
    from campaign.contests import queries as contest_queries

    await slice_with_cases()
    contest_id = await make_contest(start_on=dt.date(2026, 10, 1), end_on=dt.date(2026, 10, 20))
    contest = await contest_queries.contest(contest_id)
    assert await contest_queries.backfill_snapshots(contest, dt.date(2026, 11, 24)) == 4 * 3
    days = {r["as_of"] for r in await ContestSnapshot.select(ContestSnapshot.as_of)}
    assert days == {dt.date(2026, 10, d) for d in (4, 11, 18, 20)}
    ranks = await contest_queries.weekly_ranks_before(contest_id, dt.date(2026, 10, 21))
    assert set(ranks) == {"330282005", "330282108", "330206002"}
