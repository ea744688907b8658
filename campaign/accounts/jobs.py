"""Account housekeeping that runs on a schedule."""

from __future__ import annotations

from arq import cron

from campaign.accounts import queries


async def purge_login_failures(ctx: dict) -> int:
    """Forget failed logins old enough that they no longer slow anyone down."""
    return await queries.purge_login_failures()


FUNCTIONS = [purge_login_failures]
CRON_JOBS = [cron(purge_login_failures, minute={7}, run_at_startup=False)]
