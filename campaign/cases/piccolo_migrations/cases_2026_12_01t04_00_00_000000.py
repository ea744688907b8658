"""Case days without the (level, day) index: its readers use the (level, gap, day) index one gap
length at a time (cases.queries.last_case_days_changed_since) and the unit summaries' new
(level, first_day) index (any_case_day_before). A large import builds one index fewer over
~1.7 million case days."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-12-01T04:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "case days: (level, day) index dropped; unit summaries: (level, first_day) index"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="cases", description=DESCRIPTION)

    async def indexes():
        engine = engine_finder()
        await engine.run_ddl(
            'CREATE INDEX IF NOT EXISTS case_unit_first_day ON "case_unit" (level, first_day)'
        )
        await engine.run_ddl("DROP INDEX IF EXISTS case_day_level_day")

    manager.add_raw(indexes)
    return manager
