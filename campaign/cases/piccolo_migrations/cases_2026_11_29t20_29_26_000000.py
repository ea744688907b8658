"""Case days: the unique (level, code, day) and (level, day) indexes, and the rows of the cases
already stored (Piccolo runs a migration's raw steps before its tables, hence a step of its own)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder
from piccolo.engine.sqlite import SQLiteEngine

ID = "2026-11-29T20:29:26:000000"
VERSION = "1.38.0"
DESCRIPTION = "case days: indexes and rows for the cases stored"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="cases", description=DESCRIPTION)

    async def indexes_and_backfill():
        db = engine_finder()
        await db.run_ddl(
            'CREATE UNIQUE INDEX IF NOT EXISTS case_day_unit ON "case_day" (level, code, day)'
        )
        await db.run_ddl('CREATE INDEX IF NOT EXISTS case_day_level_day ON "case_day" (level, day)')
        if isinstance(db, SQLiteEngine):
            gap = "CAST(julianday(day) - julianday(previous_day) AS INTEGER) - 1"
        else:
            gap = "day - previous_day - 1"
        for level in ("village", "town", "station"):
            await db.run_ddl(
                'INSERT INTO "case_day" (level, code, day, cases, previous_day, gap) '
                f"SELECT '{level}', code, day, n, previous_day, {gap} FROM ("
                "SELECT code, day, n, LAG(day) OVER (PARTITION BY code ORDER BY day) AS "
                f"previous_day FROM (SELECT {level}_code AS code, occurred_on AS day, "
                f'COUNT(*) AS n FROM "case" WHERE {level}_code IS NOT NULL '
                f"GROUP BY {level}_code, occurred_on) AS g) AS w"
            )

    manager.add_raw(indexes_and_backfill)
    return manager
