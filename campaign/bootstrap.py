"""Bringing a database up to date: schema migrations, then the reference lists every install needs."""

from __future__ import annotations

from piccolo.apps.migrations.commands.forwards import run_forwards
from piccolo.apps.migrations.tables import Migration

from campaign.cases.queries import seed_reference_lists as seed_case_lists
from campaign.events.queries import seed_reference_lists as seed_event_lists
from campaign.reports.queries import seed_reminders
from campaign.volunteers.queries import seed_reference_lists as seed_volunteer_lists

#: Migrations that changed Piccolo app when a domain was split: (migration id, old app, new app).
#: The tables stay where they are; only the record of who created them moves, so a database
#: migrated before the split does not try to create them a second time.
MOVED_MIGRATIONS = (
    ("2026-11-25T13:26:31:223538", "contests", "streaks"),
    ("2026-11-25T13:27:00:000000", "contests", "streaks"),
)


async def hand_over_moved_migrations() -> None:
    """Re-label the applied migrations of MOVED_MIGRATIONS with their new app (idempotent)."""
    if not await Migration.table_exists():
        return
    for migration_id, old_app, new_app in MOVED_MIGRATIONS:
        await Migration.update({Migration.app_name: new_app}).where(
            (Migration.name == migration_id) & (Migration.app_name == old_app)
        )


async def migrate() -> None:
    await hand_over_moved_migrations()
    response = await run_forwards(app_name="all", migration_id="all", fake=False)
    if not response.success:
        raise RuntimeError(response.message)
    await seed_case_lists()
    await seed_event_lists()
    await seed_volunteer_lists()
    await seed_reminders()
