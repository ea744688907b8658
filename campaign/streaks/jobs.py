"""Streak jobs: what runs at night (Asia/Shanghai, see campaign.worker) and after case writes."""

from __future__ import annotations

import datetime as dt

from arq import cron

from campaign.streaks import queries
from campaign.timeutil import today


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


FUNCTIONS = [snapshot_streaks, refresh_streaks_after_cases]
CRON_JOBS = [cron(snapshot_streaks, hour={0}, minute={10}, run_at_startup=False)]
