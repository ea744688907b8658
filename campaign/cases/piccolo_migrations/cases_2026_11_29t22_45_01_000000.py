"""Case units: the unique (level, code) index and the rows of the case days already stored
(Piccolo runs a migration's raw steps before its tables, hence a step of its own)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-29T22:45:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "case units: index and rows for the case days stored"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="cases", description=DESCRIPTION)

    async def index_and_backfill():
        db = engine_finder()
        await db.run_ddl(
            'CREATE UNIQUE INDEX IF NOT EXISTS case_unit_unit ON "case_unit" (level, code)'
        )
        await db.run_ddl(
            'INSERT INTO "case_unit" (level, code, first_day, last_day, days, best_gap, '
            "best_gap_end) SELECT level, code, MIN(day), MAX(day), COUNT(*), "
            "COALESCE(MAX(CASE WHEN r = 1 AND gap > 0 THEN gap END), 0), "
            "MAX(CASE WHEN r = 1 AND gap > 0 THEN day END) FROM (SELECT level, code, day, gap, "
            "ROW_NUMBER() OVER (PARTITION BY level, code ORDER BY COALESCE(gap, -1) DESC, "
            'day DESC) AS r FROM "case_day") AS w GROUP BY level, code'
        )

    manager.add_raw(index_and_backfill)
    return manager
