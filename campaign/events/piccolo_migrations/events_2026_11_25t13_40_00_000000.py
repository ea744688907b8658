"""Composite indexes for the event list, totals and duplicate checks (Piccolo declares only
single-column ones). Plain CREATE INDEX IF NOT EXISTS works on SQLite and PostgreSQL."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from campaign.events.tables import Event

ID = "2026-11-25T13:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "composite indexes on event"

INDEXES = {
    "event_day_id": ("day", "id"),
    "event_district_day": ("district_code", "day"),
    "event_town_day": ("town_code", "day"),
    "event_status_day": ("status", "day"),
    "event_status_type_day": ("status", "type_id", "day"),
    "event_type_day": ("type_id", "day"),
    "event_unit_day": ("unit_code", "day"),
    "event_place_day": ("place_code", "day"),
}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="events", description=DESCRIPTION)

    async def create() -> None:
        for name, columns in INDEXES.items():
            await Event.raw(f"CREATE INDEX IF NOT EXISTS {name} ON event ({', '.join(columns)})")

    async def drop() -> None:
        for name in INDEXES:
            await Event.raw(f"DROP INDEX IF EXISTS {name}")

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager
