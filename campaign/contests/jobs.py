"""Contest and streak jobs: what runs at night (Asia/Shanghai, see campaign.worker)."""

from __future__ import annotations

import datetime as dt

from arq import cron

from campaign.contests import contest_queries, queries
from campaign.timeutil import today


async def snapshot_contests(ctx: dict, day: str | None = None) -> int:
    """Close yesterday (or `day`, YYYY-MM-DD) in every contest that covers it: store each
    unit's rank and score, weekly on Sundays and on a contest's last day."""
    closed = dt.date.fromisoformat(day) if day else today() - dt.timedelta(days=1)
    stored = 0
    for contest in await contest_queries.contests_to_snapshot(closed):
        stored += await contest_queries.take_snapshot(contest, closed)
    return stored


async def backfill_contest(ctx: dict, contest_id: int) -> int:
    """Weekly snapshots up to yesterday for a contest just created or given a new rule."""
    contest = await contest_queries.contest(contest_id)
    if contest is None:
        return 0
    return await contest_queries.backfill_snapshots(contest, today() - dt.timedelta(days=1))


async def snapshot_streaks(ctx: dict, day: str | None = None) -> int:
    """Nightly: refresh every unit's longest closed run (adding "broken" events), then store
    each unit's streak and rank at the end of yesterday (or `day`) with milestone events."""
    closed = dt.date.fromisoformat(day) if day else today() - dt.timedelta(days=1)
    for level in queries.LEVELS:
        await queries.refresh_bests(level)
    return await queries.write_snapshot(closed)


async def refresh_streaks_after_cases(ctx: dict, units: list[tuple[str, str]] | None = None) -> int:
    """After case writes or an import: refresh the longest runs of the (level, code) units
    touched (all units when None) and add "broken" events. Enqueue with campaign.jobs.enqueue."""
    events = 0
    for level in queries.LEVELS:
        codes = None if units is None else {code for lv, code in units if lv == level}
        if codes is None or codes:
            events += await queries.refresh_bests(level, codes)
    return events


FUNCTIONS = [snapshot_contests, backfill_contest, snapshot_streaks, refresh_streaks_after_cases]
CRON_JOBS = [
    cron(snapshot_contests, hour={0}, minute={20}, run_at_startup=False),
    cron(snapshot_streaks, hour={0}, minute={10}, run_at_startup=False),
]
