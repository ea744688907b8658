"""A village's cases read through its town's index: `case_town_day` (town_code, occurred_on,
village_code) replaces the towns' (town_code, occurred_on) and the villages' (village_code,
occurred_on). A village code begins with its town's (the region import refuses any other), so a
village's cases are a town's filtered inside the index: ~20 entries a village at province scale.
One index fewer to build after a large import (~1 s of 10^6 cases) and to keep on every write.
Here rather than in the cases app, whose migrations run first: the two indexes dropped are this
app's (2026-11-25T13:27)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-12-01T07:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "cases: one index for towns and villages by day"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="streaks", description=DESCRIPTION)

    async def indexes():
        engine = engine_finder()
        await engine.run_ddl(
            'CREATE INDEX IF NOT EXISTS case_town_day ON "case" '
            "(town_code, occurred_on, village_code)"
        )
        await engine.run_ddl("DROP INDEX IF EXISTS streak_case_village_day")
        await engine.run_ddl("DROP INDEX IF EXISTS streak_case_town_day")

    manager.add_raw(indexes)
    return manager
