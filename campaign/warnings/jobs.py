"""Warning jobs: escalation of missed targets (every minute), matching cases to earlier warnings
(劝阻失败, every ten minutes) and, in demo mode only, the live feed of new warnings.

The matching runs here rather than in the case import: warnings depend on cases (they read the
victims' phone hashes through cases.queries), never the other way round, so the cases domain
needs to know nothing about warnings. A case imported now is matched within ten minutes."""

from __future__ import annotations

import datetime as dt
import random

from arq import cron

from campaign.system import queries as system
from campaign.warnings import demo, queries

#: The live demo feed pushes one warning every 20, 40 or 60 seconds.
FEED_SECONDS = (20, 60)
_feed: dict[str, object] = {"next": None, "rng": random.Random()}


async def escalate_warnings(ctx: dict) -> int:
    """Mark warnings past their 签收 / 首次联系 target; district and centre boards show them."""
    return await queries.escalate_overdue()


async def match_warned_victims(ctx: dict) -> int:
    """Cases whose victim phone matches a warning of the 30 days before: 劝阻失败."""
    return await queries.match_recent_cases()


async def demo_warning_feed(ctx: dict) -> int | None:
    """In demo mode, a new warning every 20–60 s so the station boards move (runs every 20 s and
    pushes when the randomly chosen moment has come). Does nothing on a real database."""
    if not await system.demo_mode():
        return None
    now = dt.datetime.now(dt.UTC)
    due = _feed["next"]
    if isinstance(due, dt.datetime) and now < due:
        return None
    rng = _feed["rng"]
    assert isinstance(rng, random.Random)
    _feed["next"] = now + dt.timedelta(seconds=rng.uniform(*FEED_SECONDS) - 1)
    return await demo.one_live_warning(rng)


FUNCTIONS = [escalate_warnings, match_warned_victims, demo_warning_feed]
CRON_JOBS = [
    cron(escalate_warnings, second={5}, run_at_startup=False),
    cron(match_warned_victims, minute=set(range(0, 60, 10)), second={35}, run_at_startup=False),
    cron(demo_warning_feed, second={0, 20, 40}, run_at_startup=False),
]
