"""Contest jobs: what runs at night (Asia/Shanghai, see campaign.worker)."""

from __future__ import annotations

import datetime as dt

from arq import cron

from campaign.contests import queries
from campaign.timeutil import today


async def snapshot_contests(ctx: dict, day: str | None = None) -> int:
    """Close yesterday (or `day`, YYYY-MM-DD) in every contest that covers it: store each
    unit's rank and score, weekly on Sundays and on a contest's last day."""
    closed = dt.date.fromisoformat(day) if day else today() - dt.timedelta(days=1)
    stored = 0
    for contest in await queries.contests_to_snapshot(closed):
        stored += await queries.take_snapshot(contest, closed)
    return stored


async def backfill_contest(ctx: dict, contest_id: int) -> int:
    """Weekly snapshots up to yesterday for a contest just created or given a new rule."""
    contest = await queries.contest(contest_id)
    if contest is None:
        return 0
    return await queries.backfill_snapshots(contest, today() - dt.timedelta(days=1))


FUNCTIONS = [snapshot_contests, backfill_contest]
CRON_JOBS = [cron(snapshot_contests, hour={0}, minute={20}, run_at_startup=False)]
