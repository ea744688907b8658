"""Case days: a (level, gap, day) index, so that a board as of a past day reads only the long
case-free gaps around that day (cases.queries.units_hit_after)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-29T22:50:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "case days: (level, gap, day) index"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="cases", description=DESCRIPTION)

    async def gap_index():
        await engine_finder().run_ddl(
            'CREATE INDEX IF NOT EXISTS case_day_gap ON "case_day" (level, gap, day)'
        )

    manager.add_raw(gap_index)
    return manager
