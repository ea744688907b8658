"""Bulletin jobs (Asia/Shanghai times, see campaign.worker): the Monday draft and the check that
re-issues a published week whose data changed."""

from __future__ import annotations

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


async def revise_published_bulletins(ctx: dict) -> list[str]:
    """Nightly: a published week whose figures changed since (a later import) gets a new revision
    with what changed. Returns the keys of the weeks revised."""
    revised = []
    for key in await queries.published_week_keys(REVISE_WEEKS):
        if await queries.revise_if_changed(rules.parse_week(key)):
            revised.append(key)
    return revised


FUNCTIONS = [draft_last_week, revise_published_bulletins]
CRON_JOBS = [
    cron(draft_last_week, weekday=0, hour={8}, minute={0}, run_at_startup=False),
    cron(revise_published_bulletins, hour={1}, minute={30}, run_at_startup=False),
]
