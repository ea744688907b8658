"""Open warnings per unit: the board's default view (open, newest first) and its header counts
read only a unit's open warnings from a partial index, instead of intersecting the unit's
warnings (thousands a year) with every open one (10^6 stored: 2.7 ms a page on PostgreSQL).
The predicate is written as the board's query writes it (rules.OPEN_STATUSES, in that order), so
both engines match it."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-30T07:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "warning boards: partial indexes of open warnings per unit"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="warnings", description=DESCRIPTION)

    async def open_indexes():
        statuses = "'new', 'acknowledged', 'contacted'"
        for unit, columns in (
            ("station", "station_code, "),
            ("town", "town_code, "),
            ("district", "district_code, "),
            ("city", ""),
        ):
            await engine_finder().run_ddl(
                f"CREATE INDEX IF NOT EXISTS warning_open_{unit} "
                f'ON "warning" ({columns}issued_at, id) '
                f'WHERE "warning"."status" IN ({statuses})'
            )

    manager.add_raw(open_indexes)
    return manager
