"""Volunteer work outside requests: the nightly rank snapshot behind the boards' rank arrows, and
clearing spent one-time codes and sign-up windows."""

from __future__ import annotations

import datetime as dt

from arq import cron

from campaign.timeutil import today
from campaign.volunteers import queries


async def snapshot_board_ranks(ctx: dict) -> None:
    """Every current board row's rank as the day begins: the arrows show moves since then."""
    await queries.snapshot_ranks(today())


async def purge_volunteer_codes(ctx: dict) -> None:
    await queries.purge_stale(dt.datetime.now(dt.UTC))


FUNCTIONS = [snapshot_board_ranks, purge_volunteer_codes]
CRON_JOBS = [
    cron(snapshot_board_ranks, hour={0}, minute={2}, run_at_startup=False),
    cron(purge_volunteer_codes, hour={3}, minute={50}, run_at_startup=False),
]
