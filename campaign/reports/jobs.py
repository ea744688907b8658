"""Bulletin jobs (Asia/Shanghai times, see campaign.worker): the Monday draft and the check that
re-issues a published week whose data changed — at once after case writes (subscribed to the
cases' CASES_CHANGED in campaign/worker.py) and nightly as a safety net."""

from __future__ import annotations

import asyncio

from arq import cron

from campaign.reports import queries, rules
from campaign.timeutil import today

#: Published weeks re-checked each night for later imports that changed them.
REVISE_WEEKS = 8


async def draft_last_week(ctx: dict, week: str | None = None) -> str:
    """Monday 08:00: compute last week's bulletin as a draft; the audit entry and the admins' home
    card announce it. Returns the week key."""
    target = rules.parse_week(week) if week else rules.last_complete_week(today())
    await queries.draft_week(target, actor=None)
    return target.key


#: One check at a time in a process: an import announces its changes more than once, and two
#: checks racing would store the same revision twice.
_checking = asyncio.Lock()


async def revise_published_bulletins(ctx: dict) -> list[str]:
    """Nightly: a published week whose figures changed since (a later import) gets a new revision
    with what changed. Returns the keys of the weeks revised."""
    revised = []
    async with _checking:
        for key in await queries.published_week_keys(REVISE_WEEKS):
            if await queries.revise_if_changed(rules.parse_week(key)):
                revised.append(key)
    return revised


async def revise_after_cases(ctx: dict, *units) -> list[str]:
    """After case writes or an import (CASES_CHANGED): revise the published weeks whose figures
    changed, so the public page shows the correction at once. The units it carries are not
    needed: a week's figures depend on every town, the week before and a year earlier."""
    return await revise_published_bulletins(ctx)


FUNCTIONS = [draft_last_week, revise_published_bulletins, revise_after_cases]
CRON_JOBS = [
    cron(draft_last_week, weekday=0, hour={8}, minute={0}, run_at_startup=False),
    cron(revise_published_bulletins, hour={1}, minute={30}, run_at_startup=False),
]
