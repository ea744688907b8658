"""Bringing a database up to date: schema migrations, then the reference lists every install needs."""

from __future__ import annotations

from piccolo.apps.migrations.commands.forwards import run_forwards

from campaign.cases.queries import seed_reference_lists as seed_case_lists
from campaign.events.queries import seed_reference_lists as seed_event_lists
from campaign.reports.queries import seed_reminders


async def migrate() -> None:
    response = await run_forwards(app_name="all", migration_id="all", fake=False)
    if not response.success:
        raise RuntimeError(response.message)
    await seed_case_lists()
    await seed_event_lists()
    await seed_reminders()
